"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from coaching.field_crypto import FieldKeyError, FieldKeys


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


def field_keys_of(dialect: Dialect) -> FieldKeys:
    """The field keys of the engine this dialect belongs to (`coaching.store.engine`)."""
    keys = getattr(dialect, "coach_field_keys", None)
    if keys is None:
        raise FieldKeyError(
            "this store engine was opened without field keys, so it cannot read or write "
            "encrypted columns: open it with coaching.store.engine.store_engine(settings)"
        )
    return keys


_ALLOWED_ON_SEALED = {operators.is_, operators.is_not}


class _SealedComparator(TypeDecorator.Comparator[Any]):
    """Only IS NULL / IS NOT NULL: a sealed value equals nothing but itself, so `==` or LIKE on
    it would silently match no row. Lookups go through the column's keyed hash instead."""

    def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
        if op not in _ALLOWED_ON_SEALED:
            raise TypeError(
                f"{self.expr} is encrypted: compare its lookup hash column, not the column itself"
            )
        return super().operate(op, *other, **kwargs)


class EncryptedText(TypeDecorator[str]):
    """Text sealed with the engine's field keys (`coaching.field_crypto`); `column` ("table.column")
    is the associated data, so a token only opens in the column it was written to."""

    impl = Text
    cache_ok = True
    comparator_factory = _SealedComparator

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return field_keys_of(dialect).seal(self.as_text(value), self.column)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.from_text(field_keys_of(dialect).open(value, self.column))

    def as_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, plain: str) -> Any:
        return plain


class EncryptedJSON(EncryptedText):
    """A JSON document sealed as one token. Python None is SQL NULL, as for JSONDocument."""

    cache_ok = True

    def as_text(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def from_text(self, plain: str) -> Any:
        return json.loads(plain)


_HASH = re.compile(r"^[0-9a-f]{64}$")


class LookupHash(TypeDecorator[str]):
    """The keyed hash of a plain value, for equality lookups on an encrypted column.

    Set it, or compare it, with the plain value (`Worker.phone_lookup == "+2547..."`): the hash is
    taken on the way into the database. A value that already is a hash (read back from a row) is
    kept, so a loaded row flushed again is not hashed twice."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or _HASH.match(value):
            return value
        return field_keys_of(dialect).lookup(value)
