"""Journeys and their structure: phases and touchpoints as one document."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    MISSING,
    AliasChoices,
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
from coaching.journey_rules import CHECK_IN_SCALE, MAX_AFTER_DAYS, RuleKind

Keyword = Annotated[str, Field(pattern=r"^[A-Z0-9]{1,40}$", description="Upper case, one word")]


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


class ReplyKeyword(Input):
    """The worker's first reply, trimmed and in upper case, is one of the keywords."""

    kind: Literal[RuleKind.REPLY_KEYWORD]
    keywords: Annotated[list[Keyword], Field(min_length=1, max_length=20)]


class QuizAnswer(Input):
    """The quiz was answered, right (`correct: true`) or wrong."""

    kind: Literal[RuleKind.QUIZ_ANSWER]
    correct: Flag


class CheckInBelow(Input):
    """The check-in score (1 to 5) is below `score`."""

    kind: Literal[RuleKind.CHECK_IN_BELOW]
    score: whole(CHECK_IN_SCALE[0] + 1, CHECK_IN_SCALE[1])


class NoReply(Input):
    """No reply came by the rule's `after_days` after the send."""

    kind: Literal[RuleKind.NO_REPLY]


class InSegment(Input):
    """The worker is (`member: true`) or is no longer (`member: false`) in a segment."""

    kind: Literal[RuleKind.SEGMENT]
    segment_id: Ref
    member: Flag = True


Condition = Annotated[
    ReplyKeyword | QuizAnswer | CheckInBelow | NoReply | InSegment, Field(discriminator="kind")
]


class JourneyRule(Input):
    """When the condition holds after the touchpoint was sent, go to the touchpoint named `goto`
    (or end the journey when it is null) `after_days` after the send."""

    when: Condition
    goto: Name | None
    after_days: whole(0, MAX_AFTER_DAYS) = 1


class TouchpointSpec(Input):
    name: Name
    kind: TouchpointKind
    day_offset: whole(0, 3650) = Field(
        description="Main flow: days after enrollment. A branch is timed by the rule leading to it."
    )
    local_send_time: LocalTime
    content_id: Ref
    follow_up: FollowUp | None = None
    branch: Flag = Field(
        default=False, description="Reached only through a rule, never by the main flow."
    )
    next: Name | None = Field(
        default=None,
        description="Where the worker goes after this touchpoint when no rule matches "
        "(default: the next main-flow touchpoint after it).",
    )
    rules: Annotated[list[JourneyRule], Field(max_length=10)] = []


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
    branch: bool
    next: str | None = Field(validation_alias=AliasChoices("next", "next_name"))
    rules: list[dict[str, Any]]


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
