"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored and returned as timezone-aware UTC.

    SQLite has no timezone type and silently drops offsets; without this, a naive value read back
    from SQLite would compare differently from the same value read from PostgreSQL. Naive inputs are
    refused because guessing their zone is how off-by-hours bugs get in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON documents (rule trees, follow-up rules, free attributes): JSONB where the engine has it.
# Python None is SQL NULL, not the JSON text 'null': a NOT NULL document column then refuses it in
# the store itself, instead of keeping a null no reader expects.
JSONDocument = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

# Surrogate keys for append-only, high-volume tables: 64-bit on PostgreSQL, the rowid on SQLite
# (SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY).
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")

# Entity ids are UUID strings: not enumerable across tenants, mergeable across systems, and the
# same text in the store, the lake and every API payload.
EntityId = String(36)


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)
