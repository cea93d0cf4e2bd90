"""The month's allowance: the quota for everything, the tier's grace on top for urgent content."""

from __future__ import annotations

from datetime import UTC, datetime

from coaching.domain import TIER_LIMITS, Tier
from coaching.quota import Allowance, month_start


def test_routine_sends_stop_at_the_quota_and_urgent_ones_at_quota_plus_grace() -> None:
    allowance = Allowance(quota=10, grace=3, used=8)
    assert (allowance.room(), allowance.room(urgent=True)) == (2, 5)
    for _ in range(4):
        allowance.spend()
    assert (allowance.left, allowance.room(urgent=True), allowance.grace_used) == (0, 1, 2)
    allowance.spend()
    assert (allowance.room(urgent=True), allowance.grace_used) == (0, 3)
    allowance.spend()  # counted (the month is what it is) but never below zero room
    assert (allowance.room(urgent=True), allowance.grace_used) == (0, 3)


def test_every_tier_has_a_grace_allowance_that_grows_with_it() -> None:
    graces = [TIER_LIMITS[t].grace_messages for t in (Tier.BASIC, Tier.STANDARD, Tier.PREMIUM)]
    assert all(g > 0 for g in graces) and graces == sorted(graces)
    assert Allowance.for_tier("standard", 100).grace == TIER_LIMITS[Tier.STANDARD].grace_messages


def test_the_month_starts_at_midnight_utc_on_the_first() -> None:
    assert month_start(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(
        2026, 12, 1, tzinfo=UTC
    )
