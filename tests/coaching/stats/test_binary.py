"""Beta-Binomial math against Monte Carlo, and the exact path against the normal one at scale."""

import numpy as np
import pytest

from coaching.stats import binary

DRAWS = 400_000


@pytest.fixture(scope="module")
def arms():
    treatment = binary.posterior(np.array([3, 30, 300]), np.array([10, 100, 1000]))
    control = binary.posterior(np.array([2, 25, 270]), np.array([10, 100, 1000]))
    rng = np.random.default_rng(11)
    t = np.stack(
        [rng.beta(a, b, DRAWS) for a, b in zip(treatment.alpha, treatment.beta, strict=True)]
    )
    c = np.stack([rng.beta(a, b, DRAWS) for a, b in zip(control.alpha, control.beta, strict=True)])
    return treatment, control, t, c


def test_chance_to_beat_matches_monte_carlo(arms) -> None:
    treatment, control, t, c = arms
    assert binary.chance_to_beat(treatment, control) == pytest.approx(
        (t > c).mean(axis=1), abs=0.004
    )


def test_expected_losses_match_monte_carlo(arms) -> None:
    treatment, control, t, c = arms
    ship = binary.expected_loss(treatment, control)
    keep = binary.expected_loss(control, treatment)
    assert ship == pytest.approx(np.maximum(c - t, 0).mean(axis=1), abs=5e-4)
    assert keep == pytest.approx(np.maximum(t - c, 0).mean(axis=1), abs=5e-4)


def test_intervals_match_monte_carlo(arms) -> None:
    treatment, control, t, c = arms
    abs_low, abs_high, rel_low, rel_high = binary.lift_interval(treatment, control)
    assert abs_low == pytest.approx(np.quantile(t - c, 0.025, axis=1), abs=0.003)
    assert abs_high == pytest.approx(np.quantile(t - c, 0.975, axis=1), abs=0.003)
    assert rel_low == pytest.approx(np.quantile(t / c - 1, 0.025, axis=1), rel=0.03, abs=0.003)
    assert rel_high == pytest.approx(np.quantile(t / c - 1, 0.975, axis=1), rel=0.03, abs=0.003)


def test_probability_best_sums_to_one_and_orders_arms() -> None:
    arms = [binary.posterior(np.array([s]), np.array([200])) for s in (40, 50, 60)]
    best = binary.probability_best(arms)[0]
    assert best.sum() == pytest.approx(1)
    assert best[2] > best[1] > best[0]


def test_exact_and_normal_agree_within_001_at_large_samples(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The figures warehouse-native engines report in closed form hold for large samples."""
    rng = np.random.default_rng(5)
    n = 5_000
    trials = rng.integers(2_000, 20_000, (2, 200))
    rates = rng.uniform(0.1, 0.5, 200)
    t = binary.posterior(rng.binomial(trials[0], rates * 1.03), trials[0])
    c = binary.posterior(rng.binomial(trials[1], rates), trials[1])
    normal = [binary.chance_to_beat(t, c), binary.expected_loss(t, c), *binary.lift_interval(t, c)]
    monkeypatch.setattr(binary, "EXACT_BELOW", 10 * n)  # force the exact path everywhere
    exact = [binary.chance_to_beat(t, c), binary.expected_loss(t, c), *binary.lift_interval(t, c)]
    for a, b in zip(normal, exact, strict=True):
        assert np.max(np.abs(a - b)) < 0.01


def test_empirical_bayes_prior_centers_on_the_organizations_history() -> None:
    alpha, beta = binary.empirical_bayes_prior(
        np.array([0.30, 0.35, 0.32, 0.28]), np.array([400, 500, 300, 450])
    )
    assert alpha / (alpha + beta) == pytest.approx(0.31, abs=0.01)
    assert alpha + beta <= 200
    assert binary.empirical_bayes_prior(np.array([0.3]), np.array([100])) == (1.0, 1.0)


def test_compare_agrees_with_the_standalone_figures(arms) -> None:
    treatment, control, *_ = arms
    figures = binary.compare(treatment, control)
    assert figures["chance_to_beat"] == pytest.approx(
        binary.chance_to_beat(treatment, control), abs=0.003
    )
    assert figures["loss_ship"] == pytest.approx(binary.expected_loss(treatment, control), abs=5e-4)
    assert figures["loss_keep"] == pytest.approx(binary.expected_loss(control, treatment), abs=5e-4)


@pytest.mark.parametrize(
    ("treatment", "control"),
    [
        ((105, 150), (7, 8)),  # a control of 7 in 8: its density peaks at the bound of its support
        ((4, 80), (0, 8)),  # no successes in a small control: the ratio has a long tail
        ((3, 7), (800, 3000)),  # a tiny arm against a large one: widths 30 times apart
    ],
)
def test_lopsided_and_bounded_posteriors_match_monte_carlo(
    treatment: tuple[int, int], control: tuple[int, int]
) -> None:
    t_post = binary.posterior(np.array([treatment[0]]), np.array([treatment[1]]))
    c_post = binary.posterior(np.array([control[0]]), np.array([control[1]]))
    rng = np.random.default_rng(17)
    t = rng.beta(t_post.alpha[0], t_post.beta[0], DRAWS)
    c = rng.beta(c_post.alpha[0], c_post.beta[0], DRAWS)
    figures = binary.compare(t_post, c_post)
    assert figures["chance_to_beat"][0] == pytest.approx((t > c).mean(), abs=0.004)
    assert figures["loss_ship"][0] == pytest.approx(np.maximum(c - t, 0).mean(), abs=1e-3)
    for key, q in (("absolute_low", 0.025), ("absolute_high", 0.975)):
        assert figures[key][0] == pytest.approx(np.quantile(t - c, q), abs=0.005)
    for key, q in (("relative_low", 0.025), ("relative_high", 0.975)):
        assert figures[key][0] == pytest.approx(np.quantile(t / c - 1, q), rel=0.05, abs=0.005)
