"""Request and response models, separate from the table models: inputs forbid unknown fields and
say exactly what a client may set; outputs never carry secrets."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import (
    MISSING,
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    WithJsonSchema,
    model_validator,
)

from coaching.domain import (
    EXPERIMENT_METRICS,
    Channel,
    ContentKind,
    EnrollmentStatus,
    ExperimentLevel,
    ExperimentStatus,
    JourneyStatus,
    OrganizationType,
    ProgramStatus,
    Role,
    SegmentKind,
    Tier,
    TouchpointKind,
)
from coaching.segments.catalog import validate_rule
from coaching.segments.rules import MAX_RULE_DEPTH

E164 = Annotated[
    str,
    Field(pattern=r"^\+[1-9][0-9]{7,14}$", examples=["+254700000001"], description="E.164 phone"),
]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$", examples=["en", "sw"])]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["KE"])]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Label = Annotated[str, Field(min_length=1, max_length=80)]
Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,31}$")]
ContentSid = Annotated[str, Field(pattern=r"^HX[0-9a-f]{32}$", description="Twilio Content SID")]
_TIMEZONES = frozenset(available_timezones())


def _known_timezone(value: str) -> str:
    if value not in _TIMEZONES:
        raise ValueError(f"unknown IANA time zone {value!r}")
    return value


TimeZone = Annotated[
    str, Field(max_length=64, examples=["Africa/Nairobi"]), AfterValidator(_known_timezone)
]
# A reference to another row of the organization (a UUID; checked to exist by the route).
Ref = Annotated[str, Field(min_length=1, max_length=64)]


_WALL_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$")


def _wall_clock(value: Any) -> Any:
    """Only the text the schema publishes: no offset (the organization's or worker's zone
    applies), and none of the numbers-as-seconds Python would also take."""
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if not isinstance(value, str) or not _WALL_CLOCK.match(value):
        raise ValueError("a local time of day is HH:MM[:SS], with no offset")
    return value


# JSON Schema's `format: time` is RFC 3339's full-time, which requires an offset; a local time of
# day has none, so the schema says exactly what is sent and accepted instead.
WALL_CLOCK_SCHEMA = {
    "type": "string",
    "pattern": _WALL_CLOCK.pattern,
    "description": "A local time of day, HH:MM[:SS], with no offset.",
    "examples": ["09:00:00"],
}
WallClock = Annotated[time, WithJsonSchema(WALL_CLOCK_SCHEMA)]
LocalTime = Annotated[time, BeforeValidator(_wall_clock), WithJsonSchema(WALL_CLOCK_SCHEMA)]
# Strict: JSON `true` is not the number 1 nor "yes" a boolean, whatever Python would coerce.
Flag = Annotated[bool, Field(strict=True)]
# Free attributes: bounded keys and values, integers a JSON reader holds exactly, finite numbers.
AttributeValue = (
    Flag
    | Annotated[int, Field(strict=True, ge=-(2**53), le=2**53)]
    | Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-1e15, le=1e15)]
    | Annotated[str, Field(max_length=500)]
    | None
)
Attributes = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=64)], AttributeValue], Field(max_length=50)
]


def _valid_rule(value: dict[str, Any]) -> dict[str, Any]:
    rule, problems = validate_rule(value)
    if rule is None:
        raise ValueError("; ".join(f"{p.path}: {p.reason}" for p in problems))
    return rule.model_dump(mode="json")


RuleDocument = Annotated[
    dict[str, Any],
    AfterValidator(_valid_rule),
    Field(
        description=f"A rule tree over the feature catalog (GET /feature-catalog), at most "
        f"{MAX_RULE_DEPTH} groups deep.",
        examples=[
            {
                "root": {
                    "type": "group",
                    "combinator": "and",
                    "rules": [
                        {
                            "type": "condition",
                            "feature": "region",
                            "operator": "eq",
                            "value": "Coast",
                        }
                    ],
                }
            }
        ],
    ),
]


class Input(BaseModel):
    """A request body. In a PATCH, a field left out is left as it is; a field the store cannot
    hold empty is typed `X | MISSING` (absent, or a value), so an explicit null is refused with
    the field's path instead of reaching the row."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Stored(Output):
    id: str
    organization_id: str
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None
    updated_by: str | None = None


