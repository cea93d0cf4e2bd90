"""Programs and enrollments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import (
    MISSING,
    ConfigDict,
    Field,
)

from api.schemas.common import (
    Day,
    Flag,
    Input,
    Moment,
    Name,
    Ref,
    Stored,
)
from coaching.domain import (
    Channel,
    EnrollmentStatus,
    ProgramStatus,
    SegmentExit,
)

Share = Annotated[float, Field(ge=0.0, le=0.5, strict=True)]
ChangeShare = Annotated[
    float,
    Field(
        gt=0.0,
        le=1.0,
        strict=True,
        description="The largest share of the program's active enrollments one enrollment sync may "
        "change (additions and segment-driven ends); a larger change stops the sync for this "
        "program with a reason, and the others go on.",
    ),
]
Rate = Annotated[float, Field(ge=0.0, le=1.0, strict=True)]


class Objectives(Input):
    """Targets the progress marts report each program against (`program_progress`)."""

    completion_share: Rate | None = Field(
        default=None, description="Share of (non-holdout) enrollments that complete the journey."
    )
    reply_rate: Rate | None = Field(
        default=None, description="Share of delivered messages answered within 24 hours."
    )


class ProgramCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Malaria season refresher",
                    "journey_id": "6f1c2a9e-0000-4000-8000-000000000001",
                    "starts_on": "2026-12-01",
                    "holdout_share": 0.1,
                }
            ]
        },
    )

    name: Name
    journey_id: Ref
    segment_id: Ref | None = None
    status: ProgramStatus = ProgramStatus.DRAFT
    starts_on: Day
    ends_on: Day | None = None
    holdout_share: Share = 0.0
    channel: Channel = Channel.WHATSAPP
    on_segment_exit: SegmentExit = SegmentExit.KEEP
    max_sync_change_share: ChangeShare = 0.25
    objectives: Objectives = Field(default_factory=Objectives)


class ProgramUpdate(Input):
    name: Name | MISSING = MISSING
    segment_id: Ref | None = None
    status: ProgramStatus | MISSING = MISSING
    starts_on: Day | MISSING = MISSING
    ends_on: Day | None = None
    holdout_share: Share | MISSING = MISSING
    channel: Channel | MISSING = MISSING
    on_segment_exit: SegmentExit | MISSING = MISSING
    max_sync_change_share: ChangeShare | MISSING = MISSING
    objectives: Objectives | MISSING = MISSING


class ProgramRead(Stored):
    name: str
    journey_id: str
    segment_id: str | None
    status: ProgramStatus
    starts_on: date
    ends_on: date | None
    holdout_share: float
    channel: Channel
    on_segment_exit: SegmentExit
    max_sync_change_share: float
    objectives: dict[str, float]


class EnrollmentCreate(Input):
    program_id: Ref
    worker_id: Ref
    enrolled_at: Moment | None = None
    is_holdout: Flag = False


class EnrollmentUpdate(Input):
    status: EnrollmentStatus | MISSING = MISSING
    ended_at: Moment | None = None


class EnrollmentRead(Stored):
    program_id: str
    worker_id: str
    enrolled_at: datetime
    status: EnrollmentStatus
    is_holdout: bool
    ended_at: datetime | None
