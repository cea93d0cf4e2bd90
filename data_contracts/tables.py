"""The contract of every bronze table."""

from __future__ import annotations

from coaching.domain import (
    ApprovalStatus,
    Channel,
    ContentKind,
    EnrollmentStatus,
    EventKind,
    ExperimentLevel,
    ExperimentStatus,
    JourneyStatus,
    MessageStatus,
    OrganizationType,
    ProgramStatus,
    SegmentKind,
    Tier,
    TouchpointKind,
)
from data_contracts.contract import E164_PATTERN, PERIOD_PATTERN, Column, Contract, Reference

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _values(enum: type) -> tuple[str, ...]:
    return tuple(member.value for member in enum)  # type: ignore[attr-defined]


def _id(name: str = "id", required: bool = True, description: str = "") -> Column:
    return Column(name, required=required, pattern=UUID_PATTERN, description=description)


# Columns every operational table has; organizations carries its own id as organization_id.
AUDIT = (
    Column("created_at", "TIMESTAMPTZ", required=True, description="When the row was created (UTC)."),
    Column("updated_at", "TIMESTAMPTZ", required=True, description="Last change (UTC); the ingestion watermark."),
    Column("created_by", description="Who created the row."),
    Column("updated_by", description="Who changed it last."),
    Column("deleted_at", "TIMESTAMPTZ", description="Soft-delete time; set rows are deletions carried to the lake."),
)  # fmt: skip
TENANT = (_id(description="Row id."), _id("organization_id", description="The tenant."))


def operational(table: str, description: str, *columns: Column, **kwargs: object) -> Contract:
    return Contract(
        table=table,
        description=description,
        columns=(*TENANT, *columns, *AUDIT),
        key=("id", "updated_at"),
        **kwargs,  # type: ignore[arg-type]
    )


ORGANIZATIONS = operational(
    "organizations",
    "Tenants: client organizations run programs, expert organizations publish journeys.",
    Column("name", required=True),
    Column("slug", required=True),
    Column("type", required=True, allowed=_values(OrganizationType)),
    Column("tier", required=True, allowed=_values(Tier)),
    Column("approval_status", required=True, allowed=_values(ApprovalStatus)),
    Column("country"),
    Column("timezone", required=True),
    Column("quiet_hours_start", "TIME"),
    Column("quiet_hours_end", "TIME"),
    Column("monthly_message_quota", "BIGINT", required=True, minimum=0),
    Column("whatsapp_sender", pattern=E164_PATTERN),
    Column("sms_sender", pattern=E164_PATTERN),
    Column("sms_fallback_enabled", "BOOLEAN", required=True),
)
WORKERS = operational(
    "workers",
    "Frontline workers: the audience of coaching, with their attributes and WhatsApp consent.",
    Column("external_id", description="The HR system's employee id."),
    Column("display_name"),
    Column("phone_e164", required=True, pattern=E164_PATTERN),
    Column("whatsapp_opt_in_at", "TIMESTAMPTZ"),
    Column("whatsapp_opt_out_at", "TIMESTAMPTZ"),
    Column("language", required=True),
    Column("timezone", required=True),
    Column("country"),
    Column("region"),
    Column("district"),
    Column("team"),
    Column("job_role"),
    Column("hire_date", "DATE"),
    Column("attributes", is_json=True),
)
SEGMENTS = operational(
    "segments",
    "Segment definitions: a rule tree over worker features (JSON).",
    Column("name", required=True),
    Column("description", multiline=True),
    Column("kind", required=True, allowed=_values(SegmentKind)),
    Column("rule", required=True, is_json=True),
    Column("is_active", "BOOLEAN", required=True),
)
CONTENT = operational(
    "content",
    "Content items; text or templates live in content_variants.",
    Column("key", required=True),
    Column("kind", required=True, allowed=_values(ContentKind)),
    Column("description", multiline=True),
    Column("correct_answer"),
)
CONTENT_VARIANTS = operational(
    "content_variants",
    "Per-language, per-variant text or Twilio template of a content item.",
    _id("content_id"),
    Column("variant_key", required=True),
    Column("language", required=True),
    Column("body", multiline=True),
    Column("template_sid"),
    Column("template_variables", is_json=True),
    conditions=(("missing:body_or_template", "body is not null or template_sid is not null"),),
)
JOURNEYS = operational(
    "journeys",
    "Journey blueprints (no runtime state).",
    Column("name", required=True),
    Column("description", multiline=True),
    Column("status", required=True, allowed=_values(JourneyStatus)),
    Column("languages", is_json=True),
    Column("is_marketplace_listed", "BOOLEAN", required=True),
    _id("source_journey_id", required=False),
)
JOURNEY_PHASES = operational(
    "journey_phases",
    "Ordered phases of a journey.",
    _id("journey_id"),
    Column("position", "INTEGER", required=True, minimum=0),
    Column("name", required=True),
    Column("description", multiline=True),
)
TOUCHPOINTS = operational(
    "touchpoints",
    "What a journey sends, when (day offset, local time), and its follow-up rule.",
    _id("journey_id"),
    _id("phase_id"),
    Column("position", "INTEGER", required=True, minimum=0),
    Column("name", required=True),
    Column("kind", required=True, allowed=_values(TouchpointKind)),
    Column("day_offset", "INTEGER", required=True, minimum=0),
    Column("local_send_time", "TIME", required=True),
    _id("content_id"),
    Column("follow_up", is_json=True),
)
PROGRAMS = operational(
    "programs",
    "A journey run for a target segment over a timeline.",
    Column("name", required=True),
    _id("journey_id"),
    _id("segment_id", required=False),
    Column("status", required=True, allowed=_values(ProgramStatus)),
    Column("starts_on", "DATE", required=True),
    Column("ends_on", "DATE"),
    Column("holdout_share", "DOUBLE", required=True, minimum=0, maximum=1),
    Column("channel", required=True, allowed=_values(Channel)),
)
ENROLLMENTS = operational(
    "enrollments",
    "Workers enrolled in programs.",
    _id("program_id"),
    _id("worker_id"),
    Column("enrolled_at", "TIMESTAMPTZ", required=True),
    Column("status", required=True, allowed=_values(EnrollmentStatus)),
    Column("is_holdout", "BOOLEAN", required=True),
    Column("ended_at", "TIMESTAMPTZ"),
)
EXPERIMENTS = operational(
    "experiments",
    "Journey-level (content) and program-level (implementation) experiments.",
    Column("name", required=True),
    Column("level", required=True, allowed=_values(ExperimentLevel)),
    Column("hypothesis", multiline=True),
    _id("program_id", required=False),
    _id("touchpoint_id", required=False),
    _id("segment_id", required=False),
    Column("status", required=True, allowed=_values(ExperimentStatus)),
    Column("salt", required=True),
    Column("primary_metric", required=True),
    Column("guardrail_metrics", is_json=True),
    Column("is_adaptive", "BOOLEAN", required=True),
    Column("starts_at", "TIMESTAMPTZ"),
    Column("ends_at", "TIMESTAMPTZ"),
)
EXPERIMENT_VARIANTS = operational(
    "experiment_variants",
    "Arms of an experiment with their weights and settings.",
    _id("experiment_id"),
    Column("key", required=True),
    Column("name", required=True),
    Column("is_control", "BOOLEAN", required=True),
    Column("weight", "DOUBLE", required=True, minimum=0),
    Column("content_variant_key"),
    Column("settings", is_json=True),
)
EXPERIMENT_ASSIGNMENTS = operational(
    "experiment_assignments",
    "Stable assignment of workers to variants, with its time.",
    _id("experiment_id"),
    _id("variant_id"),
    _id("worker_id"),
    _id("enrollment_id", required=False),
    Column("assigned_at", "TIMESTAMPTZ", required=True),
)

