"""The rules a send must pass at the moment it goes out, as pure functions.

The schedule was computed hours ago by dbt; these re-checks use what the store knows now.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

SESSION_WINDOW = timedelta(hours=24)
MAX_VALIDITY_SECONDS = 36_000  # Twilio's ceiling for ValidityPeriod
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def in_quiet_hours(moment: datetime, zone: str, start: time | None, end: time | None) -> bool:
    """Whether `moment` falls in [start, end) of the worker's local clock (end may be past midnight)."""
    if start is None or end is None or start == end:
        return False
    local = moment.astimezone(ZoneInfo(zone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(moment: datetime, zone: str, end: time) -> datetime:
    """The next moment at or after `moment` when the local clock shows `end` (DST-safe)."""
    local = moment.astimezone(ZoneInfo(zone))
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + timedelta(days=1)).replace(
            hour=end.hour, minute=end.minute, second=0, microsecond=0
        )
    return candidate.astimezone(UTC)


def window_open(last_inbound: datetime | None, now: datetime) -> bool:
    """WhatsApp allows free text only within 24 hours of the worker's last message."""
    return last_inbound is not None and now - last_inbound < SESSION_WINDOW


def validity_seconds(expires_at: datetime | None, now: datetime) -> int | None:
    """ValidityPeriod for Twilio: drop the message rather than deliver it after the cutoff."""
    if expires_at is None:
        return None
    return max(1, min(MAX_VALIDITY_SECONDS, int((expires_at - now).total_seconds())))


def backoff(attempt: int, rng: random.Random, base: float = 2.0, cap: float = 300.0) -> timedelta:
    """Exponential backoff with full jitter: attempt 1 waits up to 2 s, then 4, 8, ... 300."""
    return timedelta(seconds=rng.uniform(0.5, 1.0) * min(cap, base * 2 ** (attempt - 1)))


class Outcome(StrEnum):
    RETRY = "retry"  # rate limited, server error, timeout, connection: try again later
    OPT_OUT = "opt_out"  # 21610: the recipient unsubscribed; never again
    TEMPLATE = "template"  # 63016: outside the window; once more as a template, if there is one
    PERMANENT = "permanent"  # anything else Twilio refuses


def classify(status: int | None, code: int | None) -> Outcome:
    if code == 21610:
        return Outcome.OPT_OUT
    if code == 63016:
        return Outcome.TEMPLATE
    if status is None or status in RETRYABLE_STATUS or code == 20429:
        return Outcome.RETRY
    return Outcome.PERMANENT
