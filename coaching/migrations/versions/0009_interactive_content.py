"""interactive content, media and inbound media

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 21:40:00

Content carries the options a worker answers by tapping (`content.options`), variants their
labels in their language and media (`option_texts`, `media_url/type/bytes`); activation registers
each interactive or media variant as a Twilio Content API template (`content_templates`) and the
outbox carries the in-session template and the media of a send. Inbound events keep the tapped
button's payload and label and how many files came (`button_payload`, `button_text`,
`media_count`), and `inbound_media` a tenant-scoped reference to each file.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import coaching.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "coach_api"
CURRENT_ORGANIZATION = "current_setting('app.organization_id', true)"
JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)
NEW_TENANT_TABLES = ("content_templates", "inbound_media")


def _audit_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=True),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("deleted_at", coaching.store.types.UTCDateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    op.add_column(
        "content", sa.Column("options", JSON_DOCUMENT, nullable=False, server_default="[]")
    )
    op.add_column(
        "content_variants",
        sa.Column("option_texts", JSON_DOCUMENT, nullable=False, server_default="{}"),
    )
    op.add_column("content_variants", sa.Column("media_url", sa.Text(), nullable=True))
    op.add_column("content_variants", sa.Column("media_type", sa.String(length=100), nullable=True))
    op.add_column("content_variants", sa.Column("media_bytes", sa.BigInteger(), nullable=True))
    op.add_column(
        "message_events", sa.Column("button_payload", sa.String(length=200), nullable=True)
    )
    op.add_column("message_events", sa.Column("button_text", sa.String(length=200), nullable=True))
    op.add_column("message_events", sa.Column("media_count", sa.Integer(), nullable=True))
    op.add_column("outbox", sa.Column("session_template_sid", sa.String(length=34), nullable=True))
    op.add_column("outbox", sa.Column("media_url", sa.Text(), nullable=True))

    op.create_table(
        "content_templates",
        sa.Column("content_variant_id", sa.String(length=36), nullable=False),
        sa.Column("layout", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("twilio_sid", sa.String(length=34), nullable=False),
        sa.Column("friendly_name", sa.String(length=200), nullable=False),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["content_variant_id"],
            ["content_variants.id"],
            name=op.f("fk_content_templates_content_variant_id_content_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_content_templates_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_templates")),
    )
    with op.batch_alter_table("content_templates", schema=None) as batch_op:
        batch_op.create_index(
            "uq_content_templates_org_content_variant_id_layout_digest",
            ["organization_id", "content_variant_id", "layout", "digest"],
            unique=True,
        )

    op.create_table(
        "inbound_media",
        sa.Column("message_event_id", sa.BigInteger(), nullable=False),
        sa.Column("message_sid", sa.String(length=34), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("received_at", coaching.store.types.UTCDateTime(timezone=True), nullable=False),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["message_event_id"],
            ["message_events.id"],
            name=op.f("fk_inbound_media_message_event_id_message_events"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_inbound_media_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_media")),
    )
    with op.batch_alter_table("inbound_media", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbound_media_org_worker_id_received_at",
            ["organization_id", "worker_id", "received_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_inbound_media_org_message_sid_position",
            ["organization_id", "message_sid", "position"],
            unique=True,
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
    with op.batch_alter_table("inbound_media", schema=None) as batch_op:
        batch_op.drop_index("uq_inbound_media_org_message_sid_position")
        batch_op.drop_index("ix_inbound_media_org_worker_id_received_at")
    op.drop_table("inbound_media")
    with op.batch_alter_table("content_templates", schema=None) as batch_op:
        batch_op.drop_index("uq_content_templates_org_content_variant_id_layout_digest")
    op.drop_table("content_templates")
    for table, column in (
        ("outbox", "media_url"),
        ("outbox", "session_template_sid"),
        ("message_events", "media_count"),
        ("message_events", "button_text"),
        ("message_events", "button_payload"),
        ("content_variants", "media_bytes"),
        ("content_variants", "media_type"),
        ("content_variants", "media_url"),
        ("content_variants", "option_texts"),
        ("content", "options"),
    ):
        op.drop_column(table, column)
