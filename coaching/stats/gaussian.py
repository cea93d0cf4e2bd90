"""Continuous, count and ratio metrics: Gaussian posteriors from sufficient statistics.

Per arm the engine receives n, the sums of the metric (y) and its square, and, for variance
reduction, of a pre-exposure covariate (x), its square and the cross product. Ratio metrics
(replies per message sent) receive per-unit numerator and denominator sums and use the delta
method. Everything is closed form and vectorized.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Normal:
    mean: np.ndarray
    var: np.ndarray  # variance of the mean (posterior variance)


def _arrays(*values: np.ndarray | float) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in values]


def mean_posterior(
    n: np.ndarray, sum_y: np.ndarray, sum_y2: np.ndarray,
    prior_mean: np.ndarray | float = 0.0, prior_var: np.ndarray | float = np.inf,
) -> Normal:  # fmt: skip
    """Posterior of an arm's mean; a flat prior by default, a normal prior when given."""
    n, sum_y, sum_y2 = _arrays(n, sum_y, sum_y2)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sum_y / n
        sample_var = np.maximum(sum_y2 / n - mean**2, 0.0) * n / np.maximum(n - 1, 1)
        data_var = sample_var / n
        prior_var = np.asarray(prior_var, dtype=float)
        precision = 1 / data_var + np.where(np.isinf(prior_var), 0.0, 1 / prior_var)
        posterior_mean = (
            mean / data_var + np.where(np.isinf(prior_var), 0.0, prior_mean / prior_var)
        ) / precision
    return Normal(posterior_mean, 1 / precision)


def cuped(
    n: np.ndarray, sum_y: np.ndarray, sum_y2: np.ndarray, sum_x: np.ndarray,
    sum_x2: np.ndarray, sum_xy: np.ndarray, experiment: np.ndarray,
) -> Normal:  # fmt: skip
    """CUPED: each arm's mean adjusted by a pre-exposure covariate, theta pooled per experiment.

    y_adj = y - theta (x - mean(x)) keeps the mean unbiased (randomization makes mean(x) equal in
    expectation across arms) and shrinks its variance by (1 - rho^2).
    """
    n, sum_y, sum_y2, sum_x, sum_x2, sum_xy = _arrays(n, sum_y, sum_y2, sum_x, sum_x2, sum_xy)
    groups, index = np.unique(np.asarray(experiment), return_inverse=True)
    pooled = {name: np.bincount(index, weights=v, minlength=len(groups)) for name, v in
              {"n": n, "y": sum_y, "x": sum_x, "x2": sum_x2, "xy": sum_xy}.items()}  # fmt: skip
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_x_all = pooled["x"] / pooled["n"]
        cov = pooled["xy"] / pooled["n"] - mean_x_all * (pooled["y"] / pooled["n"])
        var_x = pooled["x2"] / pooled["n"] - mean_x_all**2
        theta = np.where(var_x > 0, cov / var_x, 0.0)[index]
        grand_x = mean_x_all[index]
        mean_y, mean_x = sum_y / n, sum_x / n
        var_y = np.maximum(sum_y2 / n - mean_y**2, 0.0)
        var_xa = np.maximum(sum_x2 / n - mean_x**2, 0.0)
        cov_a = sum_xy / n - mean_x * mean_y
        adjusted_var = (
            np.maximum(var_y - 2 * theta * cov_a + theta**2 * var_xa, 0.0)
            * n
            / np.maximum(n - 1, 1)
        )
        return Normal(mean_y - theta * (mean_x - grand_x), adjusted_var / n)


def ratio_posterior(
    n: np.ndarray, sum_num: np.ndarray, sum_num2: np.ndarray, sum_den: np.ndarray,
    sum_den2: np.ndarray, sum_num_den: np.ndarray,
) -> Normal:  # fmt: skip
    """Posterior of sum(num) / sum(den) over units (delta method)."""
    n, a, a2, b, b2, ab = _arrays(n, sum_num, sum_num2, sum_den, sum_den2, sum_num_den)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_a, mean_b = a / n, b / n
        var_a = np.maximum(a2 / n - mean_a**2, 0.0)
        var_b = np.maximum(b2 / n - mean_b**2, 0.0)
        cov = ab / n - mean_a * mean_b
        ratio = mean_a / mean_b
        # Sample (n - 1) moments: the delta method's variance is of units drawn from the arm.
        bessel = n / np.maximum(n - 1, 1)
        var = bessel * (var_a - 2 * ratio * cov + ratio**2 * var_b) / (n * mean_b**2)
    return Normal(ratio, np.maximum(var, 0.0))


def effect_posterior(
    diff: np.ndarray, var: np.ndarray, prior_mean: np.ndarray | float, prior_var: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """The absolute effect's posterior under a normal prior on the effect itself (as
    warehouse-native engines offer): precision-weighted, so a prior of a few hundredths keeps a
    small experiment's noisy lift near zero until the data outweigh it. An infinite prior
    variance is the flat prior and changes nothing."""
    diff, var = np.asarray(diff, dtype=float), np.asarray(var, dtype=float)
    prior_mean = np.asarray(prior_mean, dtype=float)
    prior_var = np.asarray(prior_var, dtype=float)
    flat = np.isinf(prior_var)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = 1 / var + np.where(flat, 0.0, 1 / prior_var)
        mean = (diff / var + np.where(flat, 0.0, prior_mean / prior_var)) / precision
    return np.where(flat, diff, mean), np.where(flat, var, 1 / precision)


def compare(
    treatment: Normal, control: Normal, level: float = 0.95,
    effect_prior_mean: np.ndarray | float = 0.0, effect_prior_var: np.ndarray | float = np.inf,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Lift, intervals, chance to beat and expected losses of treatment against control; with
    `effect_prior_var` finite, of the effect's posterior under that prior."""
    z = stats.norm.ppf(0.5 + level / 2)
    diff, var = effect_posterior(
        treatment.mean - control.mean,
        treatment.var + control.var,
        effect_prior_mean,
        effect_prior_var,
    )
    sd = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = treatment.mean / control.mean - 1
        rel_sd = np.sqrt(
            treatment.var / control.mean**2 + treatment.mean**2 * control.var / control.mean**4
        )
        chance = stats.norm.cdf(diff / sd)
        loss_ship = sd * stats.norm.pdf(diff / sd) - diff * stats.norm.cdf(-diff / sd)
        loss_keep = sd * stats.norm.pdf(diff / sd) + diff * stats.norm.cdf(diff / sd)
    return {
        "absolute_lift": diff,
        "absolute_low": diff - z * sd,
        "absolute_high": diff + z * sd,
        "relative_lift": rel,
        "relative_low": rel - z * rel_sd,
        "relative_high": rel + z * rel_sd,
        "chance_to_beat": chance,
        "loss_ship": np.maximum(loss_ship, 0.0),
        "loss_keep": np.maximum(loss_keep, 0.0),
    }
