"""audit log, webhook receipts, and row-level security on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 02:40:00

Row-level security is the second wall of tenant isolation (the first is the API's session-wide
filter). Policies apply to the `coach_api` role only: the API switches to it for every request
(`SET LOCAL ROLE coach_api`) and names the caller's organization in `app.organization_id`.
Ingestion, activation and migrations run as the owning user and are not filtered; the owner is
not subject to RLS because the tables do not FORCE it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import coaching.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "coach_api"
# Frozen here on purpose: a migration describes the schema as it was at this revision.
TENANT_TABLES = (
    "users",
    "api_keys",
    "workers",
    "segments",
    "content",
    "content_variants",
    "journeys",
    "journey_phases",
    "touchpoints",
    "programs",
    "enrollments",
    "experiments",
    "experiment_variants",
    "experiment_assignments",
    "message_events",
    "outbox",
    "audit_log",
    "webhook_receipts",
)
CURRENT_ORGANIZATION = "current_setting('app.organization_id', true)"


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_audit_log_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_org_at", ["organization_id", "at"], unique=False)
        batch_op.create_index(
            "ix_audit_log_org_entity", ["organization_id", "entity", "entity_id"], unique=False
        )
    op.create_table(
        "webhook_receipts",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("message_event_id", sa.BigInteger(), nullable=True),
        sa.Column("received_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_webhook_receipts_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_webhook_receipts")),
    )
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_receipts_org_received_at", ["organization_id", "received_at"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        _enable_row_level_security()


def _enable_row_level_security() -> None:
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{API_ROLE}') THEN
            CREATE ROLE {API_ROLE} NOLOGIN;
          END IF;
        END $$;
        """
    )
    op.execute(f"GRANT {API_ROLE} TO CURRENT_USER")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {API_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {API_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {API_ROLE}")
    # Tables later migrations add are reachable by the API role without another grant.
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {API_ROLE}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {API_ROLE}"
    )
    for table in (*TENANT_TABLES, "organizations"):
        column = "id" if table == "organizations" else "organization_id"
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} TO {API_ROLE} "
            f"USING ({column} = {CURRENT_ORGANIZATION}) "
            f"WITH CHECK ({column} = {CURRENT_ORGANIZATION})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in (*TENANT_TABLES, "organizations"):
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {API_ROLE}"
        )
        op.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            f"REVOKE USAGE, SELECT ON SEQUENCES FROM {API_ROLE}"
        )
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {API_ROLE}")
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {API_ROLE}")
        op.execute(f"REVOKE USAGE ON SCHEMA public FROM {API_ROLE}")
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_receipts_org_received_at")
    op.drop_table("webhook_receipts")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_org_entity")
        batch_op.drop_index("ix_audit_log_org_at")
    op.drop_table("audit_log")
