"""What a contract is: typed columns with rules, references to other tables, and row conditions.

A contract is data, written in code; the validator turns it into one DuckDB query that types every
row and gives it a reason when it breaks a rule, and the suite builder turns the same contract into
a great-expectations suite. One definition, two independent enforcers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

E164_PATTERN = r"^\+[1-9][0-9]{7,14}$"
# Text is bounded and printable: a 10,000-character name or a NUL byte is a broken export, not data.
TEXT_MAX_LENGTH = 500
MULTILINE_MAX_LENGTH = 4_096  # message bodies, descriptions (WhatsApp's limit is 4,096)
JSON_MAX_LENGTH = 65_536
# C0 controls and DEL. Multiline text may hold tab, newline and carriage return; nothing may hold
# the rest (NUL above all: it truncates strings in half the tools that read the lake).
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
LINE_BREAKS_OR_CONTROLS = r"[\x00-\x1f\x7f]"
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
    multiline: bool = False  # free text that may hold line breaks (bodies, descriptions)
    max_length: int | None = None  # None: the default for its kind of text

    @property
    def is_text(self) -> bool:
        return self.type == "VARCHAR"

    @property
    def length_limit(self) -> int:
        if self.max_length is not None:
            return self.max_length
        if self.is_json:
            return JSON_MAX_LENGTH
        return MULTILINE_MAX_LENGTH if self.multiline else TEXT_MAX_LENGTH

    @property
    def forbidden_characters(self) -> str:
        """A regex class of the characters this column may not hold."""
        return CONTROL_CHARACTERS if self.multiline or self.is_json else LINE_BREAKS_OR_CONTROLS

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
    # Columns in which two copies of one key may differ and still be the same row (when a retried
    # delivery was made). Copies that differ anywhere else conflict: both are kept, in quarantine.
    delivery_columns: tuple[str, ...] = ()

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
