"""Resealing the store's encrypted columns: key rotation without downtime, and migration 0013.

Rotation runs while the API and the senders keep writing. They already hold the new key list
(new key first), so whatever they write is sealed under the new key, and every old token still
opens. The rotation walks each table page by page in id order, one short transaction per page,
and swaps a value only if it is still the one it read (compare and swap), so a write that lands
between the read and the swap wins and is never overwritten with stale data. A run that stops
halfway is simply run again: tokens already under the current key are skipped. Phone lookup hashes
are recomputed on the way, so a new lookup secret takes effect the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, Text, and_, column, select, table, update

from coaching.field_crypto import FieldKeys, is_token
from coaching.store.tables import Base
from coaching.store.types import EncryptedText, field_keys_of

PAGE = 2_000

# Where a plain value's lookup hash lives beside it.
LOOKUPS = {("workers", "phone_e164"): "phone_lookup"}

Transform = Callable[[str, str], str]  # (stored value, "table.column") -> value to store


@dataclass
class RotationReport:
    resealed: dict[str, int] = field(default_factory=dict)  # "table.column" -> values rewritten
    lookups: int = 0  # lookup hashes recomputed
    skipped: int = 0  # rows a concurrent write changed first (already under the new key)

    @property
    def total(self) -> int:
        return sum(self.resealed.values()) + self.lookups


def sealed_columns() -> dict[str, tuple[str, ...]]:
    """The encrypted columns of the current models, by table."""
    found: dict[str, tuple[str, ...]] = {}
    for name, model_table in Base.metadata.tables.items():
        names = tuple(c.name for c in model_table.columns if isinstance(c.type, EncryptedText))
        if names:
            found[name] = names
    return found


def reseal(keys: FieldKeys) -> Transform:
    """Seal plain values and tokens of older keys under the current key."""

    def transform(stored: str, where: str) -> str:
        if not keys.needs_resealing(stored):
            return stored
        return keys.seal(keys.open(stored, where), where)

    return transform


def unseal(keys: FieldKeys) -> Transform:
    def transform(stored: str, where: str) -> str:
        return keys.open(stored, where) if is_token(stored) else stored

    return transform


def rewrite_page(
    connection: Connection,
    table_name: str,
    columns: tuple[str, ...],
    transform: Transform,
    report: RotationReport,
    *,
    after: object = None,
    keys: FieldKeys | None = None,
    page: int = PAGE,
) -> object:
    """Rewrite one page of rows past id `after`; the last id seen, or None at the end.

    Values are read and written as the raw text in the database (a plain `table()` view, no
    decrypting types), compared and swapped per row. With `keys`, lookup hashes are kept true."""
    lookups = {c: LOOKUPS[(table_name, c)] for c in columns if (table_name, c) in LOOKUPS}
    raw = table(
        table_name,
        column("id"),
        *(column(c, Text) for c in columns),
        *(column(h, Text) for h in lookups.values()),
    )
    statement = select(raw).order_by(raw.c.id).limit(page)
    if after is not None:
        statement = statement.where(raw.c.id > after)
    rows = connection.execute(statement).mappings().all()
    for row in rows:
        changes: dict[str, str] = {}
        for name in columns:
            stored = row[name]
            if stored is None:
                continue
            where = f"{table_name}.{name}"
            new = transform(stored, where)
            if new != stored:
                changes[name] = new
            if keys is not None and name in lookups:
                wanted = keys.lookup(keys.open(stored, where))
                if row[lookups[name]] != wanted:
                    changes[lookups[name]] = wanted
                    report.lookups += 1
        if not changes:
            continue
        unchanged = and_(
            raw.c.id == row["id"],
            *(raw.c[name] == row[name] for name in changes),
        )
        swapped = connection.execute(update(raw).where(unchanged).values(changes)).rowcount
        if swapped == 0:
            report.skipped += 1
            continue
        for name in changes:
            if name in columns:
                where = f"{table_name}.{name}"
                report.resealed[where] = report.resealed.get(where, 0) + 1
    return rows[-1]["id"] if len(rows) == page else None


def rewrite_all(
    begin: Callable[[], AbstractContextManager[Connection]],
    targets: dict[str, tuple[str, ...]],
    transform: Transform,
    *,
    keys: FieldKeys | None = None,
    page: int = PAGE,
) -> RotationReport:
    """Every page of every target table, each page in a transaction `begin()` gives: the
    engine's own for a rotation, or the migration's one connection."""
    report = RotationReport()
    for table_name, columns in targets.items():
        after: object = None
        while True:
            with begin() as connection:
                after = rewrite_page(
                    connection,
                    table_name,
                    columns,
                    transform,
                    report,
                    after=after,
                    keys=keys,
                    page=page,
                )
            if after is None:
                break
    return report


def rotate_keys(engine: Engine, *, page: int = PAGE) -> RotationReport:
    """Reseal every encrypted value under the engine's current key, one transaction a page."""
    keys = field_keys_of(engine.dialect)
    return rewrite_all(engine.begin, sealed_columns(), reseal(keys), keys=keys, page=page)
