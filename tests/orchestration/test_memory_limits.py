"""Every DuckDB connection takes its memory limit, threads and spill folder from settings, and
the pipeline gives the same marts under a small memory limit as without one."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from coaching.duckdb_limits import DuckDBLimits, default_memory_limit
from coaching.settings import load_settings
from coaching.simulator.config import SimulationConfig
from coaching.simulator.run import simulate
from orchestration.lib.duck import connect
from orchestration.lib.warehouse import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_vars
from orchestration.runs import ingest, transform

END = date(2026, 10, 20)
SMALL = "256MB"


def test_connections_take_their_limits_from_settings(tmp_path: Path) -> None:
    settings = load_settings(
        {"COACH_HOME": str(tmp_path), "COACH_DUCKDB_MEMORY_LIMIT": "300MB",
         "COACH_DUCKDB_THREADS": "1"}
    )  # fmt: skip
    assert settings.duckdb_temp_dir == tmp_path.resolve() / "duckdb-spill"
    con = connect(settings.duckdb_limits)
    limit, threads, spill = con.execute(
        "select current_setting('memory_limit'), current_setting('threads'), "
        "current_setting('temp_directory')"
    ).fetchall()[0]
    assert limit.startswith("286") and int(threads) == 1
    assert spill == str(settings.duckdb_temp_dir)
    defaults = load_settings({"COACH_HOME": str(tmp_path)})
    assert defaults.duckdb_memory_limit == default_memory_limit()
    with pytest.raises(Exception, match="COACH_DUCKDB_MEMORY_LIMIT"):
        load_settings({"COACH_HOME": str(tmp_path), "COACH_DUCKDB_MEMORY_LIMIT": "lots"})


def test_the_dbt_profile_sets_the_limits(tmp_path: Path) -> None:
    limits = DuckDBLimits(SMALL, 1, tmp_path / "spill")
    variables = dbt_vars(tmp_path / "lake", tmp_path / "warehouse.duckdb", limits=limits)
    shown = subprocess.run(
        [DBT_EXECUTABLE, "show", "--inline",
         "select current_setting('memory_limit') as memory, current_setting('threads') as threads, "
         "current_setting('temp_directory') as spill",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--vars", variables, "--target-path", str(tmp_path / "target"), "--output", "json",
         "--log-format", "json", "--quiet"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    logged = [json.loads(line) for line in shown.stdout.splitlines() if line.startswith("{")]
    (preview,) = [e["data"]["preview"] for e in logged if "preview" in e.get("data", {})]
    (row,) = json.loads(preview)
    assert row["memory"].startswith("244") and int(row["threads"]) == 1
    assert row["spill"] == str(tmp_path / "spill")


def _built(home: Path, memory_limit: str | None) -> Path:
    # One pseudonym secret for both, so the two builds key their workers alike.
    environ = {"COACH_HOME": str(home), "COACH_PSEUDONYM_SECRET": "s" * 40}
    if memory_limit:
        environ |= {"COACH_DUCKDB_MEMORY_LIMIT": memory_limit, "COACH_DUCKDB_THREADS": "1"}
    settings = load_settings(environ)
    simulate(settings, SimulationConfig(seed=17, workers=300, days=8, end_date=END))
    instance = dg.DagsterInstance.ephemeral()
    ingest(settings, instance)
    summary = transform(settings, instance, as_of=END.isoformat())
    assert summary.failed_checks == []
    return Path(settings.lake_dir)


def _published(lake: Path) -> list[str]:
    return sorted(
        str(p.relative_to(lake))
        for p in lake.glob("*/*.parquet")
        if p.parent.name in {"gold", "restricted"}
    )


def test_a_small_memory_limit_gives_the_same_marts(tmp_path: Path) -> None:
    roomy = _built(tmp_path / "roomy", None)
    small = _built(tmp_path / "small", SMALL)
    marts = _published(roomy)
    assert marts == _published(small) and len(marts) > 20
    con = duckdb.connect()
    for mart in marts:
        a, b = f"read_parquet('{roomy / mart}')", f"read_parquet('{small / mart}')"
        # When a row was built differs between the two builds; what it holds must not.
        names = [r[0] for r in con.execute(f"describe select * from {a}").fetchall()]
        rows = "* exclude (built_at)" if "built_at" in names else "*"
        different = con.execute(
            f"select (select count(*) from (select {rows} from {a} except all "
            f"select {rows} from {b})) + (select count(*) from (select {rows} from {b} "
            f"except all select {rows} from {a}))"
        ).fetchall()[0][0]
        assert different == 0, mart
