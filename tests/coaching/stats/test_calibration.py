"""Calibration of the decisions as the product reads them: every experiment's readout rebuilt
from cumulative counts every day for 60 days, and acted on the first day it says ship.

Vectorized simulations with fixed seeds, through the same rule `decide` applies
(`coaching.stats.decision.judge`), against the targets of
issue 19: a null experiment ever ships at most 5% of the time at every volume, a harmful one at
most 1%, and a +15% lift ships by day 30 in 60% (by day 60 in 90%) of experiments at 50 per arm
per day and by day 30 in 95% at 200. The control's reply rate is 0.30. The larger run with its
figures is bench/bench_calibration.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from coaching.stats.decision import Thresholds, judge
from coaching.stats.planning import days_needed

BASE = 0.30
DAYS = 60


def first_ship_day(
    seed: int, per_arm_per_day: int, relative_lift: float, count: int = 1_500
) -> np.ndarray:
    """For each simulated experiment, the first day its readout says ship (inf: never)."""
    rng = np.random.default_rng(seed)
    treated = BASE * (1 + relative_lift)
    control = rng.binomial(per_arm_per_day, BASE, (count, DAYS)).cumsum(axis=1)
    treatment = rng.binomial(per_arm_per_day, treated, (count, DAYS)).cumsum(axis=1)
    days = np.broadcast_to(np.arange(1, DAYS + 1), control.shape)
    trials = days * per_arm_per_day
    verdict, _ = judge(control, trials, treatment, trials, days, Thresholds())
    shipped = verdict == "ship"
    return np.where(shipped.any(axis=1), shipped.argmax(axis=1) + 1, np.inf)


@pytest.mark.parametrize("volume", [10, 50, 200])
def test_a_null_experiment_read_every_day_ships_at_most_5_percent(volume: int) -> None:
    first = first_ship_day(seed=volume, per_arm_per_day=volume, relative_lift=0.0)
    assert (first <= DAYS).mean() <= 0.05


@pytest.mark.parametrize("volume", [10, 50, 200])
def test_a_harmful_variant_ships_at_most_1_percent(volume: int) -> None:
    first = first_ship_day(seed=1_000 + volume, per_arm_per_day=volume, relative_lift=-0.15)
    assert (first <= DAYS).mean() <= 0.01


def test_a_real_lift_ships_in_time() -> None:
    at_50 = first_ship_day(seed=7, per_arm_per_day=50, relative_lift=0.15)
    at_200 = first_ship_day(seed=8, per_arm_per_day=200, relative_lift=0.15)
    assert (at_50 <= 30).mean() >= 0.60
    assert (at_50 <= 60).mean() >= 0.90
    assert (at_200 <= 30).mean() >= 0.95


def test_nothing_ships_before_the_minimum_run_time() -> None:
    first = first_ship_day(seed=9, per_arm_per_day=500, relative_lift=0.5, count=200)
    assert first.min() >= Thresholds().min_days


def test_the_power_calculator_agrees_with_an_independent_simulation() -> None:
    plan = days_needed(BASE, 0.15, 50, power=0.8)
    first = first_ship_day(seed=10, per_arm_per_day=50, relative_lift=0.15)
    assert plan.days_always_valid is not None and plan.days_fixed_horizon is not None
    assert plan.days_fixed_horizon < plan.days_always_valid  # peeking safely costs time
    assert (first <= plan.days_always_valid).mean() == pytest.approx(0.8, abs=0.04)
    assert (first <= plan.days_always_valid - 3).mean() < 0.8
    assert days_needed(BASE, 0.15, 0).days_always_valid is None
