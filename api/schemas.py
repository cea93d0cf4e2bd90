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
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
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
from coaching.segments.rules import MAX_RULE_DEPTH, Condition, SegmentRule

E164 = Annotated[
    str,
    Field(pattern=r"^\+[1-9][0-9]{7,14}$", examples=["+254700000001"], description="E.164 phone"),
]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$", examples=["en", "sw"])]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["KE"])]
# Text people type has no leading or trailing blanks: refused rather than silently trimmed, so
# what the schema publishes is exactly what is accepted (trimming broke its length bounds).
TRIMMED = r"^[^ \t\r\n]([^\r\n]*[^ \t\r\n])?$"
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=TRIMMED)]
Label = Annotated[str, Field(min_length=1, max_length=80, pattern=TRIMMED)]
# An address with one @ and a dot in its domain; deliverability is the mail server's to judge.
Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        # Explicit ranges, not \s: regex engines disagree on what Unicode calls a space.
        pattern=r"^[^@\x00-\x20\x7f]+@[^@\x00-\x20\x7f]+\.[^@\x00-\x20\x7f]+$",
        examples=["admin@coast-health.example.org"],
    ),
]


def _whole(value: Any) -> Any:
    """JSON integers only: `true` and "5" are not numbers, 5.0 is."""
    if isinstance(value, bool | str):
        raise ValueError("a whole number is required")
    return value


def _text(value: Any) -> Any:
    """Dates and times arrive as the ISO text the schema publishes, never as epoch numbers."""
    if isinstance(value, bool | int | float):
        raise ValueError("an ISO 8601 string is required")
    return value


# RFC 3339 date-times carry an offset; a naive one would be a guess about the zone.
Moment = Annotated[AwareDatetime, BeforeValidator(_text)]
Day = Annotated[date, BeforeValidator(_text)]


def whole(low: int, high: int) -> Any:
    """A JSON integer in [low, high] (bounds before the validator, so the schema shows them)."""
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_whole)]


Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,31}$")]
ContentSid = Annotated[str, Field(pattern=r"^HX[0-9a-f]{32}$", description="Twilio Content SID")]
_TIMEZONES = frozenset(available_timezones())


def _known_timezone(value: str) -> str:
    if value not in _TIMEZONES:
        raise ValueError(f"unknown IANA time zone {value!r}")
    return value


TimeZone = Annotated[
    str,
    Field(
        max_length=64,
        examples=["Africa/Nairobi"],
        json_schema_extra={"enum": sorted(_TIMEZONES)},  # exactly the zones accepted
    ),
    AfterValidator(_known_timezone),
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
    | whole(-(2**53), 2**53)
    | Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-1e15, le=1e15)]
    | Annotated[str, Field(max_length=500)]
    | None
)
Attributes = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=64)], AttributeValue], Field(max_length=50)
]


def _untyped_node(document: Any) -> str | None:
    """The path of the first node without `type` (code may omit it; documents may not)."""
    stack: list[tuple[Any, str]] = [
        (document.get("root") if isinstance(document, dict) else None, "root")
    ]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, dict):
            continue
        if "type" not in node:
            return path
        if isinstance(node.get("rules"), list):
            stack.extend((child, f"{path}.rules[{i}]") for i, child in enumerate(node["rules"]))
    return None


def _valid_rule(value: Any) -> SegmentRule:
    """Depth first (a hostile document may nest past any parser's patience), then the shape, then
    the catalog: the published schema is the shape; the catalog is GET /feature-catalog."""
    if isinstance(value, SegmentRule):
        value = value.model_dump(mode="json")
    if untyped := _untyped_node(value):
        raise ValueError(f"{untyped}: every group and condition names its type")
    rule, problems = validate_rule(value)
    if rule is None:
        raise ValueError("; ".join(f"{p.path}: {p.reason}" for p in problems))
    return rule


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its local `$defs` written in place (for nesting it by hand)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    return walk(schema)


def bounded_rule_schema(depth: int = MAX_RULE_DEPTH) -> dict[str, Any]:
    """The rule tree's schema unrolled to the depth the API accepts, instead of the model's
    recursive one: it says exactly what is accepted (no deeper tree), and a client or a fuzzer
    generating from it never recurses without end."""
    condition = _inlined(Condition.model_json_schema())
    group: dict[str, Any] | None = None
    for _ in range(depth):
        children = [condition] if group is None else [condition, group]
        group = {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "combinator", "rules"],
            "properties": {
                "type": {"const": "group"},
                "combinator": {"enum": ["and", "or"]},
                "rules": {"type": "array", "minItems": 1, "maxItems": 50,
                          "items": {"anyOf": children}},
            },
        }  # fmt: skip
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["root"],
        "properties": {"root": group},
    }


RuleDocument = Annotated[
    SegmentRule,
    BeforeValidator(_valid_rule),
    WithJsonSchema(bounded_rule_schema()),
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


PRESENT = {"not": {"type": "null"}}  # in a published cross-field rule: set, and not null


class Input(BaseModel):
    """A request body. In a PATCH, a field left out is left as it is; a field the store cannot
    hold empty is typed `X | MISSING` (absent, or a value), so an explicit null is refused with
    the field's path instead of reaching the row."""

    model_config = ConfigDict(extra="forbid")


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
    admin_email: Email
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

    email: Email
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
    expires_at: Moment | None = None


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
    hire_date: Day | None = None
    whatsapp_opt_in_at: Moment | None = None
    attributes: Attributes = {}


class WorkerCreate(WorkerFields):
    model_config = ConfigDict(
        extra="forbid",
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
    hire_date: Day | None = None
    whatsapp_opt_in_at: Moment | None = None
    whatsapp_opt_out_at: Moment | None = None
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
            ],
            # The rule of `_something_to_send`, published: a body or a template_sid, not null.
            "anyOf": [
                {"required": ["body"], "properties": {"body": PRESENT}},
                {"required": ["template_sid"], "properties": {"template_sid": PRESENT}},
            ],
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


# --- programs and enrollments -------------------------------------------------------------------

Share = Annotated[float, Field(ge=0.0, le=0.5, strict=True)]


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


class ProgramUpdate(Input):
    name: Name | MISSING = MISSING
    segment_id: Ref | None = None
    status: ProgramStatus | MISSING = MISSING
    starts_on: Day | MISSING = MISSING
    ends_on: Day | None = None
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


# --- experiments --------------------------------------------------------------------------------

Metric = Literal[EXPERIMENT_METRICS]  # type: ignore[valid-type]


class ExperimentCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Day-3 message: tip vs story",
                    "level": "journey",
                    "touchpoint_id": "6f1c2a9e-0000-4000-8000-000000000002",
                    "primary_metric": "reply_rate_24h",
                    "guardrail_metrics": ["opt_out_rate", "delivery_failure_rate"],
                }
            ],
            # The rule of `_target_fits_level`, published.
            "anyOf": [
                {
                    "properties": {
                        "level": {"const": "journey"},
                        "touchpoint_id": PRESENT,
                    },
                    "required": ["touchpoint_id"],
                },
                {
                    "properties": {"level": {"const": "program"}, "program_id": PRESENT},
                    "required": ["program_id"],
                },
            ],
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
    starts_at: Moment | None = None
    ends_at: Moment | None = None

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
    starts_at: Moment | None = None
    ends_at: Moment | None = None


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
