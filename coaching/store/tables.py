"""Every table of the operational store.

Conventions, held by the mixins below so no table can forget them:
- every tenant table has `organization_id`, and its indexes start with it, because every query the
  API makes is filtered by the caller's organization first;
- mutable tables carry `created_at/updated_at/created_by/updated_by` and soft-delete through
  `deleted_at`: ingestion moves rows by the `updated_at` watermark, and a deletion must reach the
  lake as a row, which a hard DELETE would never do;
- `message_events` is append-only (no update columns, no soft delete): it is the raw record of what
  Twilio and the workers told us, ingested by its monotonically increasing id.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, validates

from coaching.store.types import (
    BigIntPK,
    EncryptedJSON,
    EncryptedText,
    EntityId,
    JSONDocument,
    LookupHash,
    UTCDateTime,
    new_id,
    utcnow,
)

# Deterministic constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Audited:
    """Who and when, for rows people change through the API."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )
    created_by: Mapped[str | None] = mapped_column(String(120))
    updated_by: Mapped[str | None] = mapped_column(String(120))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TenantOwned(Audited):
    """A row that belongs to one organization."""

    id: Mapped[str] = mapped_column(EntityId, primary_key=True, default=new_id)

    @declared_attr
    def organization_id(cls) -> Mapped[str]:
        return mapped_column(EntityId, ForeignKey("organizations.id"), nullable=False)


def tenant_index(table: str, *columns: str, unique: bool = False) -> Index:
    """An index that leads with organization_id, the filter of every tenant query."""
    name = f"{'uq' if unique else 'ix'}_{table}_org_{'_'.join(columns) or 'only'}"
    return Index(name, "organization_id", *columns, unique=unique)


class Organization(Audited, Base):
    """A tenant. `id` is the organization_id every other table points at."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(EntityId, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    tier: Mapped[str] = mapped_column(String(16), nullable=False)
    approval_status: Mapped[str] = mapped_column(String(16), nullable=False, default="approved")
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    # Local wall-clock window in which nothing is sent; it may wrap midnight (21:00-07:00).
    quiet_hours_start: Mapped[time | None] = mapped_column(Time)
    quiet_hours_end: Mapped[time | None] = mapped_column(Time)
    monthly_message_quota: Mapped[int] = mapped_column(Integer, nullable=False)
    whatsapp_sender: Mapped[str | None] = mapped_column(String(20), unique=True)
    sms_sender: Mapped[str | None] = mapped_column(String(20))
    sms_fallback_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Defaults for what experiments' decisions are held to (coaching.stats.decision.Thresholds).
    experiment_defaults: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, nullable=False, default=dict
    )
    # How long what workers were sent and wrote (message bodies, inbound media) is kept; None:
    # until the organization asks. The retention job purges past it, everywhere it is stored.
    message_retention_days: Mapped[int | None] = mapped_column(Integer)


class SenderNumber(Base):
    """Which organization each sender number (WhatsApp or SMS) belongs to: at most one.

    Inbound messages and STOP replies are routed to a tenant by the number they were sent to, so a
    number two organizations claim would file one tenant's workers under the other. The rows are
    kept by triggers on `organizations` (migration 0003), so no writer, ORM or raw SQL, can bypass
    them; the primary key makes two concurrent claims of one number fail the second.
    """

    __tablename__ = "sender_numbers"
    __table_args__ = (Index("ix_sender_numbers_org_only", "organization_id"),)

    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        EntityId, ForeignKey("organizations.id"), nullable=False
    )


class User(TenantOwned, Base):
    __tablename__ = "users"
    __table_args__ = (tenant_index("users", "role"),)

    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Wrong passwords or codes since the last sign-in; at the limit the account locks a while.
    failed_sign_ins: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # TOTP second factor: the secret from enrolment, in force once a code confirmed it; the
    # time step of the last code accepted, so a code is good once.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText("users.totp_secret"))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)


class UserSession(TenantOwned, Base):
    """One sign-in, from the password to its logout or end: its refresh tokens rotate within
    it, and the access tokens it issues name it, so revoking it ends them all."""

    __tablename__ = "user_sessions"
    __table_args__ = (tenant_index("user_sessions", "user_id"),)

    user_id: Mapped[str] = mapped_column(EntityId, ForeignKey("users.id"), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))  # logout | reuse | ...
    last_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RefreshToken(TenantOwned, Base):
    """A refresh token, by its hash: good once; a second use means it was stolen and ends its
    session (RFC 6819 5.2.2.3, rotation with reuse detection)."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (tenant_index("refresh_tokens", "session_id"),)

    session_id: Mapped[str] = mapped_column(
        EntityId, ForeignKey("user_sessions.id"), nullable=False
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(TenantOwned, Base):
    """A one-time code that stands in for the second factor (a lost phone), by its hash."""

    __tablename__ = "recovery_codes"
    __table_args__ = (tenant_index("recovery_codes", "user_id"),)

    user_id: Mapped[str] = mapped_column(EntityId, ForeignKey("users.id"), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKey(TenantOwned, Base):
    """A service-account credential. Only a hash of the secret is kept; `prefix` finds the row."""

    __tablename__ = "api_keys"
    __table_args__ = (tenant_index("api_keys", "name"),)

    name: Mapped[str] = mapped_column(String(120), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    key_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _phone_lookup(context: Any) -> str | None:
    """A Core insert's phone_lookup: the row's own phone, hashed as it is bound."""
    return context.get_current_parameters().get("phone_e164")


class Worker(TenantOwned, Base):
    __tablename__ = "workers"
    __table_args__ = (
        tenant_index("workers", "phone_lookup", unique=True),
        tenant_index("workers", "external_id", unique=True),
        tenant_index("workers", "updated_at"),
        tenant_index("workers", "team"),
        tenant_index("workers", "created_at", "id"),  # the list's default order, one page a seek
        Index("ix_workers_phone_lookup", "phone_lookup"),  # webhooks find the worker by phone
    )

    external_id: Mapped[str | None] = mapped_column(String(64))  # the HR system's id
    display_name: Mapped[str | None] = mapped_column(String(200))
    # Sealed (coaching.field_crypto); found by its keyed hash, which follows every change:
    # set through the ORM (validates below) or filled from phone_e164 on a Core insert.
    phone_e164: Mapped[str] = mapped_column(EncryptedText("workers.phone_e164"), nullable=False)
    phone_lookup: Mapped[str] = mapped_column(LookupHash, nullable=False, default=_phone_lookup)
    whatsapp_opt_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    whatsapp_opt_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="en")
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(80))
    district: Mapped[str | None] = mapped_column(String(80))
    team: Mapped[str | None] = mapped_column(String(80))
    job_role: Mapped[str | None] = mapped_column(String(80))
    hire_date: Mapped[date | None] = mapped_column(Date)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)

    @validates("phone_e164")
    def _follow_phone(self, _key: str, phone: str) -> str:
        self.phone_lookup = phone  # hashed on the way into the database (LookupHash)
        return phone


