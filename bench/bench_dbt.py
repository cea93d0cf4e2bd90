"""Full `dbt build` time (models, data tests, unit tests) on a simulated world, against the same
build on a world ten times smaller measured in the same run.

    python bench/bench_dbt.py                                   # 100k workers x 90 days vs 10k
    python bench/bench_dbt.py --workers 20000 --days 30
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from measure import GIB, measure


def prepare(home: Path, workers: int, days: int) -> None:
    from coaching.settings import load_settings
    from coaching.simulator.config import SimulationConfig
    from coaching.simulator.run import simulate
    from orchestration.runs import ingest

    settings = load_settings({"COACH_HOME": str(home)})
    simulate(settings, SimulationConfig(workers=workers, days=days, end_date=date(2026, 11, 1)))
    ingest(settings)


def build_command(home: Path) -> tuple[list[str], dict[str, str]]:
    from orchestration.lib.warehouse import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_vars

    env = dict(os.environ)
    variables = dbt_vars(home / "lake", home / "warehouse.duckdb", as_of="2026-11-01")
    command = [
        DBT_EXECUTABLE, "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
        str(DBT_PROJECT_DIR), "--vars", variables, "--target-path",
        str(home / "dbt-target"), "--quiet",
    ]  # fmt: skip
    return command, env


def run(workers: int, days: int) -> tuple[float, int]:
    home = Path(tempfile.mkdtemp(prefix="coach-bench-dbt-"))
    try:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "prepare",
                "--home",
                str(home),
                "--workers",
                str(workers),
                "--days",
                str(days),
            ],
            check=True,
        )
        command, env = build_command(home)
        measured = measure(command, env)
        return measured.seconds, measured.peak_rss
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", nargs="?", choices=["prepare"])
    parser.add_argument("--home", type=Path)
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    if args.phase == "prepare":
        prepare(args.home, args.workers, args.days)
        return
    small = max(1, args.workers // 10)
    base_s, base_rss = run(small, args.days)
    print(
        f"baseline  {small:>8,} workers x {args.days} days: dbt build {base_s:7.1f} s, peak RSS {base_rss / GIB:.2f} GiB"
    )
    full_s, full_rss = run(args.workers, args.days)
    print(
        f"target    {args.workers:>8,} workers x {args.days} days: dbt build {full_s:7.1f} s, peak RSS {full_rss / GIB:.2f} GiB"
    )
    print(f"ratio     {full_s / base_s:.2f}x the time for {args.workers / small:.0f}x the workers")


if __name__ == "__main__":
    main()
