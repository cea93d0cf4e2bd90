"""Calibration of experiment decisions read every day, at scale: 2,000 experiments per cell,
each read on cumulative counts every day for 60 days and acted on at its first "ship", at 10, 50
and 200 exposures per arm per day, for an A/A test, a +15% lift and a -15% harm on a 30% reply
rate. Two rules side by side, measured in the same run:

- `always-valid`: the rule the readouts run (coaching.stats.decision.judge);
- `fixed-horizon, peeked`: the engine's former rule (ship at a 97.5% chance to beat control,
  expected loss at most 0.005) read every day, the baseline issue 19 measured.

    python bench/bench_calibration.py                 # 2,000 experiments per cell
    python bench/bench_calibration.py --experiments 500
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from coaching.stats.decision import Thresholds, judge

BASE = 0.30
DAYS = 60
VOLUMES = (10, 50, 200)
LIFTS = {"A/A": 0.0, "+15%": 0.15, "-15%": -0.15}


def counts(seed: int, experiments: int, volume: int, lift: float) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    control = rng.binomial(volume, BASE, (experiments, DAYS)).cumsum(axis=1)
    treatment = rng.binomial(volume, BASE * (1 + lift), (experiments, DAYS)).cumsum(axis=1)
    days = np.broadcast_to(np.arange(1, DAYS + 1), control.shape)
    return control, treatment, days * volume, days


def always_valid(control, treatment, trials, days) -> np.ndarray:  # type: ignore[no-untyped-def]
    verdict, _ = judge(control, trials, treatment, trials, days, Thresholds())
    return verdict == "ship"


def fixed_horizon_peeked(control, treatment, trials, days) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The former rule by its normal approximation (the engine's large-sample path): chance to
    beat control of at least 97.5% with a flat prior and an expected loss of at most 0.005."""
    a_c, b_c = control + 1.0, trials - control + 1.0
    a_t, b_t = treatment + 1.0, trials - treatment + 1.0
    mean = a_t / (a_t + b_t) - a_c / (a_c + b_c)
    var = a_t * b_t / ((a_t + b_t) ** 2 * (a_t + b_t + 1)) + a_c * b_c / (
        (a_c + b_c) ** 2 * (a_c + b_c + 1)
    )
    sd = np.sqrt(var)
    chance = stats.norm.cdf(mean / sd)
    # Expected loss of shipping: E[max(control - treatment, 0)] under the normal approximation.
    z = -mean / sd
    loss = sd * (stats.norm.pdf(z) + z * stats.norm.cdf(z))
    return (chance >= 0.975) & (loss <= 0.005)


def shipped_by(ships: np.ndarray) -> dict[int, float]:
    ever = np.maximum.accumulate(ships, axis=1)
    return {day: float(ever[:, day - 1].mean()) for day in (14, 30, 60)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=2_000)
    args = parser.parse_args()
    started = time.perf_counter()
    print(
        f"{args.experiments:,} experiments per cell, read every day for {DAYS} days "
        f"(control reply rate {BASE:.0%}); share ever shipped by day 14 / 30 / 60"
    )
    print(
        f"{'rule':<22} {'per arm/day':>11} {'truth':>6} {'day 14':>7} {'day 30':>7} {'day 60':>7}"
    )
    seed = 0
    for rule, decide in (
        ("always-valid", always_valid),
        ("fixed-horizon, peeked", fixed_horizon_peeked),
    ):
        for volume in VOLUMES:
            for name, lift in LIFTS.items():
                seed += 1
                figures = shipped_by(decide(*counts(seed, args.experiments, volume, lift)))
                print(
                    f"{rule:<22} {volume:>11} {name:>6} "
                    + " ".join(f"{figures[d]:>7.1%}" for d in (14, 30, 60))
                )
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