class Segment(TenantOwned, Base):
    """A rule over worker features, stored as a JSON tree (never SQL)."""

    __tablename__ = "segments"
    __table_args__ = (tenant_index("segments", "name"),)

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    rule: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class Content(TenantOwned, Base):
    """A piece of content; its text or template lives in one variant per language and key."""

    __tablename__ = "content"
    __table_args__ = (tenant_index("content", "key", unique=True),)

    key: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    # For quizzes: the option that counts as correct, so quiz scores can be computed from replies.
    correct_answer: Mapped[str | None] = mapped_column(String(16))
    # Urgent content (a safety notice) may go out past the monthly quota, up to the tier's grace.
    is_urgent: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    # What a worker can answer, tapped or typed (coaching.interactive.Option as JSON): payload,
    # text, and for quizzes which is correct, for check-ins each option's score.
    options: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONDocument, nullable=False, default=list, server_default="[]"
    )


class ContentVariant(TenantOwned, Base):
    __tablename__ = "content_variants"
    __table_args__ = (
        tenant_index("content_variants", "content_id", "variant_key", "language", unique=True),
    )

    content_id: Mapped[str] = mapped_column(EntityId, ForeignKey("content.id"), nullable=False)
    variant_key: Mapped[str] = mapped_column(String(32), nullable=False, default="default")
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    body: Mapped[str | None] = mapped_column(Text)
    template_sid: Mapped[str | None] = mapped_column(String(34))  # Twilio Content SID, HX...
    template_variables: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, nullable=False, default=dict
    )
    # The content's option labels in this variant's language, by payload (the content's own
    # text where a payload has none).
    option_texts: Mapped[dict[str, str]] = mapped_column(
        JSONDocument, nullable=False, default=dict, server_default="{}"
    )
    # Media sent with the text (an image, a voice note, a document), checked at publish against
    # what WhatsApp accepts (coaching.interactive.ACCEPTED_MEDIA); SMS gets it as a link.
    media_url: Mapped[str | None] = mapped_column(Text)
    media_type: Mapped[str | None] = mapped_column(String(100))
    media_bytes: Mapped[int | None] = mapped_column(BigInteger)


