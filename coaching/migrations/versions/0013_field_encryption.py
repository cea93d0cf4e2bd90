"""field encryption: phones, bodies and payloads sealed in the store, phones found by a keyed hash

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 10:00:00

The sealed columns become text (a token is longer than a phone, and a sealed document is no longer
JSON to the database); `workers.phone_lookup` holds the HMAC of the phone and takes over the
phone's uniqueness per organization and the webhooks' index. Rows already stored are sealed with
the migrating engine's field keys (`coach db upgrade` opens it with the installation's keys), in
the same transaction; downgrading opens them again.
"""

from collections.abc import Sequence
from contextlib import nullcontext

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from coaching.store.key_rotation import reseal, rewrite_all, unseal
from coaching.store.types import field_keys_of

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns this revision seals (written out: later models may seal more).
SEALED = {
    "workers": ("phone_e164",),
    "users": ("totp_secret",),
    "message_events": ("from_number", "to_number", "body", "payload"),
    "outbox": ("to_number", "body", "template_variables", "field_values"),
}
# Their types before, for the way back: (type, nullable).
BEFORE: dict[tuple[str, str], tuple[sa.types.TypeEngine, bool]] = {
    ("workers", "phone_e164"): (sa.String(16), False),
    ("users", "totp_secret"): (sa.String(64), True),
    ("message_events", "from_number"): (sa.String(32), True),
    ("message_events", "to_number"): (sa.String(32), True),
    ("message_events", "body"): (sa.Text(), True),
    ("outbox", "to_number"): (sa.String(32), False),
    ("outbox", "body"): (sa.Text(), True),
}
JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)
DOCUMENTS = {
    ("message_events", "payload"),
    ("outbox", "template_variables"),
    ("outbox", "field_values"),
}
NOT_NULL_DOCUMENTS = {("message_events", "payload"), ("outbox", "template_variables")}


def _before(table: str, column: str) -> tuple[sa.types.TypeEngine, bool]:
    if (table, column) in DOCUMENTS:
        return JSON_DOCUMENT, (table, column) not in NOT_NULL_DOCUMENTS
    return BEFORE[(table, column)]


def _has_rows() -> bool:
    bind = op.get_bind()
    return any(bind.execute(sa.text(f"select 1 from {table} limit 1")).first() for table in SEALED)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index("ix_workers_phone_e164")
        batch_op.drop_index("uq_workers_org_phone_e164")
        batch_op.add_column(sa.Column("phone_lookup", sa.String(length=64), nullable=True))
    for table, columns in SEALED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in columns:
                existing, nullable = _before(table, name)
                batch_op.alter_column(
                    name,
                    existing_type=existing,
                    type_=sa.Text(),
                    existing_nullable=nullable,
                    postgresql_using=f"{name}::text" if postgres else None,
                )
    if _has_rows():  # an empty store needs no keys (the plain `alembic` command)
        keys = field_keys_of(op.get_bind().dialect)
        rewrite_all(lambda: nullcontext(op.get_bind()), SEALED, reseal(keys), keys=keys)
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.alter_column("phone_lookup", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(
            "uq_workers_org_phone_lookup", ["organization_id", "phone_lookup"], unique=True
        )
        batch_op.create_index("ix_workers_phone_lookup", ["phone_lookup"], unique=False)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if _has_rows():
        keys = field_keys_of(op.get_bind().dialect)
        rewrite_all(lambda: nullcontext(op.get_bind()), SEALED, unseal(keys))
    for table, columns in SEALED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in columns:
                before, nullable = _before(table, name)
                using = None
                if postgres:
                    using = f"{name}::jsonb" if (table, name) in DOCUMENTS else f"{name}::varchar"
                batch_op.alter_column(
                    name,
                    existing_type=sa.Text(),
                    type_=before,
                    existing_nullable=nullable,
                    postgresql_using=using,
                )
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index("ix_workers_phone_lookup")
        batch_op.drop_index("uq_workers_org_phone_lookup")
        batch_op.drop_column("phone_lookup")
        batch_op.create_index(
            "uq_workers_org_phone_e164", ["organization_id", "phone_e164"], unique=True
        )
        batch_op.create_index("ix_workers_phone_e164", ["phone_e164"], unique=False)