OPERATIONAL_CONTRACTS: tuple[Contract, ...] = (
    ORGANIZATIONS, WORKERS, SEGMENTS, CONTENT, CONTENT_VARIANTS, JOURNEYS, JOURNEY_PHASES,
    TOUCHPOINTS, PROGRAMS, ENROLLMENTS, EXPERIMENTS, EXPERIMENT_VARIANTS, EXPERIMENT_ASSIGNMENTS,
)  # fmt: skip

MESSAGE_EVENTS = Contract(
    table="message_events",
    description=(
        "Every outbound attempt, Twilio status callback and inbound message, one row per event "
        "(duplicate deliveries collapsed by event_key), partitioned by the UTC day it occurred."
    ),
    columns=(
        Column(
            "event_key", required=True, description="Identity of a delivery: MessageSid and status."
        ),
        Column("kind", required=True, allowed=_values(EventKind)),
        Column("message_sid", required=True, description="Twilio MessageSid."),
        Column("status", required=True, allowed=_values(MessageStatus)),
        Column("error_code", "INTEGER"),
        Column("channel", required=True, allowed=_values(Channel)),
        Column("from_number", pattern=E164_PATTERN),
        Column("to_number", pattern=E164_PATTERN),
        _id("organization_id"),
        _id("worker_id", required=False),
        _id("enrollment_id", required=False),
        _id("touchpoint_id", required=False),
        _id("experiment_variant_id", required=False),
        Column("is_follow_up", "BOOLEAN"),
        Column("body", multiline=True),
        Column("occurred_at", "TIMESTAMPTZ", required=True),
    ),
    key=("event_key",),
    max_quarantine_share=0.05,
    references=(
        Reference(
            "unknown_worker", "from_number", "worker_phones", "phone_e164", when="kind = 'inbound'"
        ),
        Reference("unknown_worker", "worker_id", "worker_ids", "id", same_organization=False),
    ),
    partition_column="occurred_at",
    delivery_columns=("occurred_at",),  # Twilio retries a callback later; the event is the same
)

HR_ROSTER = Contract(
    table="hr_roster",
    description="Worker rosters exported by HR systems, one file per organization and date.",
    columns=(
        Column("employee_id", required=True),
        Column("full_name"),
        Column("phone", required=True, pattern=E164_PATTERN),
        Column("team"),
        Column("job_role"),
        Column("region"),
        Column("district"),
        Column("hire_date", "DATE"),
        Column("language"),
        Column("employment_type"),
        _id("organization_id"),
    ),
    key=("organization_id", "employee_id"),
)
HR_PERFORMANCE = Contract(
    table="hr_performance",
    description="Monthly performance metrics from HR systems, one metric per row.",
    columns=(
        Column("employee_id", required=True),
        Column("phone", required=True, pattern=E164_PATTERN),
        Column("period", required=True, pattern=PERIOD_PATTERN),
        Column("metric", required=True),
        Column("value", "DOUBLE", required=True),
        _id("organization_id"),
    ),
    key=("organization_id", "employee_id", "period", "metric"),
    references=(Reference("unknown_worker", "employee_id", "worker_external_ids", "external_id"),),
)

LANDING_CONTRACTS: dict[str, Contract] = {
    "message_events": MESSAGE_EVENTS,
    "hr_roster": HR_ROSTER,
    "hr_performance": HR_PERFORMANCE,
}
ALL_CONTRACTS: dict[str, Contract] = {
    **{c.table: c for c in OPERATIONAL_CONTRACTS},
    **LANDING_CONTRACTS,
}
