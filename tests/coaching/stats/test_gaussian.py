import numpy as np
import pytest

from coaching.stats import gaussian


def sums(values: np.ndarray) -> tuple:
    return len(values), values.sum(), (values**2).sum()


def test_mean_posterior_with_flat_and_proper_priors() -> None:
    y = np.random.default_rng(1).normal(3.0, 1.0, 400)
    flat = gaussian.mean_posterior(*sums(y))
    assert flat.mean == pytest.approx(y.mean())
    assert flat.var == pytest.approx(y.var(ddof=1) / 400)
    shrunk = gaussian.mean_posterior(*sums(y), prior_mean=0.0, prior_var=0.0001)
    assert abs(shrunk.mean) < abs(flat.mean) and shrunk.var < flat.var


def test_cuped_keeps_the_lift_and_shrinks_the_variance() -> None:
    rng = np.random.default_rng(2)
    n = 2_000
    x = rng.normal(10, 3, 2 * n)  # pre-exposure quiz score
    arm = np.repeat([0, 1], n)
    y = 0.8 * x + rng.normal(0, 1, 2 * n) + 0.5 * arm
    stats_by_arm = [
        (
            n,
            y[arm == a].sum(),
            (y[arm == a] ** 2).sum(),
            x[arm == a].sum(),
            (x[arm == a] ** 2).sum(),
            (x[arm == a] * y[arm == a]).sum(),
        )
        for a in (0, 1)
    ]
    columns = [np.array(c, dtype=float) for c in zip(*stats_by_arm, strict=True)]
    adjusted = gaussian.cuped(*columns, experiment=np.array(["e", "e"]))
    plain = gaussian.mean_posterior(columns[0], columns[1], columns[2])
    lift = gaussian.compare(
        gaussian.Normal(adjusted.mean[1:], adjusted.var[1:]),
        gaussian.Normal(adjusted.mean[:1], adjusted.var[:1]),
    )
    assert lift["absolute_low"][0] < 0.5 < lift["absolute_high"][0]
    assert adjusted.var.sum() < plain.var.sum() / 3


def test_ratio_metric_delta_method() -> None:
    rng = np.random.default_rng(3)
    messages = rng.integers(1, 10, 5_000).astype(float)
    replies = rng.binomial(messages.astype(int), 0.3).astype(float)
    post = gaussian.ratio_posterior(
        5_000,
        replies.sum(),
        (replies**2).sum(),
        messages.sum(),
        (messages**2).sum(),
        (replies * messages).sum(),
    )
    assert post.mean == pytest.approx(replies.sum() / messages.sum())
    assert 0 < post.var < 1e-4


def test_compare_matches_closed_form() -> None:
    t = gaussian.Normal(np.array([1.1]), np.array([0.01]))
    c = gaussian.Normal(np.array([1.0]), np.array([0.01]))
    result = gaussian.compare(t, c)
    assert result["chance_to_beat"][0] == pytest.approx(0.7602, abs=1e-4)
    assert result["absolute_high"][0] - result["absolute_low"][0] == pytest.approx(
        2 * 1.96 * np.sqrt(0.02), abs=1e-3
    )
