"""The dbt project built on Apache Spark over the same lake: the path past one machine.

The lake is plain Hive-partitioned Parquet, so Spark reads it where it lies (a view per bronze
source, `macros/lake_views.sql`) and writes its tables as Parquet under `<spark_dir>/warehouse`.
dbt-spark's `session` method runs a Spark session inside the dbt process: locally here (PySpark and
the machine's Java runtime), and the same profile with a cluster's master URL on a cluster.

dbt-spark submits Python models only to Databricks. The models' Python is engine-neutral
(`orchestration.lib.model_frames`: inputs read as Arrow, results handed back as Spark DataFrames),
so this module adds one submission method, `local_session`, that runs a Python model's compiled
code in the build's own Spark session. It is the only change to dbt-spark, and it is made here,
in the process that runs the Spark build, never in a DuckDB one.

Run as `python -m orchestration.spark_build --lake-dir ... --spark-dir ... --as-of ...` (its own
process, so the JVM lives and dies with the build); `build_on_spark` starts it.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coaching.duckdb_limits import DuckDBLimits
from orchestration.lib.warehouse import DBT_PROJECT_DIR, PUBLISHED_MARTS, RELATIONS, dbt_vars

SUBMISSION_METHOD = "local_session"


@dataclass(frozen=True)
class SparkBuild:
    """Where a Spark build left each mart (a folder of Parquet files) and dbt's log."""

    marts: dict[str, Path]
    log: Path


def mart_folder(spark_dir: Path, mart: str) -> Path:
    """A published relation's folder: Spark keeps schema `s`'s table `t` in `s.db/t`."""
    schema, table = RELATIONS[mart].split(".")
    return Path(spark_dir) / "warehouse" / f"{schema}.db" / table


def build_on_spark(
    lake_dir: Path,
    spark_dir: Path,
    as_of: str,
    limits: DuckDBLimits | None = None,
    select: str | None = None,
) -> SparkBuild:
    """`dbt build` on Spark in a process of its own, from an empty `spark_dir` (the catalog lives
    for one build, so every Spark build is a full one). Raises with dbt's log tail on failure."""
    spark_dir = Path(spark_dir).resolve()
    shutil.rmtree(spark_dir, ignore_errors=True)
    spark_dir.mkdir(parents=True)
    command = [
        sys.executable, "-m", "orchestration.spark_build", "--lake-dir", str(lake_dir),
        "--spark-dir", str(spark_dir), "--as-of", as_of,
    ]  # fmt: skip
    if limits is not None:
        command += ["--memory-limit", limits.memory_limit, "--threads", str(limits.threads)]
    if select:
        command += ["--select", select]
    log = spark_dir / "build.log"
    with log.open("w") as out:
        finished = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    if finished.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-40:])
        raise RuntimeError(f"the Spark build failed (log: {log}):\n{tail}")
    marts = {
        mart: mart_folder(spark_dir, mart)
        for mart in PUBLISHED_MARTS
        if mart_folder(spark_dir, mart).exists()
    }
    return SparkBuild(marts, log)


UNITS_MB = {"KB": 1e-3, "MB": 1, "GB": 1e3, "TB": 1e6, "KiB": 0.001024,
            "MiB": 1.048576, "GiB": 1073.741824, "TiB": 1099511.627776}  # fmt: skip


def jvm_memory(limit: str) -> str:
    """A DuckDB memory limit ("6026MB", "1.5GiB": the settings' form) as a JVM size ("6026m"),
    for the Spark driver: the same budget the DuckDB build gets."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B)\s*", limit)
    if match is None or match.group(2) not in UNITS_MB:
        raise ValueError(f"not a memory size: {limit!r} (e.g. 4GB, 512MiB)")
    return f"{max(1, round(float(match.group(1)) * UNITS_MB[match.group(2)]))}m"


def _local_session_job() -> type:
    from dbt.adapters.base import PythonJobHelper

    class LocalSessionPythonJob(PythonJobHelper):
        """Runs a Python model's compiled code in this process's Spark session: the code dbt-spark
        compiles expects a global `spark` and writes its result with `saveAsTable`."""

        def __init__(self, parsed_model: dict, credentials: Any) -> None:
            self.path = parsed_model.get("original_file_path", parsed_model.get("name", "model"))

        def submit(self, compiled_code: str) -> None:
            from pyspark.sql import SparkSession

            code = compile(compiled_code, self.path, "exec")
            exec(code, {"spark": SparkSession.builder.getOrCreate(), "__name__": "dbt_model"})

    return LocalSessionPythonJob


def _add_local_session_method() -> None:
    from dbt.adapters.spark.impl import SparkAdapter

    job = _local_session_job()
    helpers = SparkAdapter.python_submission_helpers.fget
    SparkAdapter.python_submission_helpers = property(
        lambda self: {**helpers(self), SUBMISSION_METHOD: job}
    )
    SparkAdapter.default_python_submission_method = property(lambda self: SUBMISSION_METHOD)


def _run(args: argparse.Namespace) -> int:
    from dbt.cli.main import dbtRunner

    _add_local_session_method()
    spark_dir = Path(args.spark_dir).resolve()
    limits = DuckDBLimits(args.memory_limit, args.threads, None) if args.memory_limit else None
    variables = json.loads(dbt_vars(args.lake_dir, spark_dir / "unused.duckdb", args.as_of, limits))
    variables["spark_dir"] = str(spark_dir)
    if args.memory_limit:
        variables["spark_driver_memory"] = jvm_memory(args.memory_limit)
    command = [
        "build", "--target", "spark", "--vars", json.dumps(variables),
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(spark_dir / "target"), "--log-path", str(spark_dir / "logs"),
    ]  # fmt: skip
    if args.select:
        command += ["--select", args.select]
    outcome = dbtRunner().invoke(command)
    return 0 if outcome.success else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake-dir", required=True)
    parser.add_argument("--spark-dir", required=True)
    parser.add_argument("--as-of", default="")
    parser.add_argument("--memory-limit", default="")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--select", default="")
    return _run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
