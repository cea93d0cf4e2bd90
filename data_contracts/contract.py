"""What a contract is: typed columns with rules, references to other tables, and row conditions.

A contract is data, written in code; the validator turns it into one DuckDB query that types every
row and gives it a reason when it breaks a rule, and the suite builder turns the same contract into
a great-expectations suite. One definition, two independent enforcers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

E164_PATTERN = r"^\+[1-9][0-9]{7,14}$"
PERIOD_PATTERN = r"^[0-9]{4}-(?:0[1-9]|1[0-2])$"

# DuckDB type name -> Arrow type, for building typed tables outside DuckDB.
ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIME": pa.time64("us"),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "VARCHAR"
    required: bool = False
    allowed: tuple[str, ...] = ()
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""
    is_json: bool = False  # a JSON document stored as text

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.type]


@dataclass(frozen=True)
class Reference:
    """Rows whose `column` finds no match in a lookup table are rejected with `reason`."""

    reason: str
    column: str
    lookup: str  # name of a lookup relation the caller registers (e.g. "workers")
    lookup_column: str
    same_organization: bool = True
    when: str | None = None  # SQL predicate over this contract's own columns


@dataclass(frozen=True)
class Contract:
    table: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    max_quarantine_share: float = 0.05
    references: tuple[Reference, ...] = ()
    # (reason, SQL predicate over this contract's columns that every good row satisfies)
    conditions: tuple[tuple[str, str], ...] = ()
    partition_column: str | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(c.name, c.arrow_type) for c in self.columns])
