"""The dbt project and the warehouse: where they are, how dbt sees the settings, and publishing
marts as Parquet for readers outside the run.

dbt reads its paths through `env_var()` in `profiles.yml` and the sources; `dbt_environment`
is the one place those variables are derived from the project's settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from coaching.lake import Lake, atomic_path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
# dbt installed beside this interpreter (the project's venv), whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
# Marts other code reads (api, activation, notebooks): published as Parquet after every build.
PUBLISHED_MARTS = (
    "dim_workers",
    "dim_worker_history",
    "fct_messages",
    "worker_progress",
    "worker_features",
    "segments",
    "segment_membership",
    "segment_membership_history",
    "cohort_metrics",
    "activation_schedule",
    "worker_engagement",
    "team_leaderboards",
    "wellbeing_checkins",
    "experiment_assignments",
    "experiment_metric_stats",
    "experiment_results",
    "experiment_allocations",
    "experiment_pending_assignments",
    "feature_catalog",
)
# Where each published relation lives in the warehouse (seeds land in the default schema).
RELATIONS = {name: f"marts.{name}" for name in PUBLISHED_MARTS} | {
    "feature_catalog": "main.feature_catalog"
}


def dbt_environment(lake_dir: Path | str, warehouse_path: Path | str) -> dict[str, str]:
    return {
        "COACH_LAKE_DIR": str(Path(lake_dir).resolve()),
        "COACH_WAREHOUSE_PATH": str(Path(warehouse_path).resolve()),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set variables for a dbt subprocess started inside the block, then restore them."""
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _stale() -> bool:
    """Whether any file of the dbt project changed after the manifest was written."""
    if not MANIFEST.exists():
        return True
    built = MANIFEST.stat().st_mtime
    sources = ["models", "seeds", "macros", "tests", "dbt_project.yml", "profiles.yml"]
    for name in sources:
        path = DBT_PROJECT_DIR / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


def prepare_manifest(lake_dir: Path | str, warehouse_path: Path | str, force: bool = False) -> Path:
    """Run `dbt parse` so Dagster can load the dbt assets (the manifest is not committed);
    again whenever the project changed since the last parse."""
    if not force and not _stale():
        return MANIFEST
    env = {**os.environ, **dbt_environment(lake_dir, warehouse_path)}
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [
            str(dbt),
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
        ],
        check=True,
        env=env,
        cwd=DBT_PROJECT_DIR,
    )
    return MANIFEST


@dataclass(frozen=True)
class Published:
    mart: str
    rows: int
    path: str


def publish_marts(
    warehouse_path: Path, lake: Lake, marts: tuple[str, ...] = PUBLISHED_MARTS
) -> list[Published]:
    """Copy marts to `gold/<mart>.parquet`, each by write-then-rename.

    Readers outside the run (the API, activation, notebooks) never open the warehouse file, which
    a run may be writing; they read these files, which change atomically.
    """
    con = duckdb.connect(str(warehouse_path), read_only=True)
    published = []
    try:
        for mart in marts:
            target = lake.root / "gold" / f"{mart}.parquet"
            with atomic_path(target) as temporary:
                rows = con.execute(
                    f"copy (select * from {RELATIONS[mart]}) to '{temporary}' (format parquet, compression zstd)"
                ).fetchall()[0][0]
            published.append(Published(mart, rows, str(target.relative_to(lake.root))))
    finally:
        con.close()
    return published
