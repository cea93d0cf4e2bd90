"""Inputs the engine refuses, the effect prior, and sample (n - 1) variances."""

from __future__ import annotations

import numpy as np

from coaching.stats import gaussian
from coaching.stats.inputs import count_problems, moment_problems


def test_count_problems_name_each_kind_of_bad_count() -> None:
    trials = np.array([10, 10, -1, np.nan, 10, 10.5])
    successes = np.array([3, 11, 0, 1, np.inf, 2])
    assert count_problems(trials, successes).tolist() == [
        "",
        "more successes than exposures",
        "a count is negative",
        "a count is NaN or infinite",
        "a count is NaN or infinite",
        "a count is not a whole number",
    ]


def test_moment_problems_refuse_sums_no_sample_can_have() -> None:
    values = np.array([1.0, 2.0, 4.0])
    n, s, s2 = len(values), values.sum(), (values**2).sum()
    found = moment_problems(
        np.array([n, n, n, -3, n]),
        np.array([s, s, np.nan, s, s]),
        np.array([s2, s2 / 10, s2, s2, -1.0]),
    )
    assert found.tolist() == [
        "",
        "the sum of squares is smaller than any sample allows",
        "a sum is NaN or infinite",
        "a count or a sum of squares is negative",
        "a count or a sum of squares is negative",
    ]


def test_an_effect_prior_shrinks_a_noisy_lift_and_a_flat_one_changes_nothing() -> None:
    treatment = gaussian.Normal(np.array([0.40]), np.array([0.01**2]))
    control = gaussian.Normal(np.array([0.30]), np.array([0.01**2]))
    flat = gaussian.compare(treatment, control)
    shrunk = gaussian.compare(treatment, control, effect_prior_mean=0.0, effect_prior_var=0.02**2)
    assert flat["absolute_lift"][0] == np.float64(0.40 - 0.30)
    # Precision weighting: data variance 2e-4, prior 4e-4 -> two thirds of the way to the data.
    assert np.isclose(shrunk["absolute_lift"][0], 0.10 * (1 / 2e-4) / (1 / 2e-4 + 1 / 4e-4))
    assert shrunk["absolute_high"][0] - shrunk["absolute_low"][0] < (
        flat["absolute_high"][0] - flat["absolute_low"][0]
    )


def test_ratio_variance_uses_the_sample_variance_of_units() -> None:
    rng = np.random.default_rng(3)
    num = rng.poisson(2.0, 50).astype(float)
    den = rng.poisson(5.0, 50).astype(float) + 1
    posterior = gaussian.ratio_posterior(
        np.array([50.0]), np.array([num.sum()]), np.array([(num**2).sum()]),
        np.array([den.sum()]), np.array([(den**2).sum()]), np.array([(num * den).sum()]),
    )  # fmt: skip
    ratio = num.mean() / den.mean()
    cov = np.cov(num, den, ddof=1)
    expected = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / (50 * den.mean() ** 2)
    assert np.isclose(posterior.var[0], expected)
