"""The dbt project and the warehouse: where they are, how dbt sees the settings, and publishing
marts as Parquet for readers outside the run.

dbt reads its paths through `var()` in `profiles.yml` and the sources; `dbt_vars` is the one
place they are derived from the project's settings, passed as JSON on each invocation. The day
the marts describe is the one value that changes from build to build: the Dagster build passes it
in the dbt process's environment (`as_of_environment`), read only when nodes run, so that dbt's
parse of the project, kept in the warehouse's own target folder (`dbt_target`), stays valid from
one day to the next (a changed `--vars` makes dbt parse the whole project again: 4 s).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from coaching.duckdb_limits import DuckDBLimits
from coaching.lake import Lake, atomic_path, published_mart
from orchestration.lib.publication import publication_sql, register_keys

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
# dbt installed beside this interpreter (the project's venv), whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
# Marts other code reads (api, activation, notebooks; dbt exposures name each reader): published
# as Parquet after every build. Intermediate models are building blocks and stay in the warehouse.
PUBLISHED_MARTS = (
    "workers",
    "worker_identities",
    "worker_history",
    "messages",
    "worker_progress",
    "journey_states",
    "program_progress",
    "organization_metrics",
    "organization_benchmarks",
    "enrollment_plan",
    "worker_features",
    "segments",
    "segment_membership",
    "segment_membership_history",
    "cohort_metrics",
    "activation_schedule",
    "worker_engagement",
    "worker_digests",
    "team_leaderboards",
    "wellbeing_checkins",
    "question_answers",
    "worker_quiz_scores",
    "language_fallbacks",
    "experiment_assignments",
    "experiment_results",
    "experiment_allocations",
    "notifications_due",
    "entity_names",
    "feature_catalog",
)
# Where each published relation lives in the warehouse (seeds land in the default schema).
RELATIONS = {name: f"marts.{name}" for name in PUBLISHED_MARTS} | {
    "feature_catalog": "main.feature_catalog"
}


def dbt_vars(
    lake_dir: Path | str,
    warehouse_path: Path | str,
    as_of: str = "",
    limits: DuckDBLimits | None = None,
) -> str:
    """The `--vars` of a dbt invocation, as JSON: the paths the profile and the sources read
    (`var('warehouse_path')`, `var('lake_dir')`), the day the marts describe, and the DuckDB
    limits the profile sets (memory, threads, spill folder)."""
    values: dict[str, object] = {
        "lake_dir": str(Path(lake_dir).resolve()),
        "warehouse_path": str(Path(warehouse_path).resolve()),
    }
    if as_of:
        values["as_of"] = as_of
    if limits is not None:
        values["duckdb_memory_limit"] = limits.memory_limit
        values["duckdb_threads"] = limits.threads
        if limits.temp_directory is not None:
            values["duckdb_temp_dir"] = str(limits.temp_directory)
    return json.dumps(values)


AS_OF_VARIABLE = "COACH_DBT_AS_OF"  # read by the `as_of_date()` macro when a node runs


@contextlib.contextmanager
def as_of_environment(as_of: str) -> Iterator[None]:
    """`as_of` in this process's environment while the block runs, for the dbt process it starts
    to inherit (dagster-dbt starts dbt with a copy of `os.environ` and takes no environment of
    its own). The previous value comes back afterwards; builds of one process run one at a time
    (the `warehouse` pool)."""
    previous = os.environ.get(AS_OF_VARIABLE)
    os.environ[AS_OF_VARIABLE] = as_of
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(AS_OF_VARIABLE, None)
        else:
            os.environ[AS_OF_VARIABLE] = previous


def dbt_target(warehouse_path: Path | str) -> Path:
    """The folder a warehouse's dbt builds write their artifacts to, each build replacing the
    last one's: beside the warehouse, not a new folder in the code checkout per build (16 MB a
    build at 200k workers), and where dbt finds its parse of the previous build to reuse."""
    path = Path(warehouse_path).resolve()
    return path.with_name(f"{path.stem}.dbt-target")


# The manifest only describes the graph: it is parsed against placeholder paths, and every build
# renders the real ones from its own `--vars`.
PARSE_VARS = json.dumps({"lake_dir": "/nonexistent/lake", "warehouse_path": ":memory:"})
PARSE_ARGS = ["parse", "--quiet", "--vars", PARSE_VARS]


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


def prepare_manifest(force: bool = False) -> Path:
    """Run `dbt parse` so Dagster can load the dbt assets (the manifest is not committed), again
    whenever the project changed since the last parse. Called by the build and test commands
    and the in-process runs, never on import."""
    if not force and not _stale():
        return MANIFEST
    subprocess.run(
        [DBT_EXECUTABLE, *PARSE_ARGS, "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR)],
        check=True,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        cwd=DBT_PROJECT_DIR,
    )  # fmt: skip
    return MANIFEST


@dataclass(frozen=True)
class Published:
    mart: str
    rows: int
    path: str


def publish_marts(
    warehouse_path: Path,
    lake: Lake,
    pseudonym_secret: str,
    marts: tuple[str, ...] = PUBLISHED_MARTS,
) -> list[Published]:
    """Copy marts to `gold/<mart>.parquet` (or `restricted/`), each by write-then-rename, under
    the personal-data boundary of `orchestration.lib.publication`.

    Readers outside the run (the API, activation, notebooks) never open the warehouse file, which
    a run may be writing; they read these files, which change atomically.
    """
    con = duckdb.connect(str(warehouse_path), read_only=True, config=lake.duckdb.config())
    published = []
    try:
        organizations = con.execute(
            "select distinct organization_id from marts.worker_identities"
        ).fetchall()
        register_keys(con, pseudonym_secret, (row[0] for row in organizations))
        for mart in marts:
            target = published_mart(lake.root, mart)
            columns = [row[0] for row in con.execute(f"describe {RELATIONS[mart]}").fetchall()]
            query = publication_sql(mart, RELATIONS[mart], columns)
            with atomic_path(target) as temporary:
                rows = con.execute(
                    f"copy ({query}) to '{temporary}' (format parquet, compression zstd)"
                ).fetchall()[0][0]
            published.append(Published(mart, rows, str(target.relative_to(lake.root))))
    finally:
        con.close()
    return published
