"""Where an organization stands in its pool: quarters, differences, and what is withheld."""

from __future__ import annotations

import pytest

from coaching.benchmarks import compare, position

POOL = {
    "reply_rate_p25": 0.2,
    "reply_rate_median": 0.3,
    "reply_rate_p75": 0.4,
    "completion_share_p25": None,  # withheld: too few organizations had a value
    "completion_share_median": None,
    "completion_share_p75": None,
    "retention_share_p25": 0.5,
    "retention_share_median": 0.6,
    "retention_share_p75": 0.7,
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, "below_p25"),
        (0.2, "p25_to_median"),
        (0.3, "p25_to_median"),
        (0.35, "median_to_p75"),
        (0.4, "median_to_p75"),
        (0.41, "above_p75"),
        (None, None),
    ],
)
def test_a_value_falls_in_one_quarter_of_the_pool(value: float | None, expected: str) -> None:
    assert position(value, 0.2, 0.3, 0.4) == expected


def test_each_metric_is_compared_with_its_pool_unless_withheld() -> None:
    own = {"reply_rate": 0.25, "completion_share": 0.9, "retention_share": None}
    by_metric = {c.metric: c for c in compare(own, POOL)}
    assert list(by_metric) == ["reply_rate", "completion_share", "retention_share"]
    reply = by_metric["reply_rate"]
    assert (reply.median, reply.difference_from_median, reply.position) == (
        0.3,
        -0.05,
        "p25_to_median",
    )
    completion = by_metric["completion_share"]
    assert completion.value == 0.9 and completion.position is None
    assert completion.difference_from_median is None
    retention = by_metric["retention_share"]
    assert retention.median == 0.6 and retention.position is None


def test_without_a_pool_only_the_own_values_remain() -> None:
    comparisons = compare({"reply_rate": 0.5}, None)
    assert [c.value for c in comparisons] == [0.5, None, None]
    assert all(c.median is None and c.position is None for c in comparisons)
