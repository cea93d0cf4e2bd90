"""initial schema: the whole operational domain

Revision ID: 0001
Revises:
Create Date: 2026-11-26 00:00:55.847980
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import coaching.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("approval_status", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("quiet_hours_start", sa.Time(), nullable=True),
        sa.Column("quiet_hours_end", sa.Time(), nullable=True),
        sa.Column("monthly_message_quota", sa.Integer(), nullable=False),
        sa.Column("whatsapp_sender", sa.String(length=20), nullable=True),
        sa.Column("sms_sender", sa.String(length=20), nullable=True),
        sa.Column("sms_fallback_enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organizations_slug")),
        sa.UniqueConstraint("whatsapp_sender", name=op.f("uq_organizations_whatsapp_sender")),
    )
    op.create_table(
        "api_keys",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("expires_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_keys_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index("ix_api_keys_org_name", ["organization_id", "name"], unique=False)

    op.create_table(
        "content",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("correct_answer", sa.String(length=16), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_content_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content")),
    )
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.create_index("uq_content_org_key", ["organization_id", "key"], unique=True)

    op.create_table(
        "journeys",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "languages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_marketplace_listed", sa.Boolean(), nullable=False),
        sa.Column("source_journey_id", sa.String(length=36), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_journeys_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["source_journey_id"],
            ["journeys.id"],
            name=op.f("fk_journeys_source_journey_id_journeys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journeys")),
    )
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.create_index("ix_journeys_org_status", ["organization_id", "status"], unique=False)

    op.create_table(
        "message_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("event_key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message_sid", sa.String(length=34), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("from_number", sa.String(length=32), nullable=True),
        sa.Column("to_number", sa.String(length=32), nullable=True),
        sa.Column("worker_id", sa.String(length=36), nullable=True),
        sa.Column("enrollment_id", sa.String(length=36), nullable=True),
        sa.Column("touchpoint_id", sa.String(length=36), nullable=True),
        sa.Column("experiment_variant_id", sa.String(length=36), nullable=True),
        sa.Column("is_follow_up", sa.Boolean(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("occurred_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_message_events_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_events")),
    )
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_events_org_message_sid", ["organization_id", "message_sid"], unique=False
        )
        batch_op.create_index(
            "ix_message_events_org_occurred_at", ["organization_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            "ix_message_events_org_worker", ["organization_id", "worker_id"], unique=False
        )

    op.create_table(
        "segments",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "rule",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_segments_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
    )
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.create_index("ix_segments_org_name", ["organization_id", "name"], unique=False)

    op.create_table(
        "users",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_login_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_users_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_org_role", ["organization_id", "role"], unique=False)

    op.create_table(
        "workers",
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("phone_e164", sa.String(length=16), nullable=False),
        sa.Column(
            "whatsapp_opt_in_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "whatsapp_opt_out_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("region", sa.String(length=80), nullable=True),
        sa.Column("district", sa.String(length=80), nullable=True),
        sa.Column("team", sa.String(length=80), nullable=True),
        sa.Column("job_role", sa.String(length=80), nullable=True),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_workers_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index("ix_workers_org_team", ["organization_id", "team"], unique=False)
        batch_op.create_index(
            "ix_workers_org_updated_at", ["organization_id", "updated_at"], unique=False
        )
        batch_op.create_index("ix_workers_phone_e164", ["phone_e164"], unique=False)
        batch_op.create_index(
            "uq_workers_org_external_id", ["organization_id", "external_id"], unique=True
        )
        batch_op.create_index(
            "uq_workers_org_phone_e164", ["organization_id", "phone_e164"], unique=True
        )

    op.create_table(
        "content_variants",
        sa.Column("content_id", sa.String(length=36), nullable=False),
        sa.Column("variant_key", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("template_sid", sa.String(length=34), nullable=True),
        sa.Column(
            "template_variables",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["content_id"], ["content.id"], name=op.f("fk_content_variants_content_id_content")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_content_variants_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_variants")),
    )
    with op.batch_alter_table("content_variants", schema=None) as batch_op:
        batch_op.create_index(
            "uq_content_variants_org_content_id_variant_key_language",
            ["organization_id", "content_id", "variant_key", "language"],
            unique=True,
        )

    op.create_table(
        "journey_phases",
        sa.Column("journey_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name=op.f("fk_journey_phases_journey_id_journeys")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_journey_phases_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_phases")),
    )
    with op.batch_alter_table("journey_phases", schema=None) as batch_op:
        batch_op.create_index(
            "uq_journey_phases_org_journey_id_position",
            ["organization_id", "journey_id", "position"],
            unique=True,
        )

    op.create_table(
        "programs",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("journey_id", sa.String(length=36), nullable=False),
        sa.Column("segment_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("holdout_share", sa.Float(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name=op.f("fk_programs_journey_id_journeys")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_programs_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_programs_segment_id_segments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
    )
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.create_index("ix_programs_org_status", ["organization_id", "status"], unique=False)

    op.create_table(
        "enrollments",
        sa.Column("program_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("enrolled_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("is_holdout", sa.Boolean(), nullable=False),
        sa.Column("ended_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_enrollments_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_enrollments_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_enrollments_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
    )
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enrollments_org_updated_at", ["organization_id", "updated_at"], unique=False
        )
        batch_op.create_index(
            "ix_enrollments_org_worker_id", ["organization_id", "worker_id"], unique=False
        )
        batch_op.create_index(
            "uq_enrollments_org_program_id_worker_id",
            ["organization_id", "program_id", "worker_id"],
            unique=True,
        )

    op.create_table(
        "touchpoints",
        sa.Column("journey_id", sa.String(length=36), nullable=False),
        sa.Column("phase_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day_offset", sa.Integer(), nullable=False),
        sa.Column("local_send_time", sa.Time(), nullable=False),
        sa.Column("content_id", sa.String(length=36), nullable=False),
        sa.Column(
            "follow_up",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["content_id"], ["content.id"], name=op.f("fk_touchpoints_content_id_content")
        ),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name=op.f("fk_touchpoints_journey_id_journeys")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_touchpoints_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["phase_id"], ["journey_phases.id"], name=op.f("fk_touchpoints_phase_id_journey_phases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_touchpoints")),
    )
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.create_index(
            "uq_touchpoints_org_journey_id_position",
            ["organization_id", "journey_id", "position"],
            unique=True,
        )

    op.create_table(
        "experiments",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("hypothesis", sa.Text(), nullable=True),
        sa.Column("program_id", sa.String(length=36), nullable=True),
        sa.Column("touchpoint_id", sa.String(length=36), nullable=True),
        sa.Column("segment_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("primary_metric", sa.String(length=64), nullable=False),
        sa.Column(
            "guardrail_metrics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_adaptive", sa.Boolean(), nullable=False),
        sa.Column("starts_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ends_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_experiments_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_experiments_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_experiments_segment_id_segments")
        ),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"],
            ["touchpoints.id"],
            name=op.f("fk_experiments_touchpoint_id_touchpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
    )
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_experiments_org_status", ["organization_id", "status"], unique=False
        )

    op.create_table(
        "outbox",
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("enrollment_id", sa.String(length=36), nullable=True),
        sa.Column("touchpoint_id", sa.String(length=36), nullable=True),
        sa.Column("experiment_variant_id", sa.String(length=36), nullable=True),
        sa.Column("is_follow_up", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("to_number", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("template_sid", sa.String(length=34), nullable=True),
        sa.Column(
            "template_variables",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("message_sid", sa.String(length=34), nullable=True),
        sa.Column("last_error_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enrollment_id"], ["enrollments.id"], name=op.f("fk_outbox_enrollment_id_enrollments")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_outbox_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["touchpoint_id"], ["touchpoints.id"], name=op.f("fk_outbox_touchpoint_id_touchpoints")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_outbox_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_org_status_next_attempt_at",
            ["organization_id", "status", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_outbox_org_worker_id", ["organization_id", "worker_id"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "experiment_variants",
        sa.Column("experiment_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_control", sa.Boolean(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("content_variant_key", sa.String(length=32), nullable=True),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_variants_experiment_id_experiments"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_experiment_variants_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_variants")),
    )
    with op.batch_alter_table("experiment_variants", schema=None) as batch_op:
        batch_op.create_index(
            "uq_experiment_variants_org_experiment_id_key",
            ["organization_id", "experiment_id", "key"],
            unique=True,
        )

    op.create_table(
        "experiment_assignments",
        sa.Column("experiment_id", sa.String(length=36), nullable=False),
        sa.Column("variant_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("enrollment_id", sa.String(length=36), nullable=True),
        sa.Column("assigned_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name=op.f("fk_experiment_assignments_enrollment_id_enrollments"),
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_assignments_experiment_id_experiments"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_experiment_assignments_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["experiment_variants.id"],
            name=op.f("fk_experiment_assignments_variant_id_experiment_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_experiment_assignments_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_assignments")),
    )
    with op.batch_alter_table("experiment_assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_experiment_assignments_org_updated_at",
            ["organization_id", "updated_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_experiment_assignments_org_experiment_id_worker_id",
            ["organization_id", "experiment_id", "worker_id"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("experiment_assignments", schema=None) as batch_op:
        batch_op.drop_index("uq_experiment_assignments_org_experiment_id_worker_id")
        batch_op.drop_index("ix_experiment_assignments_org_updated_at")

    op.drop_table("experiment_assignments")
    with op.batch_alter_table("experiment_variants", schema=None) as batch_op:
        batch_op.drop_index("uq_experiment_variants_org_experiment_id_key")

    op.drop_table("experiment_variants")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_next_attempt_at")
        batch_op.drop_index("ix_outbox_org_worker_id")
        batch_op.drop_index("ix_outbox_org_status_next_attempt_at")

    op.drop_table("outbox")
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_index("ix_experiments_org_status")

    op.drop_table("experiments")
    with op.batch_alter_table("touchpoints", schema=None) as batch_op:
        batch_op.drop_index("uq_touchpoints_org_journey_id_position")

    op.drop_table("touchpoints")
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index("uq_enrollments_org_program_id_worker_id")
        batch_op.drop_index("ix_enrollments_org_worker_id")
        batch_op.drop_index("ix_enrollments_org_updated_at")

    op.drop_table("enrollments")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_index("ix_programs_org_status")

    op.drop_table("programs")
    with op.batch_alter_table("journey_phases", schema=None) as batch_op:
        batch_op.drop_index("uq_journey_phases_org_journey_id_position")

    op.drop_table("journey_phases")
    with op.batch_alter_table("content_variants", schema=None) as batch_op:
        batch_op.drop_index("uq_content_variants_org_content_id_variant_key_language")

    op.drop_table("content_variants")
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index("uq_workers_org_phone_e164")
        batch_op.drop_index("uq_workers_org_external_id")
        batch_op.drop_index("ix_workers_phone_e164")
        batch_op.drop_index("ix_workers_org_updated_at")
        batch_op.drop_index("ix_workers_org_team")

    op.drop_table("workers")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_org_role")

    op.drop_table("users")
    with op.batch_alter_table("segments", schema=None) as batch_op:
        batch_op.drop_index("ix_segments_org_name")

    op.drop_table("segments")
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.drop_index("ix_message_events_org_worker")
        batch_op.drop_index("ix_message_events_org_occurred_at")
        batch_op.drop_index("ix_message_events_org_message_sid")

    op.drop_table("message_events")
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.drop_index("ix_journeys_org_status")

    op.drop_table("journeys")
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.drop_index("uq_content_org_key")

    op.drop_table("content")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_api_keys_org_name")

    op.drop_table("api_keys")
    op.drop_table("organizations")
