"""Store rows read as the DBAPI gives them, and turned into Arrow a column at a time.

An extract reads a million rows of a table. Through SQLAlchemy's result processing every value is
converted on its own (on SQLite a timestamp's text to a datetime, then to UTC; a JSON text to
objects; a sealed token opened), and that was most of an extract's time: 13.3 s of the 200,000
workers of a simulated world. Here the columns are selected raw and each column is converted in
one step: timestamps and dates parsed by Arrow, sealed columns opened in one loop, anything else
through its type's own processor. A column Arrow cannot parse (text in a form other than the one
SQLAlchemy writes, say with an offset) falls back to the type's processor for that batch, so the
values are always the ones the ORM would have read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import ColumnElement, Date, type_coerce
from sqlalchemy.engine import Dialect
from sqlalchemy.types import NullType, TypeEngine

from coaching.store.types import EncryptedText, UTCDateTime, field_keys_of

# A column's raw DBAPI values in, the values (or an Arrow array of them) the ORM would read out.
Decode = Callable[[list[Any]], "list[Any] | pa.Array"]


def raw(columns: Sequence[ColumnElement[Any]]) -> list[ColumnElement[Any]]:
    """`columns` as selected values their types do not process, under their own names."""
    return [type_coerce(column, NullType()).label(column.key) for column in columns]


def decoders(columns: Sequence[ColumnElement[Any]], dialect: Dialect) -> dict[str, Decode]:
    """How to read each of `columns`' raw values, by the name `raw` selects it under."""
    return {column.key: _decoder(column.type, dialect) for column in columns}


def _decoder(kind: TypeEngine[Any], dialect: Dialect) -> Decode:
    if isinstance(kind, EncryptedText):
        return _sealed(kind, dialect)
    processor = kind.dialect_impl(dialect).result_processor(dialect, None)
    one_by_one = _each(processor)
    if isinstance(kind, UTCDateTime):
        return _parsed(pa.timestamp("us"), datetime, one_by_one)
    if isinstance(kind, Date):
        return _parsed(pa.date32(), date, one_by_one)
    return one_by_one


def _each(processor: Callable[[Any], Any] | None) -> Decode:
    if processor is None:
        return lambda values: values
    return lambda values: [processor(value) for value in values]


def _sealed(kind: EncryptedText, dialect: Dialect) -> Decode:
    keys = field_keys_of(dialect)

    def decode(values: list[Any]) -> list[Any]:
        opened = keys.open_many(values, kind.column)
        if type(kind).from_text is EncryptedText.from_text:
            return opened
        return [None if plain is None else kind.from_text(plain) for plain in opened]

    return decode


def _parsed(parsed: pa.DataType, native: type, one_by_one: Decode) -> Decode:
    """Text (SQLite) parsed by Arrow as `parsed`, naive timestamps being UTC as the store writes
    them; driver values already of the `native` type (PostgreSQL's, zone-aware) pass as they are,
    for Arrow to convert; anything else one by one."""

    def decode(values: list[Any]) -> list[Any] | pa.Array:
        kinds = {type(value) for value in values if value is not None}
        if kinds == {str}:
            try:
                return pc.cast(pa.array(values, pa.string()), parsed)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return one_by_one(values)
        if native is datetime and kinds <= {datetime}:
            if all(value.tzinfo is not None for value in values if value is not None):
                return values
        elif kinds <= {native}:
            return values
        return one_by_one(values)

    return decode


def as_arrow(values: list[Any] | pa.Array, arrow_type: pa.DataType) -> pa.Array:
    """A decoded column as the contract's type (a naive timestamp Arrow parsed is UTC)."""
    if isinstance(values, pa.Array):
        return values.cast(arrow_type)
    return pa.array(values, arrow_type)