class ContentTemplate(TenantOwned, Base):
    """A Twilio Content API template registered for a content variant by activation: quick-reply
    buttons, a list picker or a media template (coaching.interactive.Layout). A changed variant
    has a new digest, so it registers anew; the old row stays for the messages that used it."""

    __tablename__ = "content_templates"
    __table_args__ = (
        tenant_index("content_templates", "content_variant_id", "layout", "digest", unique=True),
    )

    content_variant_id: Mapped[str] = mapped_column(
        EntityId, ForeignKey("content_variants.id"), nullable=False
    )
    layout: Mapped[str] = mapped_column(String(16), nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    twilio_sid: Mapped[str] = mapped_column(String(34), nullable=False)
    friendly_name: Mapped[str] = mapped_column(String(200), nullable=False)


class Journey(TenantOwned, Base):
    """A blueprint: phases of touchpoints. It has no runtime state; programs do."""

    __tablename__ = "journeys"
    __table_args__ = (tenant_index("journeys", "status"),)

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    languages: Mapped[list[str]] = mapped_column(JSONDocument, nullable=False, default=list)
    is_marketplace_listed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # Set on a client's copy imported from the marketplace; the original stays the expert's.
    source_journey_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("journeys.id"))


class JourneyPhase(TenantOwned, Base):
    __tablename__ = "journey_phases"
    __table_args__ = (tenant_index("journey_phases", "journey_id", "position", unique=True),)

    journey_id: Mapped[str] = mapped_column(EntityId, ForeignKey("journeys.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)


class Touchpoint(TenantOwned, Base):
    __tablename__ = "touchpoints"
    __table_args__ = (tenant_index("touchpoints", "journey_id", "position", unique=True),)

    journey_id: Mapped[str] = mapped_column(EntityId, ForeignKey("journeys.id"), nullable=False)
    phase_id: Mapped[str] = mapped_column(EntityId, ForeignKey("journey_phases.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)  # order within the journey
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    day_offset: Mapped[int] = mapped_column(Integer, nullable=False)  # days after enrollment
    local_send_time: Mapped[time] = mapped_column(Time, nullable=False)
    content_id: Mapped[str] = mapped_column(EntityId, ForeignKey("content.id"), nullable=False)
    # e.g. {"after_days": 2, "content_id": "...", "max_nudges": 1}: nudge when no reply came.
    follow_up: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # The journey's graph (coaching.journey_rules): a branch is reached only through a rule;
    # `next_*` is where the worker goes when no rule matches (null: the next main touchpoint);
    # rules carry the target's name and position, e.g. {"when": {"kind": "quiz_answer",
    # "correct": false}, "goto": "Remedial", "goto_position": 9, "after_days": 1}.
    branch: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    next_name: Mapped[str | None] = mapped_column(String(200))
    next_position: Mapped[int | None] = mapped_column(Integer)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, nullable=False, default=list)


class Program(TenantOwned, Base):
    """One journey run for one target segment over a timeline; owns the runtime state."""

    __tablename__ = "programs"
    __table_args__ = (tenant_index("programs", "status"),)

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    journey_id: Mapped[str] = mapped_column(EntityId, ForeignKey("journeys.id"), nullable=False)
    segment_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("segments.id"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # Share of enrollments kept as a no-coaching control, assigned by a stable hash.
    holdout_share: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default="whatsapp")
    # What an enrollment becomes when its worker leaves the target segment: kept, or dropped.
    on_segment_exit: Mapped[str] = mapped_column(String(8), nullable=False, default="keep")
    # The largest share of the program's active enrollments one enrollment sync may change
    # (additions and segment-driven ends); a larger change stops the sync for this program.
    max_sync_change_share: Mapped[float] = mapped_column(Float, nullable=False, default=0.25)
    # Targets the progress marts report against: {"completion_share": 0.6, "reply_rate": 0.4}.
    objectives: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)
    # The user told about the program's workers and decisions (wellbeing declines, bulk opt-outs,
    # experiment decisions); unset or gone, the organization's admins are told instead.
    manager_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("users.id"))


class Enrollment(TenantOwned, Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        tenant_index("enrollments", "program_id", "worker_id", unique=True),
        tenant_index("enrollments", "worker_id"),
        tenant_index("enrollments", "updated_at"),
        tenant_index("enrollments", "created_at", "id"),
    )

    program_id: Mapped[str] = mapped_column(EntityId, ForeignKey("programs.id"), nullable=False)
    worker_id: Mapped[str] = mapped_column(EntityId, ForeignKey("workers.id"), nullable=False)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    is_holdout: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Experiment(TenantOwned, Base):
    __tablename__ = "experiments"
    __table_args__ = (tenant_index("experiments", "status"),)

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)  # journey | program
    hypothesis: Mapped[str | None] = mapped_column(Text)
    program_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("programs.id"))
    touchpoint_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("touchpoints.id"))
    segment_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("segments.id"))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    salt: Mapped[str] = mapped_column(String(64), nullable=False)  # seeds stable assignment
    primary_metric: Mapped[str] = mapped_column(String(64), nullable=False)
    guardrail_metrics: Mapped[list[str]] = mapped_column(JSONDocument, nullable=False, default=list)
    is_adaptive: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The design: how long it is planned to run, and what its decision is held to (overriding the
    # organization's `experiment_defaults`).
    planned_days: Mapped[int | None] = mapped_column(Integer)
    decision_settings: Mapped[dict[str, Any]] = mapped_column(
        JSONDocument, nullable=False, default=dict
    )


class ExperimentVariant(TenantOwned, Base):
    __tablename__ = "experiment_variants"
    __table_args__ = (tenant_index("experiment_variants", "experiment_id", "key", unique=True),)

    experiment_id: Mapped[str] = mapped_column(
        EntityId, ForeignKey("experiments.id"), nullable=False
    )
    key: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    is_control: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    weight: Mapped[float] = mapped_column(Float, nullable=False, default=1.0)
    # Journey-level: which content variant the touchpoint sends.
    content_variant_key: Mapped[str | None] = mapped_column(String(32))
    # Program-level: implementation settings, e.g. {"cadence_factor": 0.5, "send_time": "18:00"}.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)


class ExperimentAssignment(TenantOwned, Base):
    __tablename__ = "experiment_assignments"
    __table_args__ = (
        tenant_index("experiment_assignments", "experiment_id", "worker_id", unique=True),
        tenant_index("experiment_assignments", "updated_at"),
    )

    experiment_id: Mapped[str] = mapped_column(
        EntityId, ForeignKey("experiments.id"), nullable=False
    )
    variant_id: Mapped[str] = mapped_column(
        EntityId, ForeignKey("experiment_variants.id"), nullable=False
    )
    worker_id: Mapped[str] = mapped_column(EntityId, ForeignKey("workers.id"), nullable=False)
    enrollment_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("enrollments.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class MessageEvent(Base):
    """Append-only record of every outbound attempt, status callback and inbound message.

    Webhooks commit here before answering Twilio, so a row exists for everything Twilio told us,
    duplicates included; collapsing duplicates is ingestion's job, where it can be counted.
    """

    __tablename__ = "message_events"
    __table_args__ = (
        Index("ix_message_events_org_occurred_at", "organization_id", "occurred_at"),
        Index("ix_message_events_org_message_sid", "organization_id", "message_sid"),
        Index("ix_message_events_org_worker", "organization_id", "worker_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(
        EntityId, ForeignKey("organizations.id"), nullable=False
    )
    event_key: Mapped[str] = mapped_column(String(120), nullable=False)  # delivery identity
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # outbound | status | inbound
    message_sid: Mapped[str | None] = mapped_column(String(34))
    status: Mapped[str | None] = mapped_column(String(16))
    error_code: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default="whatsapp")
    from_number: Mapped[str | None] = mapped_column(EncryptedText("message_events.from_number"))
    to_number: Mapped[str | None] = mapped_column(EncryptedText("message_events.to_number"))
    worker_id: Mapped[str | None] = mapped_column(EntityId)
    enrollment_id: Mapped[str | None] = mapped_column(EntityId)
    touchpoint_id: Mapped[str | None] = mapped_column(EntityId)
    experiment_variant_id: Mapped[str | None] = mapped_column(EntityId)
    is_follow_up: Mapped[bool | None] = mapped_column(Boolean)  # known on outbound rows only
    body: Mapped[str | None] = mapped_column(EncryptedText("message_events.body"))
    # A tapped quick-reply button or list item (ButtonPayload / ListId) and its label.
    button_payload: Mapped[str | None] = mapped_column(String(200))
    button_text: Mapped[str | None] = mapped_column(String(200))
    media_count: Mapped[int | None] = mapped_column(Integer)  # NumMedia of an inbound message
    payload: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON("message_events.payload"), nullable=False, default=dict
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class InboundMedia(TenantOwned, Base):
    """A file a worker sent (a photo of a finished task, a voice note): a reference to Twilio's
    copy with its type, never the file itself, kept per tenant beside the message event."""

    __tablename__ = "inbound_media"
    __table_args__ = (
        tenant_index("inbound_media", "worker_id", "received_at"),
        tenant_index("inbound_media", "message_sid", "position", unique=True),
    )

    message_event_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("message_events.id"), nullable=False
    )
    message_sid: Mapped[str] = mapped_column(String(34), nullable=False)
    worker_id: Mapped[str | None] = mapped_column(EntityId)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class EnrollmentSync(TenantOwned, Base):
    """One program's part of one enrollment sync run: what it changed, or why it changed nothing.
    Dry runs write nothing, this log included."""

    __tablename__ = "enrollment_syncs"
    __table_args__ = (
        tenant_index("enrollment_syncs", "program_id", "started_at"),
        tenant_index("enrollment_syncs", "run_id"),
    )

    run_id: Mapped[str] = mapped_column(EntityId, nullable=False)
    program_id: Mapped[str] = mapped_column(EntityId, ForeignKey("programs.id"), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    added: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    held_out: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ended: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejected: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class EnrollmentSyncRejection(TenantOwned, Base):
    """A planned enrollment change the store refused, with the reason (kept, never dropped)."""

    __tablename__ = "enrollment_sync_rejections"
    __table_args__ = (tenant_index("enrollment_sync_rejections", "run_id"),)

    run_id: Mapped[str] = mapped_column(EntityId, nullable=False)
    program_id: Mapped[str] = mapped_column(EntityId, nullable=False)
    worker_id: Mapped[str] = mapped_column(EntityId, nullable=False)
    change: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)


class OutboxMessage(TenantOwned, Base):
    """A send activation has claimed; the unique idempotency key makes a second claim a no-op."""

    __tablename__ = "outbox"
    __table_args__ = (
        tenant_index("outbox", "status", "next_attempt_at"),
        tenant_index("outbox", "worker_id"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    worker_id: Mapped[str] = mapped_column(EntityId, ForeignKey("workers.id"), nullable=False)
    enrollment_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("enrollments.id"))
    touchpoint_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("touchpoints.id"))
    experiment_variant_id: Mapped[str | None] = mapped_column(EntityId)
    is_follow_up: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False, default="whatsapp")
    to_number: Mapped[str] = mapped_column(EncryptedText("outbox.to_number"), nullable=False)
    body: Mapped[str | None] = mapped_column(EncryptedText("outbox.body"))
    template_sid: Mapped[str | None] = mapped_column(String(34))
    template_variables: Mapped[dict[str, Any]] = mapped_column(
        EncryptedJSON("outbox.template_variables"), nullable=False, default=dict
    )
    # Interactive content: the template shown inside the 24-hour window (a list picker, or the
    # quick-reply buttons that `template_sid` also sends outside it); media sent with free text.
    session_template_sid: Mapped[str | None] = mapped_column(String(34))
    media_url: Mapped[str | None] = mapped_column(Text)
    # Figures the warehouse computed for this recipient (a digest's points, streak, rank): they
    # fill placeholders as the worker's own fields do (coaching.rendering.FIELDS).
    field_values: Mapped[dict[str, Any] | None] = mapped_column(
        EncryptedJSON("outbox.field_values")
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_sid: Mapped[str | None] = mapped_column(String(34))
    last_error_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who changed what through the API: one row per create, update or delete, never edited.

    `changes` holds the fields written (secrets such as password hashes are left out), so an admin
    can answer "who set this experiment to adaptive, and when" without reading application logs.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_org_at", "organization_id", "at"),
        Index("ix_audit_log_org_entity", "organization_id", "entity", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(
        EntityId, ForeignKey("organizations.id"), nullable=False
    )
    actor: Mapped[str] = mapped_column(String(120), nullable=False)  # user:<id> | api_key:<id>
    action: Mapped[str] = mapped_column(String(16), nullable=False)  # create | update | delete
    entity: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(64), nullable=False)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class RetentionPurge(Base):
    """What one run of the retention job purged for one organization, where: the record an
    organization (or its regulator) is shown that a body past its retention is gone."""

    __tablename__ = "retention_purges"
    __table_args__ = (Index("ix_retention_purges_org_ran_at", "organization_id", "ran_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(
        EntityId, ForeignKey("organizations.id"), nullable=False
    )
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)  # older was purged
    message_bodies: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    outbox_bodies: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    inbound_media: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lake_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lake_files: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)


