"""journey rules

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 07:40:00

Journeys respond to the worker: a touchpoint may be a branch (reached only through a rule), name
the touchpoint that follows it, and carry rules (reply keyword, quiz answer, check-in score, no
reply, segment membership) that send the worker elsewhere. Existing touchpoints are main-flow
touchpoints with no rules, so every journey stored before keeps its linear schedule.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)
DEFAULTED = ("branch", "rules")


def upgrade() -> None:
    # Plain ADD COLUMN, as in 0004: other tables' foreign keys point at touchpoints.
    op.add_column(
        "touchpoints", sa.Column("branch", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("touchpoints", sa.Column("next_name", sa.String(length=200), nullable=True))
    op.add_column("touchpoints", sa.Column("next_position", sa.Integer(), nullable=True))
    op.add_column(
        "touchpoints", sa.Column("rules", JSON_DOCUMENT, nullable=False, server_default="[]")
    )
    if op.get_bind().dialect.name == "postgresql":
        for column in DEFAULTED:
            op.alter_column("touchpoints", column, server_default=None)


def downgrade() -> None:
    for column in ("rules", "next_position", "next_name", "branch"):
        op.drop_column("touchpoints", column)
