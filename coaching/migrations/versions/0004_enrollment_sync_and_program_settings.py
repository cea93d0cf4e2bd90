"""enrollment sync and program settings

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:46:59

Programs enroll their target segment through the enrollment sync: each program says what happens
to a worker who leaves the segment (`on_segment_exit`), how large a change one sync may make
(`max_sync_change_share`) and the objectives its progress is read against. Every sync writes one
`enrollment_syncs` row per program and keeps the changes the store refused, with their reasons, in
`enrollment_sync_rejections`. Existing programs keep their workers (`keep`) and get no objectives.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import coaching.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "coach_api"
CURRENT_ORGANIZATION = "current_setting('app.organization_id', true)"
NEW_TENANT_TABLES = ("enrollment_syncs", "enrollment_sync_rejections")
JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)


def upgrade() -> None:
    op.create_table(
        "enrollment_sync_rejections",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("program_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
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
            name=op.f("fk_enrollment_sync_rejections_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_sync_rejections")),
    )
    with op.batch_alter_table("enrollment_sync_rejections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enrollment_sync_rejections_org_run_id", ["organization_id", "run_id"], unique=False
        )

    op.create_table(
        "enrollment_syncs",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("program_id", sa.String(length=36), nullable=False),
        sa.Column("started_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("held_out", sa.Integer(), nullable=False),
        sa.Column("ended", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
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
            name=op.f("fk_enrollment_syncs_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_enrollment_syncs_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollment_syncs")),
    )
    with op.batch_alter_table("enrollment_syncs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enrollment_syncs_org_program_id_started_at",
            ["organization_id", "program_id", "started_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_enrollment_syncs_org_run_id", ["organization_id", "run_id"], unique=False
        )

    # Plain ALTER TABLE ... ADD COLUMN (no batch copy): SQLite cannot drop and recreate a table
    # other tables' foreign keys point at, and a column with a default needs no copy.
    op.add_column(
        "programs",
        sa.Column("on_segment_exit", sa.String(length=8), nullable=False, server_default="keep"),
    )
    op.add_column(
        "programs",
        sa.Column("max_sync_change_share", sa.Float(), nullable=False, server_default="0.25"),
    )
    op.add_column(
        "programs", sa.Column("objectives", JSON_DOCUMENT, nullable=False, server_default="{}")
    )
    if op.get_bind().dialect.name == "postgresql":
        # The defaults were for the rows already there; new rows get theirs from the models.
        for column in ("on_segment_exit", "max_sync_change_share", "objectives"):
            op.alter_column("programs", column, server_default=None)
        for table in NEW_TENANT_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table} TO {API_ROLE} "
                f"USING (organization_id = {CURRENT_ORGANIZATION}) "
                f"WITH CHECK (organization_id = {CURRENT_ORGANIZATION})"
            )


def downgrade() -> None:
    for column in ("objectives", "max_sync_change_share", "on_segment_exit"):
        op.drop_column("programs", column)

    with op.batch_alter_table("enrollment_syncs", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollment_syncs_org_run_id")
        batch_op.drop_index("ix_enrollment_syncs_org_program_id_started_at")

    op.drop_table("enrollment_syncs")
    with op.batch_alter_table("enrollment_sync_rejections", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollment_sync_rejections_org_run_id")

    op.drop_table("enrollment_sync_rejections")
