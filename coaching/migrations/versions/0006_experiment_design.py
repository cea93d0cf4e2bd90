"""experiment design and decision thresholds

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:10:00

Decisions are read every day, so an experiment carries its design: the days it is planned to run
(`planned_days`) and, in `decision_settings`, what its decision is held to (alpha, the lift it is
designed to detect, the minimum whole weeks and sample per arm before any decision, the smallest
lift worth shipping, the guardrail margin). Organizations set defaults for the same settings in
`experiment_defaults`; both start empty, so existing experiments are held to the platform's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)


def upgrade() -> None:
    # Plain ADD COLUMN, as in 0004: other tables' foreign keys point at both tables.
    op.add_column(
        "organizations",
        sa.Column("experiment_defaults", JSON_DOCUMENT, nullable=False, server_default="{}"),
    )
    op.add_column(
        "experiments",
        sa.Column("decision_settings", JSON_DOCUMENT, nullable=False, server_default="{}"),
    )
    op.add_column("experiments", sa.Column("planned_days", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("organizations", "experiment_defaults", server_default=None)
        op.alter_column("experiments", "decision_settings", server_default=None)


def downgrade() -> None:
    op.drop_column("experiments", "planned_days")
    op.drop_column("experiments", "decision_settings")
    op.drop_column("organizations", "experiment_defaults")
