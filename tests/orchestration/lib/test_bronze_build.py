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
    # Laid out as bronze lays out its partitions: every file is named part-0.parquet.
    october, november, doubled = (
        tmp_path / f"source_file={n}" / "part-0.parquet" for n in ("oct", "nov", "both")
    )
    for path in (october, november, doubled):
        path.parent.mkdir()
    pd.DataFrame([row]).to_parquet(october)
    pd.DataFrame([row]).to_parquet(november)
    pd.DataFrame([row, row]).to_parquet(doubled)
    assert suite_result(HR_ROSTER, [october, november], dg.AssetKey("hr_roster")).passed
    failing = suite_result(HR_ROSTER, [october, doubled], dg.AssetKey("hr_roster"))
    assert not failing.passed
    assert failing.metadata["rows_checked"].value == 3


def test_files_are_read_in_groups_of_bounded_rows(tmp_path: Path) -> None:
    from orchestration.lib.bronze_build import file_batches

    paths = []
    for name, rows in (("a", 2), ("b", 2), ("c", 3), ("d", 9)):
        path = tmp_path / f"{name}.parquet"
        pd.DataFrame({"x": range(rows)}).to_parquet(path)
        paths.append(path)
    a, b, c, d = paths
    assert file_batches(paths, budget=4) == [[a, b], [c], [d]]


def _bronze_rows(lake: Lake, table: str) -> dict[str, list[dict]]:
    """Each partition's rows, by the folder it sits in, without the time of the build."""
    found: dict[str, list[dict]] = {}
    for layer in (lake.bronze, lake.quarantine):
        for path in sorted((layer / table).rglob("*.parquet")):
            rows = pq.read_table(path).to_pylist()
            for row in rows:
                row.pop("_ingested_at", None)
                row.pop("quarantined_at", None)
            found[str(path.relative_to(layer.parent))] = rows
    return found


def test_files_built_in_one_pass_land_as_they_do_one_by_one(tmp_path: Path) -> None:
    """Each export is its own partition: the same employee in two exports lands in both, a
    conflicting copy within one export is quarantined there only, and a file whose raw input is
    gone loses its partitions, whichever way the files are grouped."""
    from orchestration.lib.bronze_build import build_hr_files

    exports = {
        "roster_2026-10-01.csv": _row("E1", "Amina Njeri", "+254700000001")
        + _row("E2", "Baraka Otieno", "+254700000002"),
        "roster_2026-11-01.csv": _row("E1", "Amina Njeri", "+254700000001")
        + _row("E2", "Baraka Otieno", "+254700000002", team="Coast B")
        + _row("E2", "Baraka Otieno", "+254700000002", team="Coast C")
        + _row("E3", "Bad\x00Byte", "+254700000003"),
        "roster_2026-12-01.csv": _row("E4", "Chao Wanjiru", "+254700000004"),
    }
    results = []
    for grouping in ("together", "one by one"):
        lake, landing = Lake(tmp_path / grouping / "lake"), tmp_path / grouping / "landing"
        for name, rows in exports.items():
            path = landing / "hr" / "acme" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes((HEADER + rows).encode())
        assert not take_in(lake, landing, {"acme": ORG}).rejected
        files = hr_files(lake, "hr_roster")
        if grouping == "together":
            reports = build_hr_files(lake, "hr_roster", files)
        else:
            reports = [build_hr_file(lake, "hr_roster", f) for f in files]
        assert [r.partition for r in reports] == files
        results.append((_bronze_rows(lake, "hr_roster"), [r.rows_landed for r in reports]))
        # The last export's raw file goes: rebuilding it removes what it landed.
        (lake.raw / "hr_roster" / f"{files[-1]}.parquet").unlink()
        (gone,) = build_hr_files(lake, "hr_roster", [files[-1]])
        assert gone.rows_landed == 0
        assert not list((lake.bronze / "hr_roster" / f"source_file={files[-1]}").glob("*.parquet"))
    (together, landed), (apart, landed_apart) = results
    assert together == apart
    assert sorted(landed) == sorted(landed_apart) == [1, 2, 2]
    quarantined = [row for key, rows in together.items() if "quarantine" in key for row in rows]
    assert sorted(r["reason"] for r in quarantined) == [
        "control_character:full_name", "duplicate_key:organization_id+employee_id",
    ]  # fmt: skip
