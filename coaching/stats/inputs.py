"""What counts the engine can read: a pure check of its inputs, per arm, with the reason.

Sufficient statistics arrive from SQL; a bug upstream (a join that doubles successes, a negative
correction, a division by zero) must come out as `invalid` with the reason, never as `ok` with
NaN figures that a decision would then read.
"""

from __future__ import annotations

import numpy as np

# Relative slack for the variance check: sums of squares of large values lose a few ulps.
VARIANCE_TOLERANCE = 1e-9


def _first(reasons: list[tuple[np.ndarray, str]], size: int) -> np.ndarray:
    out = np.full(size, "", dtype=object)
    for bad, reason in reasons:
        out[(out == "") & bad] = reason
    return out


def count_problems(trials: np.ndarray, successes: np.ndarray) -> np.ndarray:
    """Per arm of a binary metric: '' when readable, else why not."""
    trials, successes = np.asarray(trials, dtype=float), np.asarray(successes, dtype=float)
    finite = np.isfinite(trials) & np.isfinite(successes)
    with np.errstate(invalid="ignore"):
        return _first(
            [
                (~finite, "a count is NaN or infinite"),
                ((trials < 0) | (successes < 0), "a count is negative"),
                ((trials != np.round(trials)) | (successes != np.round(successes)),
                 "a count is not a whole number"),
                (successes > trials, "more successes than exposures"),
            ],
            trials.size,
        )  # fmt: skip


def moment_problems(n: np.ndarray, sum_y: np.ndarray, sum_y2: np.ndarray) -> np.ndarray:
    """Per arm of a mean metric: '' when n, the sum and the sum of squares can be one sample."""
    n, sum_y, sum_y2 = (np.asarray(v, dtype=float) for v in (n, sum_y, sum_y2))
    finite = np.isfinite(n) & np.isfinite(sum_y) & np.isfinite(sum_y2)
    with np.errstate(invalid="ignore", over="ignore"):
        # n * sum(y^2) >= sum(y)^2 for any real sample (Cauchy-Schwarz).
        impossible = n * sum_y2 < sum_y**2 * (1 - VARIANCE_TOLERANCE) - VARIANCE_TOLERANCE
        return _first(
            [
                (~finite, "a sum is NaN or infinite"),
                ((n < 0) | (sum_y2 < 0), "a count or a sum of squares is negative"),
                (n != np.round(n), "a count is not a whole number"),
                (impossible, "the sum of squares is smaller than any sample allows"),
            ],
            n.size,
        )
