"""Binary metrics (replied, completed, opted out): Beta-Binomial posteriors.

Frontline programs are small (tens to hundreds of workers per arm), so normal approximations are
not good enough. Chance to beat control, expected loss and probability of being best are computed
by numerical integration of the exact Beta densities on a grid fitted to each row's posteriors;
credible intervals of the lift come from the exact Beta quantiles of each arm combined on the
same grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal, stats

GRID = 1024  # integration points per row; error well under 1e-4 for the posteriors seen here
SPAN = 9.0  # standard deviations either side of the posteriors covered by the grid
# An arm with fewer successes or failures than this gets the exact Beta computation; above it the
# normal approximation is within 0.01 (tests hold both to that).
EXACT_BELOW = 40


@dataclass(frozen=True)
class BetaPosterior:
    alpha: np.ndarray
    beta: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.alpha / (self.alpha + self.beta)

    @property
    def var(self) -> np.ndarray:
        total = self.alpha + self.beta
        return self.alpha * self.beta / (total**2 * (total + 1))


def posterior(
    successes: np.ndarray, trials: np.ndarray, prior_alpha: np.ndarray | float = 1.0,
    prior_beta: np.ndarray | float = 1.0,
) -> BetaPosterior:  # fmt: skip
    successes = np.asarray(successes, dtype=float)
    trials = np.asarray(trials, dtype=float)
    return BetaPosterior(prior_alpha + successes, prior_beta + trials - successes)


def _grid(*posteriors: BetaPosterior) -> np.ndarray:
    """Per-row integration points covering every posterior's mass: shape (rows, GRID)."""
    lows = [np.maximum(p.mean - SPAN * np.sqrt(p.var), 0.0) for p in posteriors]
    highs = [np.minimum(p.mean + SPAN * np.sqrt(p.var), 1.0) for p in posteriors]
    low = np.minimum.reduce(lows)
    high = np.maximum.reduce(highs)
    steps = np.linspace(0.0, 1.0, GRID)
    return low[:, None] + (high - low)[:, None] * steps[None, :]


