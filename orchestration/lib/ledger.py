"""The ledger of landing files: every file the intake has seen, by content hash.

A file is identified by the SHA-256 of its bytes, so the same export dropped twice (under the same
or another name) is recognized and not processed again. The ledger is one JSON-lines file appended to
by the intake, its only writer.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass

from coaching.lake import Lake

logger = logging.getLogger(__name__)


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
    """Read once, then appended to: each recorded file is one line, written and synced before the
    intake goes on, so a crash never forgets a file already moved. Rewriting the whole ledger
    after every file made an intake of n files cost n squared (half a minute at 900 files)."""

    def __init__(self, lake: Lake) -> None:
        self.path = lake.meta / "landing_ledger.jsonl"
        self.entries: list[LedgerEntry] = []
        self._accepted: dict[str, LedgerEntry] = {}
        self._torn_at: int | None = None  # where a line torn by a crash starts
        self._needs_newline = False
        if self.path.exists():
            data = self.path.read_bytes()
            lines = data.split(b"\n")
            offset = 0
            for number, line in enumerate(lines, 1):
                start, offset = offset, offset + len(line) + 1
                if not line.strip():
                    continue
                try:
                    entry = LedgerEntry(**json.loads(line))
                except (ValueError, TypeError):
                    if number == len(lines):  # no newline after it: a crash mid-append
                        logger.warning("ledger %s: a torn last line is dropped", self.path)
                        self._torn_at = start
                        continue
                    raise
                self._remember(entry)
            # A whole last entry whose newline never made it: the next one starts a new line.
            self._needs_newline = not data.endswith(b"\n") and self._torn_at is None and bool(data)

    def _remember(self, entry: LedgerEntry) -> None:
        self.entries.append(entry)
        if entry.status == "accepted":
            self._accepted.setdefault(entry.file_id, entry)

    def accepted(self, file_id: str) -> LedgerEntry | None:
        return self._accepted.get(file_id)

    def record(self, entry: LedgerEntry) -> None:
        """Append `entry` to the ledger file, durably, and to `entries`."""
        line = json.dumps(asdict(entry), sort_keys=True) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            if self._torn_at is not None:
                handle.truncate(self._torn_at)
                self._torn_at = None
            handle.write(("\n" if self._needs_newline else "") + line)
            self._needs_newline = False
            handle.flush()
            os.fsync(handle.fileno())
        self._remember(entry)
