import numpy as np
import pytest

from coaching.stats.allocation import period_weighted_rate, thompson_weights


def test_weights_move_toward_the_better_arm_and_keep_a_floor() -> None:
    weights = thompson_weights(
        successes=np.array([[100, 160], [150, 150]]), trials=np.array([[500, 500], [500, 500]]),
        planned=np.array([[0.5, 0.5], [0.5, 0.5]]), floor=0.1,
    )  # fmt: skip
    assert weights[0, 1] > 0.85 and weights[0, 0] >= 0.1
    assert weights[1] == pytest.approx([0.5, 0.5], abs=0.05)
    assert weights.sum(axis=1) == pytest.approx([1, 1])


def test_no_reweighting_before_the_burn_in() -> None:
    weights = thompson_weights(
        successes=np.array([[5, 30]]),
        trials=np.array([[40, 40]]),
        planned=np.array([[0.5, 0.5]]),
        burn_in=50,
    )
    assert weights[0] == pytest.approx([0.5, 0.5])


def test_an_impossible_floor_is_refused() -> None:
    with pytest.raises(ValueError, match="floor"):
        thompson_weights(np.zeros((1, 3)), np.ones((1, 3)), np.full((1, 3), 1 / 3), floor=0.5)


def test_period_weighting_removes_the_bias_of_changing_weights() -> None:
    # The rate drifts up in period 2 for both arms; B got most of the period-2 traffic.
    trials = np.array([[500, 500], [100, 900]])
    rates = np.array([[0.2, 0.2], [0.4, 0.4]])  # no real difference between A and B
    successes = trials * rates
    pooled = successes.sum(axis=0) / trials.sum(axis=0)
    weighted = period_weighted_rate(successes, trials, trials.sum(axis=1))
    assert pooled[1] - pooled[0] > 0.05  # naive pooling invents a lift
    assert weighted[1] - weighted[0] == pytest.approx(0, abs=1e-9)
