"""Simulator throughput and peak memory, against a 10x smaller baseline run in the same session.

Streaming means throughput (rows/s) stays flat and peak memory grows far slower than the world:
the ratios printed at the end say whether that holds on this machine today.

    python bench/bench_simulator.py                      # 100k workers x 30 days vs 10k x 30
    python bench/bench_simulator.py --workers 1000000 --days 90 --baseline-workers 100000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import GIB, measure


def run(workers: int, days: int, seed: int) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COACH_")},
        "COACH_HOME": str(home),
    }
    command = [
        sys.executable, "-m", "coaching.cli", "simulate", "--workers", str(workers),
        "--days", str(days), "--seed", str(seed), "--end-date", "2026-11-01",
    ]  # fmt: skip
    measured = measure(command, env)
    manifest = json.loads((home / "simulation" / "manifest.json").read_text())
    rows = manifest["events"]["landing"] + sum(manifest["store"]["rows"].values())
    subprocess.run(["rm", "-rf", str(home)], check=False)
    return {
        "workers": workers, "days": days, "rows": rows,
        "seconds": measured.seconds, "peak_rss": measured.peak_rss,
    }  # fmt: skip


def report(label: str, result: dict[str, float]) -> None:
    print(
        f"{label:<9} {int(result['workers']):>9} workers x {int(result['days'])} days: "
        f"{int(result['rows']):>11,} rows in {result['seconds']:7.1f} s = "
        f"{result['rows'] / result['seconds']:>10,.0f} rows/s, "
        f"peak RSS {result['peak_rss'] / GIB:.2f} GiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--baseline-workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    baseline_workers = args.baseline_workers or max(1, args.workers // 10)

    baseline = run(baseline_workers, args.days, args.seed)
    report("baseline", baseline)
    target = run(args.workers, args.days, args.seed)
    report("target", target)
    scale = target["workers"] / baseline["workers"]
    throughput = (target["rows"] / target["seconds"]) / (baseline["rows"] / baseline["seconds"])
    memory = target["peak_rss"] / baseline["peak_rss"]
    print(f"world size ratio      {scale:.1f}x")
    print(f"throughput ratio      {throughput:.2f}x (1.0 = rows/s unchanged at the larger size)")
    print(f"peak memory ratio     {memory:.2f}x (streaming keeps this far below the size ratio)")
    print(f"under the 2 GiB bound {'yes' if target['peak_rss'] < 2 * GIB else 'NO'}")


if __name__ == "__main__":
    main()
