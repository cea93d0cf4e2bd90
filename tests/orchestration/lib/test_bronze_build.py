"""Bronze builds of HR files: what the contract suite would fail is quarantined first, with its
reason, and never silently dropped (over-long text, control characters, conflicting copies)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq

from coaching.lake import Lake
from data_contracts.suites import run_suite
from data_contracts.tables import HR_ROSTER
from orchestration.defs.ingest.checks import suite_result
from orchestration.lib.bronze_build import build_hr_file, hr_files
from orchestration.lib.intake import take_in

ORG = "11111111-1111-4111-8111-111111111111"
HEADER = (
    "employee_id,full_name,phone,team,job_role,region,district,hire_date,language,employment_type\n"
)


def _row(employee: str, name: str, phone: str, team: str = "Coast A") -> str:
    return f"{employee},{name},{phone},{team},nurse,Coast,Kilifi,2024-01-02,sw,full_time\n"


def _build(tmp_path: Path, rows: str) -> tuple[list[dict], list[dict]]:
    lake, landing = Lake(tmp_path / "lake"), tmp_path / "landing"
    path = landing / "hr" / "acme" / "roster_2026-10-01.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes((HEADER + rows).encode())
    report = take_in(lake, landing, {"acme": ORG})
    assert not report.rejected, report.rejected
    (file_id,) = hr_files(lake, "hr_roster")
    build_hr_file(lake, "hr_roster", file_id)
    landed = pq.read_table(next((lake.bronze / "hr_roster").rglob("*.parquet"))).to_pylist()
    quarantine = list((lake.quarantine / "hr_roster").rglob("*.parquet"))
    held = pq.read_table(quarantine[0]).to_pylist() if quarantine else []
    return landed, held


def test_long_text_and_control_characters_are_quarantined_with_their_reason(tmp_path: Path) -> None:
    rows = (
        _row("E1", "Amina Njeri", "+254700000001")
        + _row("E2", "A" * 10_000, "+254700000002")
        + _row("E3", "Bad\x00Byte", "+254700000003")
        + _row("E4", "Tab\tInside", "+254700000004")
    )
    landed, held = _build(tmp_path, rows)
    assert [r["employee_id"] for r in landed] == ["E1"]
    reasons = {r["source_line"]: r["reason"] for r in held}
    assert reasons == {
        3: "too_long:full_name",
        4: "control_character:full_name",
        5: "control_character:full_name",
    }
    assert run_suite(HR_ROSTER, pd.DataFrame(landed)).success


def test_conflicting_copies_of_one_key_are_kept_in_quarantine_identical_ones_dropped(
    tmp_path: Path,
) -> None:
    rows = (
        _row("E1", "Amina Njeri", "+254700000001")
        + _row("E1", "Amina Njeri", "+254700000001")  # the same row twice: a copy
        + _row("E2", "Baraka Otieno", "+254700000002")
        + _row("E2", "Baraka Otieno", "+254700000002", team="Coast B")  # which team? unknown
    )
    landed, held = _build(tmp_path, rows)
    assert sorted((r["employee_id"], r["team"]) for r in landed) == [
        ("E1", "Coast A"),
        ("E2", "Coast A"),
    ]
    assert [(r["source_line"], r["reason"]) for r in held] == [
        (5, "duplicate_key:organization_id+employee_id")
    ]
    assert run_suite(HR_ROSTER, pd.DataFrame(landed)).success, "the suite finds nothing left"


def test_next_months_roster_repeating_every_employee_passes_the_suite(tmp_path: Path) -> None:
    """Keys are unique within one export, where the contract deduplicates: two exports of one
    organization naming the same employees are two partitions (two files), not duplicates."""
    row = {c.name: None for c in HR_ROSTER.columns}
    row.update(employee_id="E1", phone="+254700000001", organization_id=ORG)
    october, november, doubled = (tmp_path / f"{n}.parquet" for n in ("oct", "nov", "both"))
    pd.DataFrame([row]).to_parquet(october)
    pd.DataFrame([row]).to_parquet(november)
    pd.DataFrame([row, row]).to_parquet(doubled)
    assert suite_result(HR_ROSTER, [october, november], dg.AssetKey("hr_roster")).passed
    failing = suite_result(HR_ROSTER, [october, doubled], dg.AssetKey("hr_roster"))
    assert not failing.passed
    assert failing.metadata["rows_checked"].value == 3


def test_the_suite_reads_files_in_groups_of_bounded_rows(tmp_path: Path) -> None:
    from orchestration.defs.ingest.checks import suite_chunks

    paths = []
    for name, rows in (("a", 2), ("b", 2), ("c", 3), ("d", 9)):
        path = tmp_path / f"{name}.parquet"
        pd.DataFrame({"x": range(rows)}).to_parquet(path)
        paths.append(path)
    a, b, c, d = paths
    assert suite_chunks(paths, budget=4) == [[a, b], [c], [d]]