class WebhookReceipt(Base):
    """The delivery identities of webhook calls already stored, so Twilio's retries are no-ops.

    A callback is recorded under its I-Twilio-Idempotency-Token and under `MessageSid:status`;
    the primary key makes a concurrent duplicate fail its insert instead of racing a lookup.
    """

    __tablename__ = "webhook_receipts"
    __table_args__ = (
        Index("ix_webhook_receipts_org_received_at", "organization_id", "received_at"),
    )

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        EntityId, ForeignKey("organizations.id"), nullable=False
    )
    message_event_id: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Notification(Audited, Base):
    """Something a person must act on, once per stable key (kind, subject, period).

    `organization_id` is NULL only for platform notices (a failed pipeline run), which go to the
    operators' channels from settings; the API's row-level security never shows those to a tenant.
    """

    __tablename__ = "notifications"
    __table_args__ = (tenant_index("notifications", "kind", "created_at"),)

    id: Mapped[str] = mapped_column(EntityId, primary_key=True, default=new_id)
    organization_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("organizations.id"))
    key: Mapped[str] = mapped_column(String(300), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    subject_type: Mapped[str] = mapped_column(String(32), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(64), nullable=False)
    period: Mapped[str] = mapped_column(String(32), nullable=False)
    severity: Mapped[str] = mapped_column(String(16), nullable=False, default="info")
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)


