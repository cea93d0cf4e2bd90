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
import time
from pathlib import Path

import psutil

GIB = 1024**3


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
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(
            f"simulate failed: {process.stderr.read().decode() if process.stderr else ''}"
        )
    manifest = json.loads((home / "simulation" / "manifest.json").read_text())
    rows = manifest["events"]["landing"] + sum(manifest["store"]["rows"].values())
    subprocess.run(["rm", "-rf", str(home)], check=False)
    return {"workers": workers, "days": days, "rows": rows, "seconds": elapsed, "peak_rss": peak}


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
