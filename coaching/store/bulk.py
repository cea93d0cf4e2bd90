"""Bulk writes for loaders (the simulator, imports): chunked Core inserts, no ORM objects.

The ORM's unit of work keeps every object it touches; at a million workers that is gigabytes.
Core `executemany` streams the same rows through the driver's batch path in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select, update

from coaching.store.tables import Base

CHUNK = 5_000


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def insert_rows(connection: Connection, name: str, rows: Iterable[dict[str, Any]]) -> int:
    target = table(name)
    iterator = iter(rows)
    written = 0
    while batch := list(islice(iterator, CHUNK)):
        connection.execute(target.insert(), batch)
        written += len(batch)
    return written


def update_by_id(
    connection: Connection, name: str, rows: Sequence[dict[str, Any]], columns: Sequence[str]
) -> int:
    """Set `columns` on the rows whose id is given (each row: {"row_id": ..., column: value})."""
    if not rows:
        return 0
    target = table(name)
    statement = (
        update(target)
        .where(target.c.id == bindparam("row_id"))
        .values({column: bindparam(column) for column in columns})
    )
    for start in range(0, len(rows), CHUNK):
        connection.execute(statement, list(rows[start : start + CHUNK]))
    return len(rows)


def count_rows(connection: Connection) -> dict[str, int]:
    return {
        name: connection.execute(select(func.count()).select_from(t)).scalar_one()
        for name, t in Base.metadata.tables.items()
    }


def delete_everything(connection: Connection) -> None:
    """Empty every table, children first. Only for `--reset` of a simulated store."""
    for t in reversed(Base.metadata.sorted_tables):
        connection.execute(t.delete())
