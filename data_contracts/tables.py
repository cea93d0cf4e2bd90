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
    SegmentExit,
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
TENANT = (
    _id(description="Primary key."),
    _id("organization_id", description="The tenant (organization) the row belongs to."),
)


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
    Column("name", required=True, description="Organization name."),
    Column("slug", required=True, description="URL-safe unique name."),
    Column(
        "type",
        required=True,
        allowed=_values(OrganizationType),
        description="Organization type: client or expert.",
    ),
    Column(
        "tier", required=True, allowed=_values(Tier), description="Tier: basic, standard, premium."
    ),
    Column(
        "approval_status",
        required=True,
        allowed=_values(ApprovalStatus),
        description="Platform approval of the organization: approved, pending, rejected.",
    ),
    Column("country", description="ISO 3166 country code."),
    Column("timezone", required=True, description="IANA timezone."),
    Column(
        "quiet_hours_start",
        "TIME",
        description="Start of the local quiet window (nothing is sent).",
    ),
    Column("quiet_hours_end", "TIME", description="End of the local quiet window."),
    Column(
        "monthly_message_quota",
        "BIGINT",
        required=True,
        minimum=0,
        description="Outbound messages included per month.",
    ),
    Column("whatsapp_sender", pattern=E164_PATTERN, description="WhatsApp sender number (E.164)."),
    Column("sms_sender", pattern=E164_PATTERN, description="Sender number for SMS (E.164)."),
    Column(
        "sms_fallback_enabled",
        "BOOLEAN",
        required=True,
        description="Whether failed WhatsApp sends may fall back to SMS.",
    ),
    Column(
        "experiment_defaults",
        required=True,
        is_json=True,
        description="Defaults for experiments' decision thresholds (JSON).",
    ),
    Column(
        "message_retention_days",
        "INTEGER",
        minimum=1,
        description="Days message bodies and inbound media are kept (null: until asked).",
    ),
)
WORKERS = operational(
    "workers",
    "Frontline workers: the audience of coaching, with their attributes and WhatsApp consent.",
    Column("external_id", description="The HR system's employee id."),
    Column("display_name", description="The worker's name as shown to admins."),
    Column("phone_e164", required=True, pattern=E164_PATTERN, description="Phone number in E.164."),
    Column(
        "whatsapp_opt_in_at",
        "TIMESTAMPTZ",
        description="When the worker opted in to WhatsApp (UTC).",
    ),
    Column(
        "whatsapp_opt_out_at",
        "TIMESTAMPTZ",
        description="When the worker opted out (UTC); null while opted in.",
    ),
    Column("language", required=True, description="Language code (ISO 639-1)."),
    Column("timezone", required=True, description="IANA timezone."),
    Column("country", description="ISO 3166 country code."),
    Column("region", description="Region (state, province, county)."),
    Column("district", description="District within the region."),
    Column("team", description="Team."),
    Column("job_role", description="Job role."),
    Column("hire_date", "DATE", description="Date of hire."),
    Column(
        "attributes",
        required=True,
        is_json=True,
        description="Free worker attributes as a JSON document.",
    ),
)
SEGMENTS = operational(
    "segments",
    "Segment definitions: a rule tree over worker features (JSON).",
    Column("name", required=True, description="Name."),
    Column("description", multiline=True, description="Free description."),
    Column(
        "kind",
        required=True,
        allowed=_values(SegmentKind),
        description="Segment kind: organizational, location, performance, behavioral, temporal.",
    ),
    Column("rule", required=True, is_json=True, description="Segment rule tree (JSON)."),
    Column("is_active", "BOOLEAN", required=True, description="Whether the segment is in use."),
)
CONTENT = operational(
    "content",
    "Content items; text or templates live in content_variants.",
    Column("key", required=True, description="Stable content key within the organization."),
    Column("kind", required=True, allowed=_values(ContentKind), description="text or template."),
    Column("description", multiline=True, description="Free description."),
    Column("correct_answer", description="For quiz content: the option that counts as correct."),
    Column(
        "is_urgent",
        "BOOLEAN",
        required=True,
        description="Urgent content may go out past the monthly quota, up to the tier's grace.",
    ),
    Column(
        "options",
        required=True,
        is_json=True,
        description="What a worker can answer, tapped or typed (JSON list: payload, text, and "
        "for quizzes `correct`, for check-ins `score`).",
    ),
)
CONTENT_VARIANTS = operational(
    "content_variants",
    "Per-language, per-variant text or Twilio template of a content item.",
    _id("content_id", description="The content item."),
    Column("variant_key", required=True, description="Content variant key (default, B, ...)."),
    Column("language", required=True, description="Language code (ISO 639-1)."),
    Column("body", multiline=True, description="Message text."),
    Column("template_sid", description="Twilio Content SID (HX...) of the approved template."),
    Column(
        "template_variables", required=True, is_json=True, description="Template variables (JSON)."
    ),
    Column(
        "option_texts",
        required=True,
        is_json=True,
        description="The content's option labels in this variant's language, by payload (JSON).",
    ),
    Column("media_url", description="Media sent with the text (image, audio, document)."),
    Column("media_type", description="The media's type (image/jpeg, audio/ogg, ...)."),
    Column("media_bytes", "BIGINT", description="The media's size in bytes."),
    conditions=(("missing:body_or_template", "body is not null or template_sid is not null"),),
)
JOURNEYS = operational(
    "journeys",
    "Journey blueprints (no runtime state).",
    Column("name", required=True, description="Name."),
    Column("description", multiline=True, description="Free description."),
    Column(
        "status",
        required=True,
        allowed=_values(JourneyStatus),
        description="draft, published, archived.",
    ),
    Column(
        "languages",
        required=True,
        is_json=True,
        description="Languages the journey is available in (JSON list).",
    ),
    Column(
        "is_marketplace_listed",
        "BOOLEAN",
        required=True,
        description="Whether the journey is published to the marketplace.",
    ),
    _id(
        "source_journey_id",
        required=False,
        description="Marketplace original a copy was imported from.",
    ),
)
JOURNEY_PHASES = operational(
    "journey_phases",
    "Ordered phases of a journey.",
    _id("journey_id", description="The journey."),
    Column("position", "INTEGER", required=True, minimum=0, description="Order within its parent."),
    Column("name", required=True, description="Name."),
    Column("description", multiline=True, description="Free description."),
)
TOUCHPOINTS = operational(
    "touchpoints",
    "What a journey sends, when (day offset, local time), its follow-up and its rules.",
    _id("journey_id", description="The journey."),
    _id("phase_id", description="The journey phase."),
    Column("position", "INTEGER", required=True, minimum=0, description="Order within its parent."),
    Column("name", required=True, description="Name."),
    Column(
        "kind",
        required=True,
        allowed=_values(TouchpointKind),
        description="message, quiz, reflection or check_in.",
    ),
    Column(
        "day_offset",
        "INTEGER",
        required=True,
        minimum=0,
        description="Days after enrollment the touchpoint is due.",
    ),
    Column(
        "local_send_time",
        "TIME",
        required=True,
        description="Local time of day (worker's timezone) the touchpoint is sent.",
    ),
    _id("content_id", description="The content item."),
    Column(
        "follow_up",
        is_json=True,
        description="Follow-up rule (JSON): after_days, content_id, max_nudges.",
    ),
    Column(
        "branch",
        "BOOLEAN",
        required=True,
        description="Whether the touchpoint is reached only through a rule.",
    ),
    Column("next_name", description="Touchpoint that follows when no rule matches."),
    Column(
        "next_position",
        "INTEGER",
        minimum=0,
        description="Position of the touchpoint that follows (null: the next main touchpoint).",
    ),
    Column(
        "rules",
        required=True,
        is_json=True,
        description="Journey rules (JSON list): when, goto, goto_position, after_days.",
    ),
)
PROGRAMS = operational(
    "programs",
    "A journey run for a target segment over a timeline.",
    Column("name", required=True, description="Name."),
    _id("journey_id", description="The journey."),
    _id("segment_id", required=False, description="The segment."),
    Column(
        "status",
        required=True,
        allowed=_values(ProgramStatus),
        description="draft, active, paused, completed.",
    ),
    Column("starts_on", "DATE", required=True, description="First day of the program."),
    Column("ends_on", "DATE", description="Last day of the program."),
    Column(
        "holdout_share",
        "DOUBLE",
        required=True,
        minimum=0,
        maximum=1,
        description="Share of enrollments kept as a no-coaching control.",
    ),
    Column(
        "channel",
        required=True,
        allowed=_values(Channel),
        description="Delivery channel: whatsapp or sms.",
    ),
    Column(
        "on_segment_exit",
        required=True,
        allowed=_values(SegmentExit),
        description="What an enrollment becomes when its worker leaves the target segment: keep or drop.",
    ),
    Column(
        "max_sync_change_share",
        "DOUBLE",
        required=True,
        minimum=0,
        maximum=1,
        description="Largest share of the program's active enrollments one enrollment sync may change.",
    ),
    Column(
        "objectives",
        required=True,
        is_json=True,
        description="Targets progress is read against (JSON): completion_share, reply_rate.",
    ),
    _id(
        "manager_id",
        required=False,
        description="The user told about the program's workers and decisions (a user id).",
    ),
)
ENROLLMENTS = operational(
    "enrollments",
    "Workers enrolled in programs.",
    _id("program_id", description="The program."),
    _id("worker_id", description="The worker."),
    Column(
        "enrolled_at",
        "TIMESTAMPTZ",
        required=True,
        description="When the worker was enrolled (UTC).",
    ),
    Column(
        "status",
        required=True,
        allowed=_values(EnrollmentStatus),
        description="active, completed, dropped, opted_out.",
    ),
    Column(
        "is_holdout",
        "BOOLEAN",
        required=True,
        description="Whether the enrollment is in the no-coaching holdout.",
    ),
    Column(
        "ended_at",
        "TIMESTAMPTZ",
        description="When the enrollment ended (completed or opted out), UTC.",
    ),
)
EXPERIMENTS = operational(
    "experiments",
    "Journey-level (content) and program-level (implementation) experiments.",
    Column("name", required=True, description="Name."),
    Column(
        "level",
        required=True,
        allowed=_values(ExperimentLevel),
        description="journey (tests content) or program (tests implementation).",
    ),
    Column("hypothesis", multiline=True, description="What the experiment expects to find."),
    _id("program_id", required=False, description="The program."),
    _id("touchpoint_id", required=False, description="The touchpoint."),
    _id("segment_id", required=False, description="The segment."),
    Column(
        "status",
        required=True,
        allowed=_values(ExperimentStatus),
        description="draft, running, stopped, shipped.",
    ),
    Column("salt", required=True, description="Salt of the stable assignment hash."),
    Column("primary_metric", required=True, description="The metric the decision is made on."),
    Column(
        "guardrail_metrics",
        required=True,
        is_json=True,
        description="Metrics that must not get worse (JSON list).",
    ),
    Column(
        "is_adaptive",
        "BOOLEAN",
        required=True,
        description="Whether weights are re-allocated by Thompson sampling.",
    ),
    Column("starts_at", "TIMESTAMPTZ", description="When the experiment starts (UTC)."),
    Column("ends_at", "TIMESTAMPTZ", description="When the experiment ends (UTC)."),
    Column(
        "planned_days", "INTEGER", minimum=1, description="Days the experiment is planned to run."
    ),
    Column(
        "decision_settings",
        required=True,
        is_json=True,
        description="Decision thresholds overriding the organization's defaults (JSON).",
    ),
)
EXPERIMENT_VARIANTS = operational(
    "experiment_variants",
    "Arms of an experiment with their weights and settings.",
    _id("experiment_id", description="The experiment."),
    Column("key", required=True, description="Variant key within the experiment."),
    Column("name", required=True, description="Name."),
    Column(
        "is_control",
        "BOOLEAN",
        required=True,
        description="Whether the variant is the control arm.",
    ),
    Column("weight", "DOUBLE", required=True, minimum=0, description="Planned allocation weight."),
    Column(
        "content_variant_key", description="Which content variant a journey-level variant sends."
    ),
    Column(
        "settings",
        required=True,
        is_json=True,
        description="Implementation settings of a program-level variant (JSON).",
    ),
)
EXPERIMENT_ASSIGNMENTS = operational(
    "experiment_assignments",
    "Stable assignment of workers to variants, with its time.",
    _id("experiment_id", description="The experiment."),
    _id("variant_id", description="The experiment variant."),
    _id("worker_id", description="The worker."),
    _id("enrollment_id", required=False, description="The enrollment."),
    Column(
        "assigned_at",
        "TIMESTAMPTZ",
        required=True,
        description="When the worker was assigned to the variant (UTC).",
    ),
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
        Column(
            "kind",
            required=True,
            allowed=_values(EventKind),
            description="outbound (we sent), status (Twilio callback) or inbound (the worker wrote).",
        ),
        Column("message_sid", required=True, description="Twilio MessageSid."),
        Column(
            "status",
            required=True,
            allowed=_values(MessageStatus),
            description="Twilio status: accepted, queued, sent, delivered, read, failed, undelivered, received.",
        ),
        Column(
            "error_code",
            "INTEGER",
            description="Twilio error code of a failed or undelivered message.",
        ),
        Column(
            "channel",
            required=True,
            allowed=_values(Channel),
            description="Delivery channel: whatsapp or sms.",
        ),
        Column("from_number", pattern=E164_PATTERN, description="Sender (E.164)."),
        Column("to_number", pattern=E164_PATTERN, description="Recipient (E.164)."),
        _id("organization_id", description="The tenant (organization) the row belongs to."),
        _id("worker_id", required=False, description="The worker."),
        _id("enrollment_id", required=False, description="The enrollment."),
        _id("touchpoint_id", required=False, description="The touchpoint."),
        _id(
            "experiment_variant_id",
            required=False,
            description="The journey-level experiment variant whose content was sent.",
        ),
        Column(
            "is_follow_up",
            "BOOLEAN",
            description="Whether an outbound message was a follow-up nudge.",
        ),
        Column("body", multiline=True, description="Message text."),
        Column(
            "button_payload",
            description="The payload of the quick-reply button or list item a worker tapped.",
        ),
        Column(
            "media_count",
            "INTEGER",
            description="How many files (photos, voice notes, documents) an inbound message carried.",
        ),
        Column(
            "occurred_at",
            "TIMESTAMPTZ",
            required=True,
            description="When the event happened (UTC).",
        ),
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
        Column("employee_id", required=True, description="The HR system's employee id."),
        Column("full_name", description="Name as exported by HR."),
        Column("phone", required=True, pattern=E164_PATTERN, description="Phone number in E.164."),
        Column("team", description="Team."),
        Column("job_role", description="Job role."),
        Column("region", description="Region (state, province, county)."),
        Column("district", description="District within the region."),
        Column("hire_date", "DATE", description="Date of hire."),
        Column("language", description="Language code (ISO 639-1)."),
        Column(
            "employment_type",
            description="Employment type from HR: full_time, part_time, volunteer.",
        ),
        _id("organization_id", description="The tenant (organization) the row belongs to."),
    ),
    key=("organization_id", "employee_id"),
)
HR_PERFORMANCE = Contract(
    table="hr_performance",
    description="Monthly performance metrics from HR systems, one metric per row.",
    columns=(
        Column("employee_id", required=True, description="The HR system's employee id."),
        Column("phone", required=True, pattern=E164_PATTERN, description="Phone number in E.164."),
        Column(
            "period",
            required=True,
            pattern=PERIOD_PATTERN,
            description="Month the metric covers (YYYY-MM).",
        ),
        Column("metric", required=True, description="Name of the HR metric."),
        Column("value", "DOUBLE", required=True, description="Metric value."),
        _id("organization_id", description="The tenant (organization) the row belongs to."),
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
