"""Ingestion end to end: the real Dagster assets, in-process, on a small simulated world."""

from __future__ import annotations

import json
from datetime import UTC, date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
from sqlalchemy import update

from coaching.lake import Lake
from coaching.settings import Settings
from coaching.simulator.config import SimulationConfig
from coaching.simulator.dirty import QUARANTINE_KINDS
from coaching.simulator.run import simulate
from coaching.store.engine import store_engine
from coaching.store.tables import MessageEvent, Worker
from orchestration.defs.ingest.assets import (
    landing_folder,
    message_events,
    operational_assets,
    store_tables,
)
from orchestration.resources import default_resources
from orchestration.runs import QUIET, ingest
from tests.conftest import make_settings

REASON_OF_KIND = {
    "invalid_status": "not_allowed:status",
    "missing_message_sid": "missing:message_sid",
    "malformed_phone": "bad_format:from_number",
    "unknown_worker": "unknown_worker",
}


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Settings, dict[str, Any], dg.DagsterInstance]:
    settings = make_settings(tmp_path_factory.mktemp("ingest"))
    manifest = simulate(
        settings, SimulationConfig(seed=21, workers=1500, days=8, end_date=date(2026, 11, 1))
    )
    instance = dg.DagsterInstance.ephemeral()
    summary = ingest(settings, instance)
    return settings, manifest, instance, summary  # type: ignore[return-value]


def read(lake: Lake, layer: str, table: str) -> list[dict[str, Any]]:
    files = lake.files(layer, table)
    if not files:
        return []
    con = duckdb.connect()
    query = f"select * from read_parquet({[str(f) for f in files]}, union_by_name = true)"
    return con.sql(query).to_arrow_table().to_pylist()


def truth(settings: Settings, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return pq.read_table(settings.simulation_dir / manifest["truth_file"]).to_pylist()


def test_no_check_failed(world) -> None:
    *_, summary = world
    assert summary.failed_checks == []
    assert summary.files_rejected == 0


def test_every_good_event_lands_once(world) -> None:
    settings, manifest, *_ = world
    lake = Lake(settings.lake_dir)
    landed = read(lake, "bronze", "message_events")
    keys = [row["event_key"] for row in landed]
    assert len(keys) == len(set(keys))
    planted = sum(
        v
        for k, v in manifest["dirty"].items()
        if "message_events" in k and k.split(".")[-1] in QUARANTINE_KINDS
    )
    duplicates = sum(
        v for k, v in manifest["dirty"].items() if k.endswith("message_events.duplicate_delivery")
    )
    total = manifest["events"]["landing"] + manifest["events"]["store"]
    assert len(landed) == total - planted - duplicates


def test_every_planted_dirty_event_is_quarantined_with_its_reason(world) -> None:
    settings, manifest, *_ = world
    quarantined = {
        json.loads(row["record"])["event_key"]: row
        for row in read(Lake(settings.lake_dir), "quarantine", "message_events")
    }
    planted = [
        t
        for t in truth(settings, manifest)
        if "message_events" in t["source"] and t["kind"] in QUARANTINE_KINDS
    ]
    assert planted and len(quarantined) == len(planted)
    for row in planted:
        found = quarantined[row["key"]]
        assert REASON_OF_KIND[row["kind"]] in found["reason"], (row, found["reason"])
        if row["source"].startswith("landing"):
            assert found["source_file"] == row["file"] and found["source_line"] >= 1
        else:
            assert found["source_id"] is not None


def test_every_planted_hr_row_is_quarantined_at_its_line(world) -> None:
    settings, manifest, *_ = world
    planted = {
        (t["file"], int(t["key"]))
        for t in truth(settings, manifest)
        if t["source"] == "hr_performance"
    }
    quarantined = {
        (q["source_file"], q["source_line"])
        for q in read(Lake(settings.lake_dir), "quarantine", "hr_performance")
    }
    assert planted and quarantined == planted


def test_operational_tables_land_whole(world) -> None:
    settings, manifest, *_ = world
    lake = Lake(settings.lake_dir)
    for table in (
        "organizations",
        "workers",
        "enrollments",
        "experiment_assignments",
        "touchpoints",
    ):
        assert len(read(lake, "bronze", table)) == manifest["store"]["rows"][table], table


def _snapshot(lake: Lake) -> dict[str, list]:
    tables = ["message_events", "workers", "hr_performance", "hr_roster", "enrollments"]
    result = {}
    for table in tables:
        rows = read(lake, "bronze", table)
        for row in rows:
            row.pop("_ingested_at", None)
        result[table] = sorted(json.dumps(r, default=str, sort_keys=True) for r in rows)
    return result


def _written(lake: Lake) -> dict[str, int]:
    """When each bronze file was last written."""
    return {str(p): p.stat().st_mtime_ns for p in lake.bronze.rglob("*.parquet")}


def test_a_second_run_changes_nothing_and_rewrites_nothing(world) -> None:
    settings, _, instance, _ = world
    lake = Lake(settings.lake_dir)
    before, written = _snapshot(lake), _written(lake)
    again = ingest(settings, instance)
    assert _snapshot(lake) == before
    assert _written(lake) == written, "no partition was rebuilt"
    assert again.files_accepted == 0
    assert all(c.rows_landed == 0 for c in again.tables.values())


def test_a_full_refresh_rebuilds_every_partition_to_the_same_rows(world) -> None:
    settings, _, instance, first = world
    lake = Lake(settings.lake_dir)
    before, written = _snapshot(lake), _written(lake)
    again = ingest(settings, instance, full_refresh=True)
    assert _snapshot(lake) == before
    events = lake.bronze / "message_events"
    rewritten = [p for p, t in _written(lake).items() if written.get(p) != t]
    assert {p for p in rewritten if p.startswith(str(events))} == {
        p for p in written if p.startswith(str(events))
    }
    assert again.tables["message_events"].rows_landed == first.tables["message_events"].rows_landed


def test_a_new_store_event_rebuilds_only_its_day(world) -> None:
    settings, _, instance, _ = world
    lake = Lake(settings.lake_dir)
    engine = store_engine(settings)
    with engine.begin() as connection:
        event = dict(
            connection.execute(
                MessageEvent.__table__.select()
                .where(MessageEvent.__table__.c.kind == "outbound")
                .order_by(MessageEvent.__table__.c.id.desc())
                .limit(1)
            )
            .mappings()
            .one()
        )
        event.pop("id")
        event["message_sid"] = "SM" + "f" * 32
        event["event_key"] = f"{event['message_sid']}:outbound"
        connection.execute(MessageEvent.__table__.insert().values(**event))
    day = event["occurred_at"].astimezone(UTC).date().isoformat()
    written = _written(lake)
    summary = ingest(settings, instance)
    rebuilt = {Path(p).parent.name for p, t in _written(lake).items() if written.get(p) != t}
    assert rebuilt == {f"event_date={day}"}
    assert summary.tables["message_events"].rows_landed == (
        pq.read_table(lake.bronze / "message_events" / f"event_date={day}").num_rows
    )
    landed = read(lake, "bronze", "message_events")
    assert sum(r["message_sid"] == event["message_sid"] for r in landed) == 1


def _materialize_day(
    settings: Settings, instance: dg.DagsterInstance, day: str
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*store_tables, landing_folder, message_events, *operational_assets],
        selection=[message_events.key],
        partition_key=day,
        resources=default_resources(settings, landing_settle_seconds=0),
        instance=instance,
        run_config=QUIET,
    )


