"""Journeys and their structure: phases and touchpoints as one document."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    MISSING,
    BaseModel,
    Field,
)

from api.schemas.common import (
    Flag,
    Input,
    Language,
    LocalTime,
    Name,
    Output,
    Ref,
    Stored,
    WallClock,
    whole,
)
from coaching.domain import (
    JourneyStatus,
    TouchpointKind,
)


class JourneyCreate(Input):
    name: Name
    description: Annotated[str, Field(max_length=4000)] | None = None
    languages: Annotated[list[Language], Field(min_length=1, max_length=10)] = ["en"]


class JourneyUpdate(Input):
    name: Name | MISSING = MISSING
    description: Annotated[str, Field(max_length=4000)] | None = None
    languages: Annotated[list[Language], Field(min_length=1, max_length=10)] | MISSING = MISSING
    status: JourneyStatus | MISSING = MISSING
    is_marketplace_listed: Flag | MISSING = MISSING


class JourneyRead(Stored):
    name: str
    description: str | None
    status: JourneyStatus
    languages: list[str]
    is_marketplace_listed: bool
    source_journey_id: str | None


class FollowUp(Input):
    """A nudge sent when the worker has not replied `after_days` after the touchpoint."""

    content_id: Ref
    after_days: whole(1, 30)


class TouchpointSpec(Input):
    name: Name
    kind: TouchpointKind
    day_offset: whole(0, 3650)
    local_send_time: LocalTime
    content_id: Ref
    follow_up: FollowUp | None = None


class PhaseSpec(Input):
    name: Name
    description: Annotated[str, Field(max_length=2000)] | None = None
    touchpoints: Annotated[list[TouchpointSpec], Field(max_length=200)]


class JourneyStructure(Input):
    """Phases in order, each with its touchpoints in order; positions come from the order."""

    phases: Annotated[list[PhaseSpec], Field(min_length=1, max_length=50)]


class TouchpointRead(Output):
    id: str
    position: int
    name: str
    kind: TouchpointKind
    day_offset: int
    local_send_time: WallClock
    content_id: str
    follow_up: dict[str, Any] | None


class PhaseRead(Output):
    id: str
    position: int
    name: str
    description: str | None
    touchpoints: list[TouchpointRead]


class JourneyStructureRead(BaseModel):
    journey_id: str
    phases: list[PhaseRead]
    problems: list[str] = Field(
        description="What stops this journey from being published (empty when it can be)."
    )
