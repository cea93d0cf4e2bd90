"""Ingest throughput: landing event history into bronze, against DuckDB's plain copy.

The floor is DuckDB copying the same Parquet files into day-partitioned Parquet with no
validation; ingestion (intake, contract rules, worker references, dedupe, quarantine, atomic
partition writes) aims to stay within 2x of it. Each side runs in its own process so its peak
memory is its own.

    python bench/bench_ingest.py                   # about 10M events
    python bench/bench_ingest.py --workers 30000   # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from measure import GIB, measure


def run_phase(args: list[str]) -> tuple[float, int, str]:
    measured = measure([sys.executable, __file__, *args])
    return measured.seconds, measured.peak_rss, measured.stdout.strip()


def setup(home: Path, workers: int, days: int) -> int:
    from coaching.lake import Lake
    from coaching.settings import load_settings
    from coaching.simulator.config import SimulationConfig
    from coaching.simulator.run import simulate
    from coaching.store.engine import store_engine
    from data_contracts.tables import ORGANIZATIONS, WORKERS
    from orchestration.lib.store_extract import extract_operational

    settings = load_settings({"COACH_HOME": str(home)})
    config = SimulationConfig(workers=workers, days=days, live_days=0, end_date=date(2026, 11, 1))
    manifest = simulate(settings, config)
    engine = store_engine(settings)
    for contract in (ORGANIZATIONS, WORKERS):  # lookups the event contract checks against
        extract_operational(engine, Lake(settings.lake_dir, settings.duckdb_limits), contract)
    # Keep only the event history in the landing folder; keep a copy for the baseline.
    landing = Path(settings.landing_dir)
    shutil.rmtree(landing / "hr")
    shutil.copytree(landing / "message_events", home / "baseline_input")
    return manifest["events"]["landing"]


def baseline(home: Path) -> None:
    import duckdb

    out = home / "baseline_output"
    con = duckdb.connect(config={"threads": 2})
    con.execute("set timezone = 'UTC'")
    con.execute(
        f"copy (select *, cast(occurred_at as date) as event_date "
        f"from read_parquet('{home / 'baseline_input'}/*.parquet')) "
        f"to '{out}' (format parquet, compression zstd, partition_by (event_date))"
    )


def target(home: Path) -> None:
    from coaching.lake import Lake
    from coaching.settings import load_settings
    from orchestration.lib.bronze_build import build_event_days, event_days
    from orchestration.lib.duck import organization_slugs
    from orchestration.lib.intake import take_in

    settings = load_settings({"COACH_HOME": str(home)})
    lake = Lake(settings.lake_dir, settings.duckdb_limits)
    take_in(lake, Path(settings.landing_dir), organization_slugs(lake))
    totals = {"landed": 0, "quarantined": 0, "duplicates": 0}
    for report in build_event_days(lake, event_days(lake)):
        totals["landed"] += report.rows_landed
        totals["quarantined"] += report.rows_quarantined
        totals["duplicates"] += report.duplicates_dropped
    print(json.dumps(totals))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=260_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("phase", nargs="?", choices=["setup", "baseline", "target"])
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    if args.phase == "setup":
        print(setup(args.home, args.workers, args.days))
        return
    if args.phase == "baseline":
        baseline(args.home)
        return
    if args.phase == "target":
        target(args.home)
        return

    home = Path(tempfile.mkdtemp(prefix="coach-bench-ingest-"))
    try:
        os.environ.pop("COACH_HOME", None)
        seconds, _, out = run_phase(
            ["setup", "--home", str(home), "--workers", str(args.workers), "--days", str(args.days)]
        )
        events = int(out.splitlines()[-1])
        print(f"setup: simulated {events:,} landing events in {seconds:.0f} s")
        base_s, base_rss, _ = run_phase(["baseline", "--home", str(home)])
        print(
            f"baseline  DuckDB copy, no validation : {events / base_s:>12,.0f} events/s  ({base_s:6.1f} s, peak RSS {base_rss / GIB:.2f} GiB)"
        )
        ingest_s, ingest_rss, out = run_phase(["target", "--home", str(home)])
        totals = json.loads(out.splitlines()[-1])
        print(
            f"ingest    intake + contracts + dedupe: {events / ingest_s:>12,.0f} events/s  ({ingest_s:6.1f} s, peak RSS {ingest_rss / GIB:.2f} GiB)"
        )
        print(
            f"          landed {totals['landed']:,}, quarantined {totals['quarantined']:,}, duplicates dropped {totals['duplicates']:,}"
        )
        print(
            f"ratio     ingest time / baseline time: {ingest_s / base_s:.2f}x (target: within 2x)"
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
