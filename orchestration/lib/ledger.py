"""The ledger of landing files: every file the intake has seen, by content hash.

A file is identified by the SHA-256 of its bytes, so the same export dropped twice (under the same
or another name) is recognized and not processed again. The ledger is one JSON-lines file written
atomically by the intake, its only writer.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from coaching.lake import Lake, write_text


@dataclass
class LedgerEntry:
    file_id: str
    name: str  # path relative to the landing folder when it arrived
    kind: str | None  # message_events | hr_roster | hr_performance
    status: str  # accepted | rejected | duplicate
    reason: str | None
    received_at: str
    size: int
    rows: int = 0
    rows_quarantined: int = 0
    raw_path: str | None = None  # relative to the lake root
    organization_slug: str | None = None


class Ledger:
    def __init__(self, lake: Lake) -> None:
        self.path = lake.meta / "landing_ledger.jsonl"
        self.entries: list[LedgerEntry] = []
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self.entries.append(LedgerEntry(**json.loads(line)))

    def accepted(self, file_id: str) -> LedgerEntry | None:
        return next(
            (e for e in self.entries if e.file_id == file_id and e.status == "accepted"), None
        )

    def add(self, entry: LedgerEntry) -> None:
        self.entries.append(entry)

    def save(self) -> None:
        text = "".join(json.dumps(asdict(e), sort_keys=True) + "\n" for e in self.entries)
        write_text(text, self.path)
