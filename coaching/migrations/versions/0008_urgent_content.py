"""urgent content and computed message fields

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:20:00

Content may be flagged urgent (a safety notice): once the organization's monthly quota is used
up, urgent content still goes out, up to the tier's grace allowance (`coaching.quota`). Outbox
rows carry the figures the warehouse computed for their recipient (`field_values`: a weekly
digest's points, streak and rank), which fill placeholders as a worker's name does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)


def upgrade() -> None:
    op.add_column(
        "content", sa.Column("is_urgent", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("outbox", sa.Column("field_values", JSON_DOCUMENT, nullable=True))


def downgrade() -> None:
    op.drop_column("outbox", "field_values")
    op.drop_column("content", "is_urgent")
