import numpy as np
import pandas as pd
import pytest

from coaching.stats.allocation import period_weighted_rates, thompson_weights


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


def _cells(trials: np.ndarray, successes: np.ndarray, experiment: str = "x") -> pd.DataFrame:
    """(period, arm) tables as the long rows a readout holds."""
    periods, arms = trials.shape
    return pd.DataFrame(
        {
            "experiment_id": experiment,
            "week": np.repeat(np.arange(periods), arms),
            "arm": np.tile(["A", "B", "C"][:arms], periods),
            "n": trials.ravel(),
            "successes": successes.ravel(),
        }
    )


def test_period_weighting_removes_the_bias_of_changing_weights() -> None:
    # The rate drifts up in period 2 for both arms; B got most of the period-2 traffic.
    trials = np.array([[500, 500], [100, 900]])
    rates = np.array([[0.2, 0.2], [0.4, 0.4]])  # no real difference between A and B
    successes = trials * rates
    pooled = successes.sum(axis=0) / trials.sum(axis=0)
    weighted = period_weighted_rates(_cells(trials, successes), ["experiment_id"], "week", "arm")
    assert pooled[1] - pooled[0] > 0.05  # naive pooling invents a lift
    assert weighted[("x", "B")] - weighted[("x", "A")] == pytest.approx(0, abs=1e-9)


def test_period_weighting_groups_alone_and_skips_periods_an_arm_missed() -> None:
    # Week 1 is 3/4 of the traffic. C had no trials in week 0 and D was never exposed.
    first = _cells(np.array([[100, 100, 0], [300, 300, 600]]),
                   np.array([[10, 20, 0], [60, 90, 240]]))  # fmt: skip
    never = pd.DataFrame(
        {"experiment_id": ["x"], "week": [1], "arm": ["D"], "n": [0], "successes": [0]}
    )
    second = _cells(np.array([[50, 50]]), np.array([[5, 25]]), experiment="y")
    rates = period_weighted_rates(
        pd.concat([first, never, second]), ["experiment_id"], "week", "arm"
    )
    share = np.array([200, 1200]) / 1400
    assert rates[("x", "A")] == pytest.approx(share @ [0.1, 0.2])
    assert rates[("x", "B")] == pytest.approx(share @ [0.2, 0.3])
    assert rates[("x", "C")] == pytest.approx(0.4)  # week 1 alone
    assert np.isnan(rates[("x", "D")])
    assert rates[("y", "B")] == pytest.approx(0.5)  # another experiment's traffic is its own
