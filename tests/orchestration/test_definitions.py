"""The code location loads, and every asset is described for the people who run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.definitions import defs
from orchestration.defs.ingest.sensors import (
    bronze_partitions_sensor,
    contiguous,
    landing_files_sensor,
)
from orchestration.resources import LakeResource


@pytest.fixture(scope="module")
def repository():
    return defs().get_repository_def()


def test_definitions_load_with_jobs_schedules_and_sensors(repository) -> None:
    jobs = {job.name for job in repository.get_all_jobs()}
    assert {
        "landing_intake_job",
        "hourly_ingest_job",
        "daily_job",
        "bronze_events_job",
        "transform_job",
        "activation_job",
    } <= jobs
    assert {s.name for s in repository.schedule_defs} == {
        "hourly_ingest_schedule",
        "daily_schedule",
        "activation_every_15_minutes",
        "retention_schedule",
    }
    assert {s.name for s in repository.sensor_defs} == {
        "run_failure_notice",
        "landing_files_sensor",
        "bronze_partitions_sensor",
    }
    assert {"lake", "store", "activation"} <= set(repository.get_top_level_resources())


def test_loading_the_definitions_leaves_great_expectations_unimported() -> None:
    """Every build, sync and API process loads the definitions; only a suite needs
    great-expectations, which takes over 4 s to import."""
    probe = (
        "import sys; import orchestration.definitions, orchestration.runs; "
        "print('great_expectations' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"


def test_every_asset_is_described_grouped_owned_and_kinded(repository) -> None:
    graph = repository.asset_graph
    keys = graph.get_all_asset_keys()
    assert len(keys) >= 30
    for key in keys:
        node = graph.get(key)
        assert node.description, key
        assert node.group_name in {
            "sources",
            "raw",
            "bronze",
            "seeds",
            "staging",
            "intermediate",
            "marts",
            "gold",
            "activation",
        }, key
        assert node.owners, key
        assert node.kinds, key


def test_bronze_assets_carry_blocking_quarantine_checks() -> None:
    specs: dict[dg.AssetKey, dict[str, dg.AssetCheckSpec]] = {}
    for assets_def in defs().assets or []:
        for spec in getattr(assets_def, "check_specs", []):
            specs.setdefault(spec.asset_key, {})[spec.name] = spec
    bronze = [key for key in specs if key.path[0] == "bronze"]
    assert len(bronze) == 16
    for key in bronze:
        assert specs[key]["quarantine_share"].blocking, key
        assert "contract_suite" in specs[key], key


def _lake(tmp_path: Path) -> LakeResource:
    return LakeResource(
        lake_dir=str(tmp_path / "lake"),
        landing_dir=str(tmp_path / "landing"),
        landing_settle_seconds=0,
    )


def test_landing_sensor_requests_one_intake_per_new_set_of_files(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    context = dg.build_sensor_context(resources={"lake": lake})
    assert isinstance(landing_files_sensor(context), dg.SkipReason)
    drop = tmp_path / "landing" / "message_events" / "a.parquet"
    drop.parent.mkdir(parents=True)
    drop.write_bytes(b"x")
    first = landing_files_sensor(context)
    assert isinstance(first, dg.RunRequest)
    context = dg.build_sensor_context(resources={"lake": lake}, cursor=context.cursor)
    assert isinstance(landing_files_sensor(context), dg.SkipReason)


def test_partition_sensor_requests_the_days_new_raw_files_cover(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    raw = tmp_path / "lake" / "raw" / "message_events"
    raw.mkdir(parents=True)
    for name in ("2026-10-01_2026-10-02_a.parquet", "2026-10-05_2026-10-05_b.parquet"):
        pq.write_table(pa.table({"x": [1]}), raw / name)
    result = bronze_partitions_sensor(dg.build_sensor_context(resources={"lake": lake}))
    ranges = [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in result.run_requests
    ]
    assert ranges == [("2026-10-01", "2026-10-02"), ("2026-10-05", "2026-10-05")]
    again = bronze_partitions_sensor(
        dg.build_sensor_context(resources={"lake": lake}, cursor=result.cursor)
    )
    assert isinstance(again, dg.SkipReason)
    assert json.loads(result.cursor)


def _events(tmp_path: Path, *names: str) -> None:
    raw = tmp_path / "lake" / "raw" / "message_events"
    raw.mkdir(parents=True, exist_ok=True)
    for name in names:
        pq.write_table(pa.table({"x": [1]}), raw / name)


def test_the_code_location_partitions_events_from_the_day_the_data_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coaching.settings import get_settings

    monkeypatch.setenv("COACH_HOME", str(tmp_path))
    _events(tmp_path, "2026-10-03_2026-10-04_a.parquet", "2026-10-09_2026-10-09_b.parquet")
    job = defs().get_repository_def().get_job("bronze_events_job")
    assert job.partitions_def.get_first_partition_key() == "2026-10-03"  # type: ignore[union-attr]
    monkeypatch.setenv("COACH_EVENTS_START", "2026-09-01")  # a deployment may say where
    get_settings.cache_clear()
    job = defs().get_repository_def().get_job("bronze_events_job")
    assert job.partitions_def.get_first_partition_key() == "2026-09-01"  # type: ignore[union-attr]


def test_the_partition_sensor_leaves_out_days_before_the_first_partition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_HOME", str(tmp_path))
    _events(tmp_path, "2026-10-05_2026-10-06_a.parquet")
    repository = defs().get_repository_def()  # loaded when the lake started on 10-05
    _events(tmp_path, "2026-10-01_2026-10-02_late.parquet", "2026-10-07_2026-10-07_b.parquet")
    context = dg.build_sensor_context(
        resources={"lake": _lake(tmp_path)}, repository_def=repository
    )
    result = bronze_partitions_sensor(context)
    ranges = [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in result.run_requests
    ]
    assert ranges == [("2026-10-05", "2026-10-07")]


def test_contiguous_days_group_into_ranges() -> None:
    from datetime import date

    days = [date(2026, 1, d) for d in (1, 2, 3, 7, 9, 8)]
    assert contiguous(days) == [
        (date(2026, 1, 1), date(2026, 1, 3)),
        (date(2026, 1, 7), date(2026, 1, 9)),
    ]


def test_lake_writers_share_a_pool_limited_to_one_run(tmp_path: Path) -> None:
    import shutil

    from orchestration.runs import INSTANCE_CONFIG

    writers = [a for a in defs().assets or [] if isinstance(a, dg.AssetsDefinition)]
    pools: dict[str, set] = {}
    for assets_def in writers:
        for key in assets_def.keys:
            pools.setdefault(key.path[0], set()).update(
                op.pool for op in assets_def.node_def.iterate_node_defs()
            )
    assert pools["bronze"] == {"lake"} and pools["raw"] == {"lake"}
    # dbt writes the warehouse; publishing reads it: one run at a time in the "warehouse" pool.
    assert pools["marts"] == {"warehouse"} and pools["gold"] == {"warehouse"}
    shutil.copy(INSTANCE_CONFIG, tmp_path / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
