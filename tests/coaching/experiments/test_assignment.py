import numpy as np
import pytest

from coaching.experiments.assignment import assign, bucket, buckets, choose


def test_bucket_is_stable_and_salted() -> None:
    assert bucket("salt", "worker-1") == bucket("salt", "worker-1")
    assert bucket("salt", "worker-1") != bucket("other", "worker-1")
    assert 0 <= bucket("salt", "worker-1") < 1


def test_assignment_follows_weights() -> None:
    ids = [f"w{i}" for i in range(20_000)]
    arms = assign("exp", ids, [0.2, 0.3, 0.5])
    shares = np.bincount(arms, minlength=3) / len(ids)
    assert np.allclose(shares, [0.2, 0.3, 0.5], atol=0.015)


def test_growing_a_new_arm_only_moves_units_into_it() -> None:
    values = buckets("exp", [f"w{i}" for i in range(5_000)])
    before = choose(values, [0.5, 0.5, 0.0])
    after = choose(values, [0.5, 0.4, 0.1])
    moved = before != after
    assert set(after[moved]) <= {2}


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_bad_weights_are_refused(weights: list[float]) -> None:
    with pytest.raises(ValueError, match="weights"):
        choose(np.array([0.5]), weights)