# --- organizations ------------------------------------------------------------------------------


class OrganizationRead(Output):
    id: str
    name: str
    slug: str
    type: OrganizationType
    tier: Tier
    approval_status: str
    country: str | None
    timezone: str
    quiet_hours_start: WallClock | None
    quiet_hours_end: WallClock | None
    monthly_message_quota: int
    whatsapp_sender: str | None
    sms_sender: str | None
    sms_fallback_enabled: bool


class OrganizationUpdate(Input):
    name: Name | MISSING = MISSING
    country: Country | None = None
    timezone: TimeZone | MISSING = MISSING
    quiet_hours_start: LocalTime | None = None
    quiet_hours_end: LocalTime | None = None
    whatsapp_sender: E164 | None = None
    sms_sender: E164 | None = None
    sms_fallback_enabled: Flag | MISSING = MISSING


class Registration(Input):
    """A new organization and its first admin."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Coast Health Alliance",
                    "slug": "coast-health",
                    "type": "client",
                    "country": "KE",
                    "timezone": "Africa/Nairobi",
                    "admin_email": "admin@coast-health.example.org",
                    "admin_name": "Grace Wanjiru",
                    "admin_password": "correct horse battery staple",
                }
            ]
        },
    )

    name: Name
    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]{2,79}$")]
    type: OrganizationType
    country: Country | None = None
    timezone: TimeZone = "UTC"
    admin_email: EmailStr
    admin_name: Name
    admin_password: Annotated[str, Field(min_length=12, max_length=128)]


# --- users and API keys -------------------------------------------------------------------------

Password = Annotated[str, Field(min_length=12, max_length=128)]


class UserRead(Stored):
    email: str
    full_name: str
    role: Role
    is_active: bool
    last_login_at: datetime | None


class UserCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "email": "manager@example.org",
                    "full_name": "Grace Wanjiru",
                    "role": "program_manager",
                    "password": "correct horse battery staple",
                }
            ]
        },
    )

    email: EmailStr
    full_name: Name
    role: Role
    password: Password


class UserUpdate(Input):
    full_name: Name | MISSING = MISSING
    role: Role | MISSING = MISSING
    is_active: Flag | MISSING = MISSING
    password: Password | None = None


class ApiKeyRead(Stored):
    name: str
    prefix: str
    role: Role
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreate(Input):
    name: Name
    role: Role
    expires_at: datetime | None = None


class ApiKeyUpdate(Input):
    name: Name | MISSING = MISSING


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret: shown once, store it now.")


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


# --- workers ------------------------------------------------------------------------------------


class WorkerFields(Input):
    external_id: Annotated[str, Field(max_length=64)] | None = None
    display_name: Name | None = None
    language: Language = "en"
    timezone: TimeZone = "UTC"
    country: Country | None = None
    region: Label | None = None
    district: Label | None = None
    team: Label | None = None
    job_role: Label | None = None
    hire_date: date | None = None
    whatsapp_opt_in_at: datetime | None = None
    attributes: Attributes = {}


class WorkerCreate(WorkerFields):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "phone_e164": "+254700000001",
                    "display_name": "Amina Njeri",
                    "language": "sw",
                    "timezone": "Africa/Nairobi",
                    "region": "Coast",
                    "team": "Coast A",
                    "job_role": "community_health_worker",
                }
            ]
        },
    )

    phone_e164: E164


class WorkerUpdate(Input):
    phone_e164: E164 | MISSING = MISSING
    external_id: Annotated[str, Field(max_length=64)] | None = None
    display_name: Name | None = None
    language: Language | MISSING = MISSING
    timezone: TimeZone | MISSING = MISSING
    country: Country | None = None
    region: Label | None = None
    district: Label | None = None
    team: Label | None = None
    job_role: Label | None = None
    hire_date: date | None = None
    whatsapp_opt_in_at: datetime | None = None
    whatsapp_opt_out_at: datetime | None = None
    attributes: Attributes | MISSING = MISSING


class WorkerRead(Stored):
    phone_e164: str
    external_id: str | None
    display_name: str | None
    language: str
    timezone: str
    country: str | None
    region: str | None
    district: str | None
    team: str | None
    job_role: str | None
    hire_date: date | None
    whatsapp_opt_in_at: datetime | None
    whatsapp_opt_out_at: datetime | None
    attributes: dict[str, Any]


class ImportRowError(BaseModel):
    line: int
    path: str
    reason: str


class ImportResult(BaseModel):
    created: int
    rejected: int
    errors: list[ImportRowError]


# --- segments -----------------------------------------------------------------------------------


class SegmentCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Coast CHWs",
                    "kind": "location",
                    "rule": {
                        "root": {
                            "type": "group",
                            "combinator": "and",
                            "rules": [
                                {
                                    "type": "condition",
                                    "feature": "region",
                                    "operator": "eq",
                                    "value": "Coast",
                                },
                                {
                                    "type": "condition",
                                    "feature": "tenure_days",
                                    "operator": "gte",
                                    "value": 30,
                                },
                            ],
                        }
                    },
                }
            ]
        },
    )

    name: Name
    description: Annotated[str, Field(max_length=2000)] | None = None
    kind: SegmentKind
    rule: RuleDocument
    is_active: Flag = True


class SegmentUpdate(Input):
    name: Name | MISSING = MISSING
    description: Annotated[str, Field(max_length=2000)] | None = None
    kind: SegmentKind | MISSING = MISSING
    rule: RuleDocument | MISSING = MISSING
    is_active: Flag | MISSING = MISSING


class SegmentRead(Stored):
    name: str
    description: str | None
    kind: SegmentKind
    rule: dict[str, Any]
    is_active: bool


class SegmentPreviewRequest(Input):
    rule: RuleDocument


class SegmentPreview(BaseModel):
    members: int
    workers: int = Field(description="Workers in the published features, the denominator.")
    as_of: str | None = Field(description="When the features were published.")


# --- content ------------------------------------------------------------------------------------


class ContentCreate(Input):
    key: Key
    kind: ContentKind
    description: Annotated[str, Field(max_length=2000)] | None = None
    correct_answer: Annotated[str, Field(max_length=16)] | None = None


class ContentUpdate(Input):
    description: Annotated[str, Field(max_length=2000)] | None = None
    correct_answer: Annotated[str, Field(max_length=16)] | None = None


class ContentRead(Stored):
    key: str
    kind: ContentKind
    description: str | None
    correct_answer: str | None


class ContentVariantCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "content_id": "6f1c2a9e-0000-4000-8000-000000000003",
                    "variant_key": "story",
                    "language": "sw",
                    "body": "Habari {{1}}! Leo tujifunze...",
                    "template_sid": "HX0123456789abcdef0123456789abcdef",
                    "template_variables": {"1": "first_name"},
                }
            ]
        },
    )

    content_id: Ref
    variant_key: Key = "default"
    language: Language
    body: Annotated[str, Field(min_length=1, max_length=1600)] | None = None
    template_sid: ContentSid | None = None
    template_variables: Annotated[
        dict[Annotated[str, Field(max_length=8)], Annotated[str, Field(max_length=200)]],
        Field(max_length=20),
    ] = {}

    @model_validator(mode="after")
    def _something_to_send(self) -> ContentVariantCreate:
        if self.body is None and self.template_sid is None:
            raise ValueError("a variant needs a body, a template_sid, or both")
        return self


class ContentVariantUpdate(Input):
    body: Annotated[str, Field(min_length=1, max_length=1600)] | None = None
    template_sid: ContentSid | None = None
    template_variables: (
        Annotated[
            dict[Annotated[str, Field(max_length=8)], Annotated[str, Field(max_length=200)]],
            Field(max_length=20),
        ]
        | MISSING
    ) = MISSING


class ContentVariantRead(Stored):
    content_id: str
    variant_key: str
    language: str
    body: str | None
    template_sid: str | None
    template_variables: dict[str, Any]


# --- journeys -----------------------------------------------------------------------------------


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
    after_days: Annotated[int, Field(ge=1, le=30, strict=True)]


class TouchpointSpec(Input):
    name: Name
    kind: TouchpointKind
    day_offset: Annotated[int, Field(ge=0, le=3650, strict=True)]
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


# --- programs and enrollments -------------------------------------------------------------------

Share = Annotated[float, Field(ge=0.0, le=0.5, strict=True)]


class ProgramCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
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
    starts_on: date
    ends_on: date | None = None
    holdout_share: Share = 0.0
    channel: Channel = Channel.WHATSAPP


class ProgramUpdate(Input):
    name: Name | MISSING = MISSING
    segment_id: Ref | None = None
    status: ProgramStatus | MISSING = MISSING
    starts_on: date | MISSING = MISSING
    ends_on: date | None = None
    holdout_share: Share | MISSING = MISSING
    channel: Channel | MISSING = MISSING


class ProgramRead(Stored):
    name: str
    journey_id: str
    segment_id: str | None
    status: ProgramStatus
    starts_on: date
    ends_on: date | None
    holdout_share: float
    channel: Channel


class EnrollmentCreate(Input):
    program_id: Ref
    worker_id: Ref
    enrolled_at: datetime | None = None
    is_holdout: Flag = False


class EnrollmentUpdate(Input):
    status: EnrollmentStatus | MISSING = MISSING
    ended_at: datetime | None = None


class EnrollmentRead(Stored):
    program_id: str
    worker_id: str
    enrolled_at: datetime
    status: EnrollmentStatus
    is_holdout: bool
    ended_at: datetime | None


# --- experiments --------------------------------------------------------------------------------

Metric = Literal[EXPERIMENT_METRICS]  # type: ignore[valid-type]


class ExperimentCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Day-3 message: tip vs story",
                    "level": "journey",
                    "touchpoint_id": "6f1c2a9e-0000-4000-8000-000000000002",
                    "primary_metric": "reply_rate_24h",
                    "guardrail_metrics": ["opt_out_rate", "delivery_failure_rate"],
                }
            ]
        },
    )

    name: Name
    level: ExperimentLevel
    hypothesis: Annotated[str, Field(max_length=4000)] | None = None
    program_id: Ref | None = None
    touchpoint_id: Ref | None = None
    segment_id: Ref | None = None
    primary_metric: Metric
    guardrail_metrics: Annotated[list[Metric], Field(max_length=4)] = []
    is_adaptive: Flag = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @model_validator(mode="after")
    def _target_fits_level(self) -> ExperimentCreate:
        if self.level == ExperimentLevel.JOURNEY and self.touchpoint_id is None:
            raise ValueError("a journey-level experiment tests a touchpoint: set touchpoint_id")
        if self.level == ExperimentLevel.PROGRAM and self.program_id is None:
            raise ValueError("a program-level experiment tests a program: set program_id")
        return self


class ExperimentUpdate(Input):
    name: Name | MISSING = MISSING
    hypothesis: Annotated[str, Field(max_length=4000)] | None = None
    segment_id: Ref | None = None
    status: ExperimentStatus | MISSING = MISSING
    guardrail_metrics: Annotated[list[Metric], Field(max_length=4)] | MISSING = MISSING
    is_adaptive: Flag | MISSING = MISSING
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class ExperimentRead(Stored):
    name: str
    level: ExperimentLevel
    hypothesis: str | None
    program_id: str | None
    touchpoint_id: str | None
    segment_id: str | None
    status: ExperimentStatus
    salt: str
    primary_metric: str
    guardrail_metrics: list[str]
    is_adaptive: bool
    starts_at: datetime | None
    ends_at: datetime | None


class ExperimentVariantCreate(Input):
    experiment_id: Ref
    key: Key
    name: Name
    is_control: Flag = False
    weight: Annotated[float, Field(gt=0.0, le=1.0, strict=True)]
    content_variant_key: Key | None = None
    settings: Attributes = {}


class ExperimentVariantUpdate(Input):
    name: Name | MISSING = MISSING
    weight: Annotated[float, Field(gt=0.0, le=1.0, strict=True)] | MISSING = MISSING
    content_variant_key: Key | None = None
    settings: Attributes | MISSING = MISSING


class ExperimentVariantRead(Stored):
    experiment_id: str
    key: str
    name: str
    is_control: bool
    weight: float
    content_variant_key: str | None
    settings: dict[str, Any]


class AuditEntryRead(Output):
    id: int
    actor: str
    action: str
    entity: str
    entity_id: str
    changes: dict[str, Any]
    at: datetime
