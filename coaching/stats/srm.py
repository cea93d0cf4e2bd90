"""Sample ratio mismatch: are arms the sizes their planned weights say?

A mismatch means assignment or logging is broken, and no readout of that experiment can be
trusted. Chi-square against the planned weights; flagged below a strict p-value, because it is
checked on every experiment every day.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

SRM_P_VALUE = 0.001


def srm_p_value(observed: np.ndarray, weights: np.ndarray) -> float:
    observed = np.asarray(observed, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if observed.sum() == 0 or len(observed) < 2 or weights.sum() <= 0:
        return float("nan")
    expected = observed.sum() * weights / weights.sum()
    return float(stats.chisquare(observed, expected).pvalue)


def srm_p_values(counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Vectorized over experiments with the same number of arms: shapes (experiments, arms)."""
    counts = np.asarray(counts, dtype=float)
    weights = np.asarray(weights, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = totals * weights / weights.sum(axis=1, keepdims=True)
        statistic = ((counts - expected) ** 2 / expected).sum(axis=1)
    return stats.chi2.sf(statistic, df=counts.shape[1] - 1)
