"""Request and response models, separate from the table models: inputs forbid unknown fields and
say exactly what a client may set; outputs never carry secrets."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

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


TimeZone = Annotated[str, Field(examples=["Africa/Nairobi"]), AfterValidator(_known_timezone)]


def _wall_clock(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError(
            "a local time of day takes no offset: the organization's or worker's zone applies"
        )
    return value


LocalTime = Annotated[time, AfterValidator(_wall_clock), Field(examples=["09:00:00"])]
Attributes = Annotated[dict[str, str | int | float | bool | None], Field(max_length=50)]


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
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    monthly_message_quota: int
    whatsapp_sender: str | None
    sms_sender: str | None
    sms_fallback_enabled: bool


class OrganizationUpdate(Input):
    name: Name | None = None
    country: Country | None = None
    timezone: TimeZone | None = None
    quiet_hours_start: LocalTime | None = None
    quiet_hours_end: LocalTime | None = None
    whatsapp_sender: E164 | None = None
    sms_sender: E164 | None = None
    sms_fallback_enabled: bool | None = None


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
    full_name: Name | None = None
    role: Role | None = None
    is_active: bool | None = None
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
    name: Name | None = None


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
    phone_e164: E164 | None = None
    external_id: Annotated[str, Field(max_length=64)] | None = None
    display_name: Name | None = None
    language: Language | None = None
    timezone: TimeZone | None = None
    country: Country | None = None
    region: Label | None = None
    district: Label | None = None
    team: Label | None = None
    job_role: Label | None = None
    hire_date: date | None = None
    whatsapp_opt_in_at: datetime | None = None
    whatsapp_opt_out_at: datetime | None = None
    attributes: Attributes | None = None


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
    is_active: bool = True


class SegmentUpdate(Input):
    name: Name | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    kind: SegmentKind | None = None
    rule: RuleDocument | None = None
    is_active: bool | None = None


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

    content_id: str
    variant_key: Key = "default"
    language: Language
    body: Annotated[str, Field(min_length=1, max_length=1600)] | None = None
    template_sid: ContentSid | None = None
    template_variables: Annotated[dict[str, str], Field(max_length=20)] = {}

    @model_validator(mode="after")
    def _something_to_send(self) -> ContentVariantCreate:
        if self.body is None and self.template_sid is None:
            raise ValueError("a variant needs a body, a template_sid, or both")
        return self


class ContentVariantUpdate(Input):
    body: Annotated[str, Field(min_length=1, max_length=1600)] | None = None
    template_sid: ContentSid | None = None
    template_variables: Annotated[dict[str, str], Field(max_length=20)] | None = None


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
    name: Name | None = None
    description: Annotated[str, Field(max_length=4000)] | None = None
    languages: Annotated[list[Language], Field(min_length=1, max_length=10)] | None = None
    status: JourneyStatus | None = None
    is_marketplace_listed: bool | None = None


class JourneyRead(Stored):
    name: str
    description: str | None
    status: JourneyStatus
    languages: list[str]
    is_marketplace_listed: bool
    source_journey_id: str | None


class FollowUp(Input):
    """A nudge sent when the worker has not replied `after_days` after the touchpoint."""

    content_id: str
    after_days: Annotated[int, Field(ge=1, le=30)]


class TouchpointSpec(Input):
    name: Name
    kind: TouchpointKind
    day_offset: Annotated[int, Field(ge=0, le=3650)]
    local_send_time: LocalTime
    content_id: str
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
    local_send_time: time
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

Share = Annotated[float, Field(ge=0.0, le=0.5)]


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
    journey_id: str
    segment_id: str | None = None
    status: ProgramStatus = ProgramStatus.DRAFT
    starts_on: date
    ends_on: date | None = None
    holdout_share: Share = 0.0
    channel: Channel = Channel.WHATSAPP


class ProgramUpdate(Input):
    name: Name | None = None
    segment_id: str | None = None
    status: ProgramStatus | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    holdout_share: Share | None = None
    channel: Channel | None = None


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
    program_id: str
    worker_id: str
    enrolled_at: datetime | None = None
    is_holdout: bool = False


class EnrollmentUpdate(Input):
    status: EnrollmentStatus | None = None
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
    program_id: str | None = None
    touchpoint_id: str | None = None
    segment_id: str | None = None
    primary_metric: Metric
    guardrail_metrics: Annotated[list[Metric], Field(max_length=4)] = []
    is_adaptive: bool = False
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
    name: Name | None = None
    hypothesis: Annotated[str, Field(max_length=4000)] | None = None
    segment_id: str | None = None
    status: ExperimentStatus | None = None
    guardrail_metrics: Annotated[list[Metric], Field(max_length=4)] | None = None
    is_adaptive: bool | None = None
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
    experiment_id: str
    key: Key
    name: Name
    is_control: bool = False
    weight: Annotated[float, Field(gt=0.0, le=1.0)]
    content_variant_key: Key | None = None
    settings: Attributes = {}


class ExperimentVariantUpdate(Input):
    name: Name | None = None
    weight: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    content_variant_key: Key | None = None
    settings: Attributes | None = None


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
