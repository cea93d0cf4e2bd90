"""indexes in the lists' default order

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 16:50:00

The API lists a tenant's rows by `created_at, id` unless asked otherwise. Without an index in that
order the store sorts all of an organization's workers (or enrollments) for every page; with one,
a page is a seek and a short scan.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("workers", "enrollments")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(
            f"ix_{table}_org_created_at_id", table, ["organization_id", "created_at", "id"]
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_org_created_at_id", table_name=table)
