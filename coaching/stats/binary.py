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
from scipy import fft, special, stats

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
    F_t(x_i + k step) = F_t(x_{i+k}), which is 0 below the grid and 1 above it. The terms inside
    the grid are a cross-correlation of two rows of M points, computed for every row at once by
    FFT; the terms above it add the mass of f_c past x_{M-k}.
    """
    m = f_c.shape[1]
    # Trapezoid weights (half at both ends: a density may peak at a bound of the support, as
    # Beta(a, 1) does at 1), scaled so the weights sum to one.
    f_c = f_c.copy()
    f_c[:, [0, -1]] /= 2
    total = f_c.sum(axis=1, keepdims=True) * step[:, None]
    f_c = np.divide(f_c, total, out=np.zeros_like(f_c), where=total > 0)
    size = fft.next_fast_len(2 * m - 1, real=True)
    # correlation at lag k (k = -(m-1)..m-1) == convolution of cdf_t with f_c reversed, at k + m - 1
    spectrum = fft.rfft(cdf_t, size, axis=1)
    spectrum *= fft.rfft(f_c[:, ::-1], size, axis=1)
    result = fft.irfft(spectrum, size, axis=1)[:, : 2 * m - 1]
    # For k > 0 the points i >= m - k land above the grid, where F_t = 1: add the sum of the
    # last k points of f_c.
    result[:, m:] += np.cumsum(f_c[:, :-m:-1], axis=1)
    result *= step[:, None]
    return np.clip(result, 0.0, 1.0, out=result)


def _log_terms(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log x and log(1 - x) on a grid, computed once for the two posteriors that share it."""
    with np.errstate(divide="ignore"):
        return np.log(x), np.log1p(-x)


def _beta_density(
    log_x: np.ndarray, log_1mx: np.ndarray, alpha: np.ndarray, beta: np.ndarray, power: float = 0.0
) -> np.ndarray:
    """Beta densities times x**power on per-row grids, from logs (scipy.stats' frozen-distribution
    machinery costs more than the arithmetic at this size). A zero exponent contributes zero even
    where its log is infinite, as `xlogy` would."""
    a, b = (alpha + (power - 1))[:, None], (beta - 1)[:, None]
    log_density = _times(a, log_x) + _times(b, log_1mx) - special.betaln(alpha, beta)[:, None]
    return np.exp(log_density)


def _times(coefficient: np.ndarray, log_values: np.ndarray) -> np.ndarray:
    """coefficient * log_values with 0 * -inf taken as 0 (a Beta(1, b) density at x = 0). Grid
    rows are monotone, so an infinite log can only sit at either end of a row."""
    product = coefficient * log_values
    if np.isinf(log_values[:, [0, -1]]).any():
        product[np.isinf(log_values) & (coefficient == 0)] = 0.0
    return product


def _cdf_on_grid(density: np.ndarray, step: np.ndarray) -> np.ndarray:
    """The CDF at each grid point, by the trapezoid rule from the grid's low end, scaled so it
    ends at 1: the grids leave off only the posteriors' outer 1e-10 quantiles (`_support`), so
    the scaling only removes integration error."""
    increments = (density[:, 1:] + density[:, :-1]) * (step[:, None] / 2)
    cdf = np.concatenate([np.zeros((len(density), 1)), np.cumsum(increments, axis=1)], axis=1)
    total = cdf[:, -1:]
    return np.divide(cdf, total, out=np.zeros_like(cdf), where=total > 0)


# Tails of each posterior left off the exact grids: its quantiles 1e-10 and 1 - 1e-10.
TAIL = 1e-10
# Grid points per standard deviation of the narrower posterior, and the bounds on points per row.
PER_SD = 4
FEWEST, MOST = 128, 2048


def _support(posterior: BetaPosterior) -> tuple[np.ndarray, np.ndarray]:
    """Where all but 2e-10 of a posterior's mass lies (exact Beta quantiles: a posterior with few
    successes has a long right tail that mean +- k sd would cut)."""
    return (
        special.betaincinv(posterior.alpha, posterior.beta, TAIL),
        special.betaincinv(posterior.alpha, posterior.beta, 1 - TAIL),
    )


def _points(span: np.ndarray, narrowest: np.ndarray) -> np.ndarray:
    """Grid points per row: PER_SD points per standard deviation of the narrower posterior over
    the span of both, rounded up to a power of two (rows are computed in blocks of one size)."""
    need = PER_SD * span / np.maximum(narrowest, 1e-12)
    exponent = np.ceil(np.log2(np.maximum(need, 1.0)))
    return np.clip(2**exponent, FEWEST, MOST).astype(int)