def _trapezoid(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.trapezoid(values, x, axis=1)


def _small(*posteriors: BetaPosterior) -> np.ndarray:
    """Rows where some arm has few successes or failures: there the exact Beta math is used."""
    return np.minimum.reduce([np.minimum(p.alpha, p.beta) for p in posteriors]) < EXACT_BELOW


def _subset(posterior: BetaPosterior, rows: np.ndarray) -> BetaPosterior:
    return BetaPosterior(posterior.alpha[rows], posterior.beta[rows])


def chance_to_beat(treatment: BetaPosterior, control: BetaPosterior) -> np.ndarray:
    """P(p_treatment > p_control): exact where samples are small, normal elsewhere (`compare`)."""
    return compare(treatment, control)["chance_to_beat"]


def expected_loss(chosen: BetaPosterior, other: BetaPosterior) -> np.ndarray:
    """E[max(p_other - p_chosen, 0)]: what choosing `chosen` costs when `other` is better."""
    return compare(chosen, other)["loss_ship"]


def lift_interval(
    treatment: BetaPosterior, control: BetaPosterior, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Credible intervals of the absolute and relative lift: (abs_low, abs_high, rel_low, rel_high)."""
    out = compare(treatment, control, level)
    return out["absolute_low"], out["absolute_high"], out["relative_low"], out["relative_high"]


def _difference_cdf(f_c: np.ndarray, cdf_t: np.ndarray, step: np.ndarray) -> np.ndarray:
    """P(T - C <= k * step) for k = -(M-1)..(M-1), per row, when both sit on one uniform grid.

    With x_i = x_0 + i * step, P(T - C <= k step) = sum_i f_c(x_i) F_t(x_i + k step) step, and
    F_t(x_i + k step) = F_t(x_{i+k}): a cross-correlation, computed for every row at once by FFT.
    Past the grid F_t is 0 below and 1 above, so the table is padded accordingly.
    """
    rows, m = f_c.shape
    padded = np.concatenate([np.zeros((rows, m - 1)), cdf_t, np.ones((rows, m - 1))], axis=1)
    # correlate(f_c, padded) at lag k == sum_i f_c[i] * padded[i + k + m - 1]
    result = signal.fftconvolve(padded, f_c[:, ::-1], mode="valid", axes=1)
    return np.clip(result * step[:, None], 0.0, 1.0)


def _exact_difference(
    treatment: BetaPosterior, control: BetaPosterior, points: int = 512
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exact distribution of D = T - C per row: (d grid, P(D <= d), step)."""
    x = _grid(treatment, control)[:, :: max(1, GRID // points)]
    step = x[:, 1] - x[:, 0]
    f_c = stats.beta.pdf(x, control.alpha[:, None], control.beta[:, None])
    cdf_t = stats.beta.cdf(x, treatment.alpha[:, None], treatment.beta[:, None])
    m = x.shape[1]
    d = step[:, None] * np.arange(-(m - 1), m)[None, :]
    return d, _difference_cdf(f_c, cdf_t, step), step


def _exact_ratio(
    treatment: BetaPosterior, control: BetaPosterior, points: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """The exact distribution of T / C - 1 per row, as a shift on a grid of log rates."""
    low = np.log(np.maximum(np.minimum(_low(treatment), _low(control)), 1e-9))
    high = np.log(np.maximum(_high(treatment), _high(control)))
    u = low[:, None] + (high - low)[:, None] * np.linspace(0, 1, points)[None, :]
    u_step = u[:, 1] - u[:, 0]
    g_c = stats.beta.pdf(np.exp(u), control.alpha[:, None], control.beta[:, None]) * np.exp(u)
    cdf_log_t = stats.beta.cdf(np.exp(u), treatment.alpha[:, None], treatment.beta[:, None])
    r = np.exp(u_step[:, None] * np.arange(-(points - 1), points)[None, :]) - 1
    return r, _difference_cdf(g_c, cdf_log_t, u_step)


def compare(
    treatment: BetaPosterior, control: BetaPosterior, level: float = 0.95
) -> dict[str, np.ndarray]:
    """Everything a readout needs for treatment against control, per row.

    Closed-form normal figures everywhere; rows with few successes or failures in an arm are then
    replaced by exact ones from the distribution of T - C (one FFT per block of rows), from which
    chance to beat, both expected losses and the interval all follow.
    """
    tail = (1 - level) / 2
    z = stats.norm.ppf(1 - tail)
    diff = treatment.mean - control.mean
    sd = np.sqrt(treatment.var + control.var)
    log_ratio = np.log(treatment.mean) - np.log(control.mean)
    log_sd = np.sqrt(treatment.var / treatment.mean**2 + control.var / control.mean**2)
    out = {
        "chance_to_beat": stats.norm.cdf(diff / sd),
        # shipping treatment loses when control is better: E[max(C - T, 0)]
        "loss_ship": sd * stats.norm.pdf(diff / sd) - diff * stats.norm.cdf(-diff / sd),
        "loss_keep": sd * stats.norm.pdf(diff / sd) + diff * stats.norm.cdf(diff / sd),
        "absolute_low": diff - z * sd,
        "absolute_high": diff + z * sd,
        "relative_low": np.exp(log_ratio - z * log_sd) - 1,
        "relative_high": np.exp(log_ratio + z * log_sd) - 1,
    }
    small = np.nonzero(_small(treatment, control))[0]
    for block in np.array_split(small, max(1, -(-len(small) // 256))) if len(small) else []:
        t, c = _subset(treatment, block), _subset(control, block)
        d, cdf, step = _exact_difference(t, c)
        at_zero = cdf[:, (cdf.shape[1] - 1) // 2]  # the d grid is symmetric: its middle is d = 0
        out["chance_to_beat"][block] = 1 - at_zero
        # Expected losses are areas under the CDF (trapezoid rule on the d grid, which holds 0):
        # E[max(C - T, 0)] = integral of P(D <= d) for d < 0, E[max(T - C, 0)] of 1 - P(D <= d) for d > 0.
        out["loss_ship"][block] = (np.sum(np.where(d <= 0, cdf, 0.0), axis=1) - at_zero / 2) * step
        out["loss_keep"][block] = (
            np.sum(np.where(d >= 0, 1 - cdf, 0.0), axis=1) - (1 - at_zero) / 2
        ) * step
        out["absolute_low"][block] = _invert(d, cdf, tail)
        out["absolute_high"][block] = _invert(d, cdf, 1 - tail)
        r, cdf_r = _exact_ratio(t, c)
        out["relative_low"][block] = _invert(r, cdf_r, tail)
        out["relative_high"][block] = _invert(r, cdf_r, 1 - tail)
    for key in ("chance_to_beat",):
        out[key] = np.clip(out[key], 0.0, 1.0)
    for key in ("loss_ship", "loss_keep"):
        out[key] = np.maximum(out[key], 0.0)
    return out


def _low(posterior: BetaPosterior) -> np.ndarray:
    return np.maximum(posterior.mean - SPAN * np.sqrt(posterior.var), 0.0)


def _high(posterior: BetaPosterior) -> np.ndarray:
    return np.minimum(posterior.mean + SPAN * np.sqrt(posterior.var), 1.0)


def _invert(points: np.ndarray, cdf: np.ndarray, q: float) -> np.ndarray:
    """Per row, the point where a (made monotone) CDF crosses q, by linear interpolation."""
    cdf = np.maximum.accumulate(np.clip(cdf, 0, 1), axis=1)
    above = np.clip((cdf < q).sum(axis=1), 1, cdf.shape[1] - 1)
    rows = np.arange(cdf.shape[0])
    c0, c1 = cdf[rows, above - 1], cdf[rows, above]
    p0, p1 = points[rows, above - 1], points[rows, above]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(c1 > c0, (q - c0) / (c1 - c0), 0.0)
    return p0 + np.clip(fraction, 0, 1) * (p1 - p0)


def probability_best(arms: list[BetaPosterior]) -> np.ndarray:
    """P(arm k has the highest rate) for every arm: shape (rows, arms)."""
    if len(arms) == 2:  # the common case is chance to beat, which is exact or normal by sample
        second = chance_to_beat(arms[1], arms[0])
        return np.stack([1 - second, second], axis=1)
    x = _grid(*arms)
    densities = [stats.beta.pdf(x, a.alpha[:, None], a.beta[:, None]) for a in arms]
    cdfs = [stats.beta.cdf(x, a.alpha[:, None], a.beta[:, None]) for a in arms]
    result = []
    for k, density in enumerate(densities):
        others = (
            np.prod([cdf for j, cdf in enumerate(cdfs) if j != k], axis=0) if len(arms) > 1 else 1.0
        )
        result.append(_trapezoid(density * others, x))
    best = np.clip(np.stack(result, axis=1), 0, 1)
    return best / best.sum(axis=1, keepdims=True)


def empirical_bayes_prior(
    rates: np.ndarray, trials: np.ndarray, max_strength: float = 200.0
) -> tuple[float, float]:
    """A Beta prior from an organization's finished experiments on the same metric.

    Method of moments on the observed control rates, with the binomial noise of each rate removed
    from their spread; the prior's weight (alpha + beta) is capped so it never outweighs a new
    experiment's own data. With fewer than three experiments the prior stays flat.
    """
    rates = np.asarray(rates, dtype=float)
    trials = np.asarray(trials, dtype=float)
    if len(rates) < 3:
        return 1.0, 1.0
    mean = float(np.average(rates, weights=trials))
    observed = float(np.average((rates - mean) ** 2, weights=trials))
    noise = float(np.average(mean * (1 - mean) / trials, weights=trials))
    between = max(observed - noise, 1e-6)
    strength = min(mean * (1 - mean) / between - 1, max_strength)
    strength = max(strength, 2.0)
    return mean * strength, (1 - mean) * strength
