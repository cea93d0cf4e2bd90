"""Run metadata as the Dagster UI shows it best: tables with named, described columns instead of
raw JSON, so ops read "table / rows quarantined" rather than a dictionary."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any

import dagster as dg

_TYPES = {bool: "bool", int: "int", float: "float"}


def _cell(value: Any) -> str | int | float | bool | None:
    if isinstance(value, Enum):  # Dagster serializes only plain values
        value = value.value
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def table(rows: Iterable[Mapping[str, Any]], columns: Mapping[str, str]) -> dg.TableMetadataValue:
    """`rows` as a table of `columns` (name -> what it means, shown as the column's description);
    a column's type is read from its first non-null value."""
    records = [{name: _cell(row.get(name)) for name in columns} for row in rows]

    def kind(name: str) -> str:
        first = next((r[name] for r in records if r[name] is not None), "")
        return _TYPES.get(type(first), "string")

    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, kind(name), description=d) for name, d in columns.items()]
    )
    return dg.MetadataValue.table([dg.TableRecord(r) for r in records], schema=schema)


def listing(items: Sequence[Any], column: str, description: str) -> dg.TableMetadataValue:
    """A list of names (files, references) as a one-column table."""
    return table(({column: item} for item in items), {column: description})
