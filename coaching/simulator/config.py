"""What a simulation run is asked to produce."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from coaching.errors import InputError


def today_utc() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that determines a simulated world: the same config gives the same output.

    The simulated days are the `days` calendar days before `end_date`; the last `live_days` of them
    reach the operational store as if webhooks had delivered them, the earlier ones are written to
    the landing folder as a bulk history export.
    """

    seed: int = 7
    workers: int = 2_000
    days: int = 30
    end_date: date = field(default_factory=today_utc)
    client_organizations: int = 4
    expert_organizations: int = 2
    live_days: int = 1
    dirty_share: float = 0.01
    chunk_size: int = 50_000
    send_block: int = 100_000

    def __post_init__(self) -> None:
        problems = []
        if self.workers < 1:
            problems.append("--workers must be at least 1")
        if self.days < 1:
            problems.append("--days must be at least 1")
        if not 0 <= self.live_days <= self.days:
            problems.append("--live-days must be between 0 and --days")
        if self.client_organizations < 1:
            problems.append("--client-organizations must be at least 1")
        if self.expert_organizations < 0:
            problems.append("--expert-organizations must not be negative")
        if not 0 <= self.dirty_share <= 0.2:
            problems.append("--dirty-share must be between 0 and 0.2")
        if self.chunk_size < 1 or self.send_block < 1:
            problems.append("chunk sizes must be positive")
        if problems:
            raise InputError("; ".join(problems))

    @property
    def start_date(self) -> date:
        return date.fromordinal(self.end_date.toordinal() - self.days)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["end_date"] = self.end_date.isoformat()
        data["start_date"] = self.start_date.isoformat()
        return data
