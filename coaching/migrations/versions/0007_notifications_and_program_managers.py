"""notifications and program managers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:21:06

The second kind of destination of activation: people inside the organization. `notifications`
holds each notice once by its stable key, `notification_deliveries` its outbox per channel and
recipient (inbox, email, signed webhook), `notification_preferences` how each user hears of each
kind, `notification_webhooks` the organization's outgoing webhooks. Programs name a manager, who
hears of the program's workers and decisions. Notices of the platform itself (a failed pipeline
run) have no organization: row-level security never shows them to a tenant.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import coaching.store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "coach_api"
CURRENT_ORGANIZATION = "current_setting('app.organization_id', true)"
JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)
NEW_TENANT_TABLES = (
    "notifications",
    "notification_deliveries",
    "notification_preferences",
    "notification_webhooks",
)


def upgrade() -> None:
    op.create_table(
        "notification_webhooks",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column(
            "kinds",
            JSON_DOCUMENT,
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
            name=op.f("fk_notification_webhooks_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_webhooks")),
    )
    with op.batch_alter_table("notification_webhooks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_webhooks_org_name", ["organization_id", "name"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=True),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "data",
            JSON_DOCUMENT,
            nullable=False,
        ),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_notifications_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("key", name=op.f("uq_notifications_key")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_org_kind_created_at",
            ["organization_id", "kind", "created_at"],
            unique=False,
        )

    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=True),
        sa.Column("notification_id", sa.String(length=36), nullable=False),
        sa.Column("idempotency_key", sa.String(length=400), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("webhook_id", sa.String(length=36), nullable=True),
        sa.Column("destination", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("claimed_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("read_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_notification_deliveries_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_deliveries_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["notification_webhooks.id"],
            name=op.f("fk_notification_deliveries_webhook_id_notification_webhooks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_notification_deliveries_idempotency_key")
        ),
    )
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_deliveries_org_status", ["organization_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_notification_deliveries_org_user_id_channel_created_at",
            ["organization_id", "user_id", "channel", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_notification_deliveries_status_next_attempt_at",
            ["status", "next_attempt_at"],
            unique=False,
        )

    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "channels",
            JSON_DOCUMENT,
            nullable=False,
        ),
        sa.Column("muted", sa.Boolean(), nullable=False),
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
            name=op.f("fk_notification_preferences_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
    )
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.create_index(
            "uq_notification_preferences_org_user_id_kind",
            ["organization_id", "user_id", "kind"],
            unique=True,
        )

    # Plain ADD COLUMN, as in 0004: other tables' foreign keys point at programs, so SQLite cannot
    # copy the table; it takes the reference inline, PostgreSQL as a named constraint.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE programs ADD COLUMN manager_id VARCHAR(36) REFERENCES users (id)")
    else:
        op.add_column("programs", sa.Column("manager_id", sa.String(length=36), nullable=True))
        op.create_foreign_key(
            "fk_programs_manager_id_users", "programs", "users", ["manager_id"], ["id"]
        )
    if op.get_bind().dialect.name == "postgresql":
        for table in NEW_TENANT_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} TO {API_ROLE} "
                f"USING (organization_id = {CURRENT_ORGANIZATION}) "
                f"WITH CHECK (organization_id = {CURRENT_ORGANIZATION})"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_programs_manager_id_users", "programs", type_="foreignkey")
    op.drop_column("programs", "manager_id")

    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.drop_index("uq_notification_preferences_org_user_id_kind")

    op.drop_table("notification_preferences")
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_deliveries_status_next_attempt_at")
        batch_op.drop_index("ix_notification_deliveries_org_user_id_channel_created_at")
        batch_op.drop_index("ix_notification_deliveries_org_status")

    op.drop_table("notification_deliveries")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_org_kind_created_at")

    op.drop_table("notifications")
    with op.batch_alter_table("notification_webhooks", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_webhooks_org_name")

    op.drop_table("notification_webhooks")
