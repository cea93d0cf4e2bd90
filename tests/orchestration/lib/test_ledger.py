"""The landing ledger: appended to file by file, read back whole, and never lost to a torn line."""

from __future__ import annotations

from pathlib import Path

import pytest

from coaching.lake import Lake
from orchestration.lib.ledger import Ledger, LedgerEntry


def _entry(file_id: str, status: str = "accepted", name: str = "a.csv") -> LedgerEntry:
    return LedgerEntry(file_id, name, "hr_roster", status, None, "2026-12-07T00:00:00", 10)


def _ledger_of(tmp_path: Path, *entries: LedgerEntry) -> Ledger:
    """A lake's ledger with `entries` recorded."""
    ledger = Ledger(Lake(tmp_path))
    for entry in entries:
        ledger.record(entry)
    return ledger


def test_recorded_entries_are_read_back_in_order_and_the_first_acceptance_counts(
    tmp_path: Path,
) -> None:
    _ledger_of(
        tmp_path, _entry("f1"), _entry("f2", status="rejected"),
        _entry("f1", status="duplicate", name="again.csv"), _entry("f1", name="later.csv"),
    )  # fmt: skip
    again = Ledger(Lake(tmp_path))
    assert [(e.file_id, e.status) for e in again.entries] == [
        ("f1", "accepted"), ("f2", "rejected"), ("f1", "duplicate"), ("f1", "accepted"),
    ]  # fmt: skip
    assert again.accepted("f1").name == "a.csv"  # type: ignore[union-attr]
    assert again.accepted("f2") is None


def test_a_line_torn_by_a_crash_is_ignored_and_the_next_entry_starts_its_own_line(
    tmp_path: Path,
) -> None:
    lake = Lake(tmp_path)
    with _ledger_of(tmp_path, _entry("f1")).path.open("a", encoding="utf-8") as handle:
        handle.write('{"file_id": "f2", "na')  # the process died mid-write
    ledger = Ledger(lake)
    assert [e.file_id for e in ledger.entries] == ["f1"]
    ledger.record(_entry("f3"))
    assert [e.file_id for e in Ledger(lake).entries] == ["f1", "f3"]


def test_a_corrupt_line_before_the_end_is_an_error_not_a_silent_loss(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    ledger = _ledger_of(tmp_path, _entry("f1"))
    text = ledger.path.read_text(encoding="utf-8")
    ledger.path.write_text("not json\n" + text, encoding="utf-8")
    with pytest.raises(ValueError):
        Ledger(lake)


def test_a_whole_last_entry_missing_its_newline_is_kept_and_not_joined_to_the_next(
    tmp_path: Path,
) -> None:
    lake = Lake(tmp_path)
    ledger = _ledger_of(tmp_path, _entry("f1"))
    ledger.path.write_text(ledger.path.read_text(encoding="utf-8").rstrip("\n"), encoding="utf-8")
    Ledger(lake).record(_entry("f2"))
    assert [e.file_id for e in Ledger(lake).entries] == ["f1", "f2"]
