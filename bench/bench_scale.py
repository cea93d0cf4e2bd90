"""The whole pipeline at scale: 200 organizations, 1,000,000 workers, 90 days, then one more day.

Each stage runs as the `coach` command an operator would run, in its own process, so its wall time
and peak memory are its own:

    simulate        the world (not a target: it stands in for the traffic)
    floor           DuckDB reading the same event Parquet once (copied to day-partitioned
                    Parquet with no checks): what every stage is compared with
    ingest          `coach ingest`: store tables, landing history, every bronze partition
    build           `coach build`: dbt build (models and data tests) and publishing the marts
    sync            `coach sync`: the enrollment plan applied to the store
    plan            `coach activate --dry-run`: what would be sent, per organization and program
    simulate-more   `coach simulate-more --days 1`: the next day's events and store changes
    daily ...       ingest, build, sync and plan again, for that one new day

Targets (issue 20): ingest + build under 10 minutes, the daily run under 60 seconds, every
stage's peak memory under 8 GiB.

    python bench/bench_scale.py                                  # 1M workers, 200 orgs, 90 days
    python bench/bench_scale.py --workers 20000 --organizations 10 --days 20   # a quick run
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from measure import GIB, Measured, measure

END = date(2026, 11, 1)  # the world's last day is the day before
COACH = [sys.executable, "-c", "from coaching.cli import main; main()"]
TARGET_FIRST = 600.0
TARGET_DAILY = 60.0
TARGET_MEMORY = 8 * GIB


@dataclass
class Stage:
    name: str
    measured: Measured


def floor(home: Path) -> None:
    """DuckDB reading every event Parquet file once (landing history and the store's live day
    are both read by ingestion; the live day is small, the history is the bulk)."""
    import duckdb

    files = sorted(str(p) for p in (home / "landing" / "message_events").glob("*.parquet"))
    con = duckdb.connect(config={"threads": os.cpu_count() or 2})
    con.execute("set timezone = 'UTC'")
    out = home / "floor_output"
    con.execute(
        f"copy (select *, cast(occurred_at as date) as event_date from read_parquet({files})) "
        f"to '{out}' (format parquet, compression zstd, partition_by (event_date))"
    )
    shutil.rmtree(out)


def _coach(home: Path, *args: str) -> Measured:
    env = {**os.environ, "COACH_HOME": str(home)}
    return measure([*COACH, *args], env=env)


def run(home: Path, workers: int, organizations: int, days: int) -> list[Stage]:
    stages: list[Stage] = []

    def stage(name: str, measured: Measured) -> None:
        stages.append(Stage(name, measured))
        print(
            f"  {name:<16}{measured.seconds:>9.1f} s{measured.peak_rss / GIB:>8.2f} GiB", flush=True
        )

    last_day = END - timedelta(days=1)
    stage(
        "simulate",
        _coach(
            home, "simulate", "--workers", str(workers), "--days", str(days),
            "--client-organizations", str(organizations),
            "--expert-organizations", str(max(1, organizations // 20)),
            "--end-date", END.isoformat(),
        ),
    )  # fmt: skip
    stage("floor", measure([sys.executable, __file__, "--floor", str(home)]))
    stage("ingest", _coach(home, "ingest"))
    stage("build", _coach(home, "build", "--as-of", last_day.isoformat()))
    stage("sync", _coach(home, "sync"))
    stage("plan", _coach(home, "activate", "--dry-run"))
    stage("simulate-more", _coach(home, "simulate-more", "--days", "1"))
    stage("daily ingest", _coach(home, "ingest"))
    stage("daily build", _coach(home, "build", "--as-of", END.isoformat()))
    stage("daily sync", _coach(home, "sync"))
    stage("daily plan", _coach(home, "activate", "--dry-run"))
    return stages


def report(stages: list[Stage], workers: int, organizations: int, days: int) -> None:
    by_name = {s.name: s.measured for s in stages}
    base = by_name["floor"].seconds
    print(f"\n{workers:,} workers, {organizations} client organizations, {days} days")
    print(f"| stage | time | peak memory | ratio to the floor ({base:.1f} s) |")
    print("|---|---|---|---|")
    for s in stages:
        print(
            f"| {s.name} | {s.measured.seconds:.1f} s | {s.measured.peak_rss / GIB:.2f} GiB "
            f"| {s.measured.seconds / base:.1f}x |"
        )
    first = by_name["ingest"].seconds + by_name["build"].seconds
    daily = sum(by_name[n].seconds for n in by_name if n.startswith("daily"))
    # The world's simulation and the floor stand in for traffic and a yardstick: not targets.
    peak = max(s.measured.peak_rss for s in stages if s.name not in ("simulate", "floor"))
    print(
        f"\ningest + build + publish: {first:.1f} s (target < {TARGET_FIRST:.0f} s: "
        f"{'met' if first < TARGET_FIRST else 'NOT met'})"
    )
    print(
        f"daily run (ingest, build, sync, plan): {daily:.1f} s (target < {TARGET_DAILY:.0f} s: "
        f"{'met' if daily < TARGET_DAILY else 'NOT met'})"
    )
    print(
        f"peak memory of any pipeline stage: {peak / GIB:.2f} GiB (target < 8 GiB: "
        f"{'met' if peak < TARGET_MEMORY else 'NOT met'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1_000_000)
    parser.add_argument("--organizations", type=int, default=200)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--home", type=Path, help="Where the world goes (default: a temp folder).")
    parser.add_argument("--keep", action="store_true", help="Keep the world afterwards.")
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor(args.floor)
        return
    home = args.home or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    if home.exists() and any(home.iterdir()):
        raise SystemExit(f"{home} is not empty: give an empty or new folder")
    try:
        stages = run(home, args.workers, args.organizations, args.days)
        report(stages, args.workers, args.organizations, args.days)
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
