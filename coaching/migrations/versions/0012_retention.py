"""retention: how long an organization keeps message bodies, and what each purge removed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:00:00

`organizations.message_retention_days` (null: kept until asked) bounds how long message bodies
and inbound media are kept; `retention_purges` records, per organization and run of the
retention job, what was purged from the store and the lake.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import coaching.store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "coach_api"
CURRENT_ORGANIZATION = "current_setting('app.organization_id', true)"
JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)


def upgrade() -> None:
    op.create_table(
        "retention_purges",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("ran_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cutoff", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("message_bodies", sa.Integer(), nullable=False),
        sa.Column("outbox_bodies", sa.Integer(), nullable=False),
        sa.Column("inbound_media", sa.Integer(), nullable=False),
        sa.Column("lake_rows", sa.Integer(), nullable=False),
        sa.Column("lake_files", JSON_DOCUMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_retention_purges_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_purges")),
    )
    with op.batch_alter_table("retention_purges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_retention_purges_org_ran_at", ["organization_id", "ran_at"], unique=False
        )
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_retention_days", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE retention_purges ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON retention_purges TO {API_ROLE} "
            f"USING (organization_id = {CURRENT_ORGANIZATION}) "
            f"WITH CHECK (organization_id = {CURRENT_ORGANIZATION})"
        )


def downgrade() -> None:
    # Plain DROP COLUMN (as 0007's downgrade): other tables' keys point at organizations, so
    # SQLite cannot copy the table the batch form would.
    op.drop_column("organizations", "message_retention_days")
    with op.batch_alter_table("retention_purges", schema=None) as batch_op:
        batch_op.drop_index("ix_retention_purges_org_ran_at")
    op.drop_table("retention_purges")
