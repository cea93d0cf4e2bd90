"""urgent content

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:20:00

Content may be flagged urgent (a safety notice): once the organization's monthly quota is used
up, urgent content still goes out, up to the tier's grace allowance (`coaching.quota`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "content", sa.Column("is_urgent", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("content", "is_urgent")
