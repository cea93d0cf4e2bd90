"""How long an organization keeps what its workers were sent and wrote.

Pure: the retention job (orchestration/lib/retention.py) asks each organization's cutoff here;
the bounds are what the API accepts for `message_retention_days`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 3650  # ten years: longer is "until asked", which is no setting at all


def cutoff(now: datetime, retention_days: int | None) -> datetime | None:
    """Messages older than this are purged; None when the organization keeps them."""
    if retention_days is None:
        return None
    if not MIN_RETENTION_DAYS <= retention_days <= MAX_RETENTION_DAYS:
        raise ValueError(
            f"retention of {retention_days} days is outside "
            f"{MIN_RETENTION_DAYS}..{MAX_RETENTION_DAYS}"
        )
    return now - timedelta(days=retention_days)
