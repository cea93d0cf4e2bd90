"""The lake's layout and its two write rules: every file appears atomically, and readers outside a
run read published files only.

Layout under `COACH_LAKE_DIR`:

    raw/<table>/...             immutable inputs as they arrived (landing files, store batches)
    bronze/<table>/...          validated rows, hive-partitioned
    quarantine/<table>/...      rows that broke the contract, with the reason and the source
    gold/<mart>.parquet         the analytics marts: pseudonymous (a worker key, never a phone,
                                name or free text), what analysts and notebooks read
    restricted/<mart>.parquet   the marts that name people (identities, what is sent to whom),
                                read only by activation and the admin API
    _meta/                      ledgers (processed landing files)

Every writer writes to a hidden temporary file in the destination folder and renames it over the
target, so a reader (or a crash) sees either the previous file or the new one, never half of one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from coaching.duckdb_limits import DuckDBLimits

# The published marts that carry identity: activation needs a phone and a message text to send,
# and the admin reads name the workers they list. Every other mart is published to gold/.
RESTRICTED_MARTS = frozenset(
    {
        "worker_identities",
        "activation_schedule",
        "worker_digests",
        "enrollment_plan",
        "notifications_due",
    }
)


def published_mart(lake_dir: Path | str, mart: str) -> Path:
    """Where a mart is published: `restricted/` for the ones that name people, else `gold/`."""
    layer = "restricted" if mart in RESTRICTED_MARTS else "gold"
    return Path(lake_dir) / layer / f"{mart}.parquet"


@dataclass(frozen=True)
class Lake:
    root: Path
    # How the DuckDB connections that read and write this lake are bounded.
    duckdb: DuckDBLimits = field(default_factory=DuckDBLimits)

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def bronze(self) -> Path:
        return self.root / "bronze"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def gold(self) -> Path:
        return self.root / "gold"

    @property
    def restricted(self) -> Path:
        return self.root / "restricted"

    @property
    def meta(self) -> Path:
        return self.root / "_meta"

    def table(self, layer: str, table: str) -> Path:
        return self.root / layer / table

    def files(self, layer: str, table: str) -> list[Path]:
        """Published Parquet files of a table (temporary files are hidden and skipped)."""
        folder = self.table(layer, table)
        if not folder.exists():
            return []
        return sorted(p for p in folder.rglob("*.parquet") if not p.name.startswith("."))


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`; renamed over it only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_text(text: str, target: Path) -> Path:
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return target