class NotificationDelivery(Audited, Base):
    """One notification on one channel to one recipient: the outbox of people, not workers.

    An `inbox` row is delivered when it is written (the API lists it, `read_at` marks it read);
    `email` and `webhook` rows go through pending → sending → sent, retried with backoff, `dead`
    after the last attempt. The unique idempotency key makes a second claim a no-op.
    """

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        tenant_index("notification_deliveries", "user_id", "channel", "created_at"),
        tenant_index("notification_deliveries", "status"),
        Index("ix_notification_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(EntityId, primary_key=True, default=new_id)
    organization_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("organizations.id"))
    notification_id: Mapped[str] = mapped_column(
        EntityId, ForeignKey("notifications.id"), nullable=False
    )
    idempotency_key: Mapped[str] = mapped_column(String(400), nullable=False, unique=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    user_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("users.id"))
    webhook_id: Mapped[str | None] = mapped_column(EntityId, ForeignKey("notification_webhooks.id"))
    destination: Mapped[str] = mapped_column(String(500), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Why this recipient, when not the one the notification named (an admin standing in).
    note: Mapped[str | None] = mapped_column(Text)


class NotificationPreference(TenantOwned, Base):
    """How one user hears of one kind of notification: the channels, or nothing (muted)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (tenant_index("notification_preferences", "user_id", "kind", unique=True),)

    user_id: Mapped[str] = mapped_column(EntityId, ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    channels: Mapped[list[str]] = mapped_column(JSONDocument, nullable=False, default=list)
    muted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class NotificationWebhook(TenantOwned, Base):
    """An organization's outgoing webhook (a chat tool): every call is signed with `secret`."""

    __tablename__ = "notification_webhooks"
    __table_args__ = (tenant_index("notification_webhooks", "name"),)

    name: Mapped[str] = mapped_column(String(120), nullable=False)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    secret: Mapped[str] = mapped_column(String(128), nullable=False)
    # Kinds it receives; empty for every kind.
    kinds: Mapped[list[str]] = mapped_column(JSONDocument, nullable=False, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


TENANT_TABLES: tuple[str, ...] = tuple(
    table.name for table in Base.metadata.sorted_tables if "organization_id" in table.c
)
