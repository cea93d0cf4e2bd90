"""Always-valid ("safe to peek") readouts for binary metrics, vectorized.

Readouts are rebuilt every day from cumulative counts and organizations act on the first "ship"
they see, so the error guarantee must hold however often they are read. We use the mixture
sequential probability ratio test (mSPRT) of Johari, Koomen, Pekelis and Walsh, "Peeking at A/B
Tests: Why it matters, and what to do about it" (KDD 2017; Johari et al., Operations Research
2022), the method behind Optimizely's Stats Engine, on the difference of two rates with its
normal approximation:

- **Ship test (one-sided).** The likelihood ratio of "the treatment is better by θ" against "no
  difference", mixed over θ with a normal centred on the smallest lift the experiment is designed
  to detect and truncated to θ > 0. Under no lift (or a harmful one) it is a nonnegative
  supermartingale, so by Ville's inequality the chance it *ever* reaches 1/alpha, at any number of
  looks, is at most alpha. Its inverse is the always-valid p-value.
- **Interval (two-sided).** The confidence sequence of the same test with a normal mixture
  centred on zero (Howard, Ramdas, McAuliffe and Sekhon, "Time-uniform, nonparametric,
  nonasymptotic confidence sequences", Annals of Statistics 2021): it covers the true difference
  at every look at once with probability 1 - alpha.

The fixed-horizon Bayesian figures (coaching.stats.binary: exact Beta-Binomial at small samples)
are still reported beside these, labelled; only these decide.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr

# The mixture's spread around the designed lift, as a share of it: tight, so the evidence is spent
# near the lift the experiment is designed for (0.2 against 1/3 buys about 2 points of power at
# the designed lift; the guarantee holds for any spread).
SPREAD = 0.2


@dataclass(frozen=True)
class Sequential:
    """Per treatment row: the difference, its always-valid interval and one-sided p-value."""

    difference: np.ndarray
    low: np.ndarray
    high: np.ndarray
    p_value: np.ndarray


def difference_and_variance(
    control_successes: np.ndarray, control_trials: np.ndarray,
    treatment_successes: np.ndarray, treatment_trials: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """The difference of rates, the variance of that estimate (rates shrunk by half a success so
    an arm with none or all still has a variance), and the control's rate."""
    nc = np.maximum(np.asarray(control_trials, dtype=float), 1.0)
    nt = np.maximum(np.asarray(treatment_trials, dtype=float), 1.0)
    sc = np.asarray(control_successes, dtype=float)
    st = np.asarray(treatment_successes, dtype=float)
    pc, pt = (sc + 0.5) / (nc + 1), (st + 0.5) / (nt + 1)
    variance = pc * (1 - pc) / nc + pt * (1 - pt) / nt
    return st / nt - sc / nc, variance, sc / nc


def log_ship_evidence(
    difference: np.ndarray, variance: np.ndarray, designed_lift: np.ndarray
) -> np.ndarray:
    """log of the one-sided mixture likelihood ratio (truncated normal mixture centred on the
    designed absolute lift, spread `SPREAD` of it)."""
    mu = np.maximum(np.asarray(designed_lift, dtype=float), 1e-6)
    tau2 = (mu * SPREAD) ** 2
    a = 1 / variance + 1 / tau2
    b = difference / variance + mu / tau2
    return (
        0.5 * np.log(variance / (variance + tau2))
        + b**2 / (2 * a)
        - mu**2 / (2 * tau2)
        + log_ndtr(b / np.sqrt(a))
        - log_ndtr(mu / np.sqrt(tau2))
    )


def half_width(variance: np.ndarray, tau2: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Half-width of the two-sided normal-mixture confidence sequence at level 1 - alpha."""
    return np.sqrt(
        variance
        * (variance + tau2)
        / tau2
        * (np.log((variance + tau2) / variance) - 2 * np.log(alpha))
    )


def read(
    control_successes: np.ndarray, control_trials: np.ndarray,
    treatment_successes: np.ndarray, treatment_trials: np.ndarray,
    relative_lift: np.ndarray | float, alpha: np.ndarray | float,
) -> Sequential:  # fmt: skip
    """Always-valid figures per treatment row. `relative_lift` is the smallest lift the
    experiment is designed to detect, relative to the control's rate."""
    difference, variance, control_rate = difference_and_variance(
        control_successes, control_trials, treatment_successes, treatment_trials
    )
    designed = np.asarray(relative_lift, dtype=float) * np.maximum(control_rate, 0.01)
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), difference.shape)
    evidence = log_ship_evidence(difference, variance, designed)
    p_value = np.minimum(1.0, np.exp(-evidence))
    # The interval's mixture is centred on no difference with the designed lift as its spread.
    h = half_width(variance, designed**2, alpha)
    return Sequential(difference, difference - h, difference + h, p_value)
