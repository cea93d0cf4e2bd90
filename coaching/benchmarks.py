"""Where an organization stands against similar organizations: its value of each benchmark
metric beside the quartiles of its pool, as the admin API reads them.

Pure: the rows come from the published `organization_metrics` (the organization's own) and
`organization_benchmarks` (its pool, or none when fewer than the minimum share its type and
size band).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from coaching.domain import BENCHMARK_METRICS, BENCHMARK_MIN_ORGANIZATIONS

Position = Literal["below_p25", "p25_to_median", "median_to_p75", "above_p75"]
WITHHELD = (
    f"fewer than {BENCHMARK_MIN_ORGANIZATIONS} similar organizations (same type of worker, "
    "same size band): no benchmark is shown for a pool so small it would reveal its members"
)
UNMEASURED = "the organization has no current workers to measure yet"


@dataclass(frozen=True)
class MetricComparison:
    metric: str
    value: float | None
    p25: float | None
    median: float | None
    p75: float | None
    difference_from_median: float | None
    position: Position | None


def position(value: float | None, p25: float, median: float, p75: float) -> Position | None:
    """The quarter of the pool the value falls in: only a value under the first quartile is
    below it, and one on the median or the third quartile is not above them."""
    if value is None:
        return None
    if value < p25:
        return "below_p25"
    if value <= median:
        return "p25_to_median"
    return "median_to_p75" if value <= p75 else "above_p75"


def compare(own: Mapping[str, Any], pool: Mapping[str, Any] | None) -> list[MetricComparison]:
    """Each metric's own value against the pool's quartiles (all null without a pool, or when
    the pool withholds that metric because too few of its organizations have a value)."""
    comparisons = []
    for metric in BENCHMARK_METRICS:
        value = own.get(metric)
        p25, median, p75 = (
            (pool.get(f"{metric}_{s}") for s in ("p25", "median", "p75"))
            if pool is not None
            else (None, None, None)
        )
        known = None not in (p25, median, p75)
        comparisons.append(
            MetricComparison(
                metric=metric,
                value=value,
                p25=p25,
                median=median,
                p75=p75,
                difference_from_median=round(value - median, 4)
                if known and value is not None
                else None,
                position=position(value, p25, median, p75) if known else None,
            )
        )
    return comparisons