def test_a_partition_rerun_replaces_it(world) -> None:
    settings, manifest, instance, _ = world
    lake = Lake(settings.lake_dir)
    day = manifest["config"]["start_date"]
    folder = lake.bronze / "message_events" / f"event_date={day}"
    rows = pq.read_table(folder / "part-0.parquet").num_rows
    for _ in range(2):
        _materialize_day(settings, instance, day)
    assert [p.name for p in folder.iterdir()] == ["part-0.parquet"]
    assert pq.read_table(folder / "part-0.parquet").num_rows == rows


def test_an_interrupted_rebuild_keeps_the_previous_partition(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, manifest, instance, _ = world
    lake = Lake(settings.lake_dir)
    day = manifest["config"]["start_date"]
    target = lake.bronze / "message_events" / f"event_date={day}" / "part-0.parquet"
    before = target.read_bytes()
    import orchestration.lib.bronze_build as build

    def crash(*args, **kwargs):
        raise OSError("disk full")

    # Dies after the new day was written to staging, before it replaced the old one.
    monkeypatch.setattr(build.pq, "ParquetFile", crash)
    result = dg.materialize(
        [*store_tables, landing_folder, message_events, *operational_assets],
        selection=[message_events.key], partition_key=day, resources=default_resources(settings, landing_settle_seconds=0),
        instance=instance, run_config=QUIET, raise_on_error=False,
    )  # fmt: skip
    assert not result.success
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == ["part-0.parquet"]
    assert not [p for p in target.parent.parent.iterdir() if p.name.startswith(".build")]


def test_soft_deletes_reach_the_lake(world) -> None:
    settings, _, instance, _ = world
    engine = store_engine(settings)
    from datetime import UTC, datetime

    with engine.begin() as connection:
        victim = connection.execute(Worker.__table__.select().limit(1)).mappings().one()
        now = datetime.now(UTC)
        connection.execute(
            update(Worker.__table__)
            .where(Worker.__table__.c.id == victim["id"])
            .values(deleted_at=now, updated_at=now)
        )
    summary = ingest(settings, instance)
    assert summary.tables["workers"].rows_landed == 1
    versions = [
        r for r in read(Lake(settings.lake_dir), "bronze", "workers") if r["id"] == victim["id"]
    ]
    assert len(versions) == 2 and sum(r["deleted_at"] is not None for r in versions) == 1


def test_a_bad_landing_file_is_rejected_and_shown_by_the_check(world) -> None:
    settings, _, instance, _ = world
    bad = Path(settings.landing_dir) / "message_events" / "export.xlsx"
    bad.write_bytes(b"PK\x03\x04not a spreadsheet")
    summary = ingest(settings, instance)
    assert summary.files_rejected == 1
    assert "raw/landing_files:no_rejected_files" in summary.failed_checks
    assert (
        Path(settings.landing_dir) / "_rejected" / "message_events__export.xlsx.reason.txt"
    ).exists()


def test_batches_of_days_build_the_same_partitions(world, monkeypatch: pytest.MonkeyPatch) -> None:
    import orchestration.lib.bronze_build as build

    settings, *_ = world
    lake = Lake(settings.lake_dir)

    def rows() -> list[str]:
        found = read(lake, "bronze", "message_events")
        for row in found:
            row.pop("_ingested_at")
        return sorted(json.dumps(r, default=str, sort_keys=True) for r in found)

    before = rows()
    days = build.event_days(lake)
    assert len(build.day_batches(lake, days)) == 1
    monkeypatch.setattr(build, "ROWS_PER_BATCH", 1)
    assert len(build.day_batches(lake, days, budget=1)) == len(days)
    build.build_event_days(lake, days)
    assert rows() == before
