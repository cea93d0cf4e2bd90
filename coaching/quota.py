"""How many messages an organization may still send this month, as pure rules.

The monthly quota holds every send; urgent content (flagged on the content) may go past it by
the tier's grace allowance, and no further. The sender spends an `Allowance` as it sends, the API
reports one (`GET /usage`), and both count the month the same way (`coaching.store.usage`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from coaching.domain import TIER_LIMITS, Tier


def month_start(now: datetime) -> datetime:
    """The first instant of `now`'s month (UTC, as quotas are counted)."""
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Allowance:
    quota: int
    grace: int
    used: int = 0

    @classmethod
    def for_tier(cls, tier: str, quota: int, used: int = 0) -> Allowance:
        return cls(quota=quota, grace=TIER_LIMITS[Tier(tier)].grace_messages, used=used)

    def room(self, urgent: bool = False) -> int:
        """Sends still allowed: within the quota, or (urgent) within quota and grace."""
        bound = self.quota + (self.grace if urgent else 0)
        return max(0, bound - self.used)

    @property
    def left(self) -> int:
        return self.room(urgent=False)

    @property
    def grace_used(self) -> int:
        return min(self.grace, max(0, self.used - self.quota))

    def spend(self) -> None:
        self.used += 1
