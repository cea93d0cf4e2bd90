"""Adaptive allocation: Thompson-sampling weights from the posteriors, with a burn-in and a floor.

The weight of an arm is the probability that it is the best, estimated by sampling its Beta
posterior (vectorized over experiments). Before every arm has `burn_in` exposures the planned
weights stay; after, every arm keeps at least `floor` so the estimate of a losing arm keeps
improving and the readout stays valid.
"""

from __future__ import annotations

import numpy as np


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


def period_weighted_rate(
    successes: np.ndarray, trials: np.ndarray, period_share: np.ndarray
) -> np.ndarray:
    """An arm's rate across allocation periods, each period weighted by its share of all traffic.

    When weights change over time, the traffic an arm gets in each period changes with them; if the
    underlying rate drifts over time too, pooling all of an arm's trials would weight the periods
    differently for each arm and bias the comparison. Weighting each period's rate by that
    period's share of the experiment's traffic (the same for every arm) removes that bias.
    Shapes: (periods, arms) for successes and trials, (periods,) for the shares.
    """
    successes = np.asarray(successes, dtype=float)
    trials = np.asarray(trials, dtype=float)
    share = np.asarray(period_share, dtype=float)
    share = share / share.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(trials > 0, successes / trials, np.nan)
    weights = np.where(np.isnan(rates), 0.0, share[:, None])
    return np.nansum(rates * share[:, None], axis=0) / weights.sum(axis=0)
