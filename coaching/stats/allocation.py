"""Adaptive allocation: Thompson-sampling weights from the posteriors, with a burn-in and a floor.

The weight of an arm is the probability that it is the best, estimated by sampling its Beta
posterior (vectorized over experiments). Before every arm has `burn_in` exposures the planned
weights stay; after, every arm keeps at least `floor` so the estimate of a losing arm keeps
improving and the readout stays valid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def thompson_weights(
    successes: np.ndarray, trials: np.ndarray, planned: np.ndarray, *, burn_in: int = 100,
    floor: float = 0.05, draws: int = 4_000, seed: int = 0,
    prior_alpha: float = 1.0, prior_beta: float = 1.0,
) -> np.ndarray:  # fmt: skip
    """New weights per experiment (rows) and arm (columns); rows with too few exposures keep `planned`."""
    successes = np.asarray(successes, dtype=float)
    trials = np.asarray(trials, dtype=float)
    planned = np.asarray(planned, dtype=float)
    arms = successes.shape[1]
    if not 0 <= floor * arms <= 1:
        raise ValueError(f"a floor of {floor} per arm cannot hold for {arms} arms")
    rng = np.random.default_rng(seed)
    alpha = prior_alpha + successes
    beta = prior_beta + trials - successes
    samples = rng.beta(alpha[:, :, None], beta[:, :, None], size=(*alpha.shape, draws))
    wins = np.zeros_like(alpha)
    best = samples.argmax(axis=1)  # (experiments, draws)
    for arm in range(arms):
        wins[:, arm] = (best == arm).mean(axis=1)
    weights = floor + (1 - floor * arms) * wins
    ready = trials.min(axis=1) >= burn_in
    return np.where(ready[:, None], weights, planned / planned.sum(axis=1, keepdims=True))


def period_weighted_rates(
    cells: pd.DataFrame, by: list[str], period: str, arm: str,
    trials: str = "n", successes: str = "successes",
) -> pd.Series:  # fmt: skip
    """Each arm's rate across allocation periods, each period weighted by its share of all traffic,
    for every group of `by` (an experiment and metric) at once; indexed by (*by, arm).

    When weights change over time, the traffic an arm gets in each period changes with them; if the
    underlying rate drifts over time too, pooling all of an arm's trials would weight the periods
    differently for each arm and bias the comparison. Weighting each period's rate by that
    period's share of the group's traffic (the same for every arm) removes that bias. A period
    where an arm has no trials is left out of that arm's average; an arm with none anywhere is NaN.
    """
    summed = cells.groupby([*by, period, arm], sort=False)[[trials, successes]].sum().reset_index()
    n = summed[trials].to_numpy(float)
    in_period = summed.groupby([*by, period], sort=False)[trials].transform("sum").to_numpy(float)
    in_group = summed.groupby(by, sort=False)[trials].transform("sum").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = in_period / in_group
        rate = np.where(n > 0, summed[successes].to_numpy(float) / n, np.nan)
    counted = ~np.isnan(rate)
    summed["_weighted"] = np.where(counted, rate * share, 0.0)
    summed["_weight"] = np.where(counted, share, 0.0)
    arms = summed.groupby([*by, arm], sort=False)[["_weighted", "_weight"]].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return arms["_weighted"] / arms["_weight"]
