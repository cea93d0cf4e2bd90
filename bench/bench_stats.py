"""Experiment readouts for 10,000 experiments x 5 metrics, vectorized, against a Python loop that
reads one experiment-metric at a time with the same engine.

Arm sizes are drawn from frontline reality (tens to thousands of workers per arm), so both the
exact small-sample path and the large-sample closed forms are exercised. The loop is timed on a
sample and scaled to the full count (it says so).

    python bench/bench_stats.py
    python bench/bench_stats.py --experiments 1000 --loop-sample 200 --repeat 1
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from coaching.stats.decision import Arms, decide, read_binary


def workload(rng: np.random.Generator, count: int) -> Arms:
    trials = np.repeat(np.exp(rng.uniform(np.log(20), np.log(5_000), count)).astype(int), 2)
    base = np.repeat(rng.uniform(0.05, 0.6, count), 2)
    lift = np.repeat(rng.choice([0.0, 0.0, 0.02, 0.05], count), 2) * np.tile([0, 1], count)
    return Arms(
        experiment_id=np.repeat([f"x{i}" for i in range(count)], 2),
        variant=np.tile(["control", "treatment"], count),
        is_control=np.tile([True, False], count),
        weight=np.full(2 * count, 0.5),
        trials=trials,
        successes=rng.binomial(trials, np.clip(base + lift, 0, 1)),
    )


def subset(arms: Arms, rows: np.ndarray) -> Arms:
    return Arms(*(np.asarray(getattr(arms, f))[rows] for f in
                  ("experiment_id", "variant", "is_control", "weight", "trials", "successes")))  # fmt: skip


def best_of(run: Callable[[], object], repeat: int) -> float:
    """The fastest of `repeat` timed runs, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=10_000)
    parser.add_argument("--metrics", type=int, default=5)
    parser.add_argument("--loop-sample", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per side (best kept)")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    total = args.experiments * args.metrics
    arms = workload(rng, total)  # one row pair per experiment x metric

    decide(read_binary(subset(arms, np.arange(200))), {})  # warm up both sides alike
    sample = min(args.loop_sample, total)
    pairs = [subset(arms, np.array([2 * i, 2 * i + 1])) for i in range(sample)]

    def vectorized_run() -> dict:
        return decide(read_binary(arms), {})

    def loop_run() -> None:
        for pair in pairs:
            decide(read_binary(pair), {})

    # Each side's best of `--repeat` runs: one slow run (the machine busy elsewhere, memory not
    # yet mapped) says nothing about the engine, and both sides are treated alike.
    vectorized = best_of(vectorized_run, args.repeat)
    loop = best_of(loop_run, args.repeat) * total / sample
    decisions = vectorized_run()

    small = int((np.minimum(arms.successes, arms.trials - arms.successes) < 40).sum())
    print(f"{args.experiments:,} experiments x {args.metrics} metrics = {total:,} readouts "
          f"({small:,} arms on the exact small-sample path)")  # fmt: skip
    print(f"vectorized engine      : {vectorized:8.2f} s  ({len(decisions):,} decisions; "
          f"best of {args.repeat})")  # fmt: skip
    print(f"per-experiment loop    : {loop:8.2f} s  (timed on {sample:,}, scaled to {total:,}; "
          f"best of {args.repeat})")  # fmt: skip
    print(
        f"ratio     vectorized / loop: {vectorized / loop:.3f}x ({loop / vectorized:.0f}x faster)"
    )


if __name__ == "__main__":
    main()
