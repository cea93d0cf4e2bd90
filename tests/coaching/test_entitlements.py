"""The tier limits and the one-admin rule, as the pure rules the API applies."""

from coaching import entitlements
from coaching.domain import TIER_LIMITS, Tier


def test_tier_limits_refuse_one_past_the_limit() -> None:
    users = TIER_LIMITS[Tier.BASIC].max_users
    assert entitlements.active_users_refusal(Tier.BASIC, users) is None
    assert "allows 5 active users" in entitlements.active_users_refusal(Tier.BASIC, users + 1)
    programs = TIER_LIMITS[Tier.STANDARD].max_active_programs
    assert entitlements.active_programs_refusal(Tier.STANDARD, programs) is None
    assert entitlements.active_programs_refusal(Tier.STANDARD, programs + 1)


def test_adaptive_experiments_are_premium() -> None:
    assert entitlements.adaptive_refusal(Tier.PREMIUM, True) is None
    assert entitlements.adaptive_refusal(Tier.STANDARD, False) is None
    assert "premium" in entitlements.adaptive_refusal(Tier.STANDARD, True)


def test_an_organization_keeps_an_admin() -> None:
    assert entitlements.admins_refusal(1) is None
    assert "at least one active admin" in entitlements.admins_refusal(0)