def _exact_difference(
    treatment: BetaPosterior, control: BetaPosterior, low: np.ndarray, high: np.ndarray, points: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exact distribution of D = T - C per row: (d grid, P(D <= d), step)."""
    x = low[:, None] + (high - low)[:, None] * np.linspace(0.0, 1.0, points)[None, :]
    step = x[:, 1] - x[:, 0]
    logs = _log_terms(x)
    f_c = _beta_density(*logs, control.alpha, control.beta)
    cdf_t = _cdf_on_grid(_beta_density(*logs, treatment.alpha, treatment.beta), step)
    d = step[:, None] * np.arange(-(points - 1), points)[None, :]
    return d, _difference_cdf(f_c, cdf_t, step), step


def _exact_ratio(
    treatment: BetaPosterior, control: BetaPosterior, low: np.ndarray, high: np.ndarray, points: int
) -> tuple[np.ndarray, np.ndarray]:
    """The exact distribution of T / C - 1 per row, as a shift on a grid of log rates from
    log(low) to log(high) (the density of log p is f(e^u) e^u)."""
    u = np.log(low)[:, None] + np.log(high / low)[:, None] * np.linspace(0, 1, points)[None, :]
    u_step = u[:, 1] - u[:, 0]
    # log p is u itself; the density of log p carries one more power of p.
    with np.errstate(divide="ignore"):
        log_1mp = np.log1p(-np.exp(u))
    g_c = _beta_density(u, log_1mp, control.alpha, control.beta, power=1.0)
    cdf_log_t = _cdf_on_grid(
        _beta_density(u, log_1mp, treatment.alpha, treatment.beta, power=1.0), u_step
    )
    r = np.exp(u_step[:, None] * np.arange(-(points - 1), points)[None, :]) - 1
    return r, _difference_cdf(g_c, cdf_log_t, u_step)


def _blocks(points: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Rows grouped by their number of grid points, in blocks of about 2**18 grid values."""
    blocks = []
    for size in np.unique(points):
        rows = np.nonzero(points == size)[0]
        per_block = max(1, 2**18 // int(size))
        blocks += [(int(size), rows[i : i + per_block]) for i in range(0, len(rows), per_block)]
    return blocks


def _exact(
    out: dict[str, np.ndarray], rows: np.ndarray, treatment: BetaPosterior,
    control: BetaPosterior, tail: float,
) -> None:  # fmt: skip
    """Replace `out`'s figures of `rows` by the exact ones, each row on a grid fine enough for the
    narrower of its two posteriors."""
    t, c = _subset(treatment, rows), _subset(control, rows)
    (t_low, t_high), (c_low, c_high) = _support(t), _support(c)
    low, high = np.minimum(t_low, c_low), np.maximum(t_high, c_high)
    narrow = np.minimum(np.sqrt(t.var), np.sqrt(c.var))
    for points, block in _blocks(_points(high - low, narrow)):
        tb, cb = _subset(t, block), _subset(c, block)
        d, cdf, step = _exact_difference(tb, cb, low[block], high[block], points)
        at_zero = cdf[:, points - 1]  # the d grid is symmetric: its middle is d = 0
        target = rows[block]
        out["chance_to_beat"][target] = 1 - at_zero
        # Expected losses are areas under the CDF (trapezoid rule on the d grid, whose first
        # `points` values are d <= 0 and last `points` d >= 0):
        # E[max(C - T, 0)] = integral of P(D <= d) for d < 0, E[max(T - C, 0)] of 1 - P(D <= d) for d > 0.
        below = cdf[:, :points].sum(axis=1) - at_zero / 2
        out["loss_ship"][target] = below * step
        above = points - cdf[:, points - 1 :].sum(axis=1) - (1 - at_zero) / 2
        out["loss_keep"][target] = above * step
        out["absolute_low"][target], out["absolute_high"][target] = _invert(d, cdf, tail, 1 - tail)
    # On log rates a posterior's spread is about sd / mean (the delta method).
    narrow_log = np.minimum(np.sqrt(t.var) / t.mean, np.sqrt(c.var) / c.mean)
    for points, block in _blocks(_points(np.log(high / low), narrow_log)):
        tb, cb = _subset(t, block), _subset(c, block)
        r, cdf_r = _exact_ratio(tb, cb, low[block], high[block], points)
        target = rows[block]
        out["relative_low"][target], out["relative_high"][target] = _invert(
            r, cdf_r, tail, 1 - tail
        )


def compare(
    treatment: BetaPosterior, control: BetaPosterior, level: float = 0.95
) -> dict[str, np.ndarray]:
    """Everything a readout needs for treatment against control, per row.

    Closed-form normal figures everywhere; rows with few successes or failures in an arm are then
    replaced by exact ones from the distribution of T - C (one FFT per block of rows), from which
    chance to beat, both expected losses and the interval all follow, and of log T - log C for
    the relative interval.
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
    if len(small):
        _exact(out, small, treatment, control, tail)
    for key in ("chance_to_beat",):
        out[key] = np.clip(out[key], 0.0, 1.0)
    for key in ("loss_ship", "loss_keep"):
        out[key] = np.maximum(out[key], 0.0)
    return out


def _invert(points: np.ndarray, cdf: np.ndarray, *qs: float) -> list[np.ndarray]:
    """Per row, the points where a (made monotone) CDF crosses each q, by linear interpolation."""
    cdf = np.maximum.accumulate(np.clip(cdf, 0, 1), axis=1)
    rows = np.arange(cdf.shape[0])
    found = []
    for q in qs:
        above = np.clip((cdf < q).sum(axis=1), 1, cdf.shape[1] - 1)
        c0, c1 = cdf[rows, above - 1], cdf[rows, above]
        p0, p1 = points[rows, above - 1], points[rows, above]
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = np.where(c1 > c0, (q - c0) / (c1 - c0), 0.0)
        found.append(p0 + np.clip(fraction, 0, 1) * (p1 - p0))
    return found


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
