"""Incremental where it pays: a day more of a world is taken in by recomputing only what it
touched, and a full refresh gives the same rows."""

from __future__ import annotations

import subprocess
from datetime import date

import dagster as dg
import duckdb
import pytest

from coaching.settings import Settings
from coaching.simulator.config import SimulationConfig
from coaching.simulator.continuation import continue_world
from coaching.simulator.run import simulate
from orchestration.lib import bronze_build
from orchestration.lib.warehouse import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_vars
from orchestration.runs import ingest
from tests.conftest import make_settings

MODELS = ["message_status_ranks", "stg_lake__message_events", "int_message_statuses"]
COMPARED = "select * exclude (ingested_at, built_at) from intermediate.int_message_statuses"


def _dbt_run(settings: Settings, *extra: str) -> None:
    variables = dbt_vars(settings.lake_dir, settings.warehouse_path, "2026-11-02")
    done = subprocess.run(
        [DBT_EXECUTABLE, "build", "--select", *MODELS, "--resource-type", "seed",
         "--resource-type", "model", "--vars", variables, *extra],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]


def _rows(settings: Settings) -> tuple[list[tuple], dict]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = sorted(con.sql(COMPARED).fetchall(), key=repr)
        built = dict(
            con.sql(
                "select built_at, count(*) from intermediate.int_message_statuses group by 1"
            ).fetchall()
        )
    finally:
        con.close()
    return rows, built


@pytest.fixture(scope="module")
def next_day(tmp_path_factory: pytest.TempPathFactory) -> dict:
    settings = make_settings(tmp_path_factory.mktemp("incremental"))
    # A batch per bronze day, as a large lake has: each day carries its own ingestion time.
    patch = pytest.MonkeyPatch()
    patch.setattr(bronze_build, "ROWS_PER_BATCH", 1)
    simulate(settings, SimulationConfig(seed=17, workers=500, days=6, end_date=date(2026, 11, 1)))
    instance = dg.DagsterInstance.ephemeral()
    ingest(settings, instance)
    _dbt_run(settings)
    before, _ = _rows(settings)
    continue_world(settings, 1)
    ingest(settings, instance)
    _dbt_run(settings)
    incremental, built = _rows(settings)
    _dbt_run(settings, "--full-refresh")
    full, _ = _rows(settings)
    patch.undo()
    return {"before": before, "incremental": incremental, "built": built, "full": full}


def test_the_next_day_built_incrementally_equals_a_full_refresh(next_day) -> None:
    assert next_day["incremental"] == next_day["full"]
    assert len(next_day["incremental"]) > len(next_day["before"])


def test_the_next_day_recomputes_only_some_messages(next_day) -> None:
    """Messages of the first days, whose events were not rewritten, keep their first build."""
    built = next_day["built"]
    assert len(built) == 2, "rows of the full build and rows of the incremental one"
    kept = built[min(built)]
    assert 0 < kept < len(next_day["incremental"])
