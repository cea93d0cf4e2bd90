"""Anonymized benchmarks: an organization against similar organizations, and the pools."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

Position = Literal["below_p25", "p25_to_median", "median_to_p75", "above_p75"]


class MetricComparison(BaseModel):
    metric: str = Field(description="reply_rate, completion_share or retention_share.")
    value: float | None = Field(description="The organization's own figure.")
    p25: float | None
    median: float | None
    p75: float | None
    difference_from_median: float | None = Field(description="The own value minus the median.")
    position: Position | None = Field(description="The quarter of the pool the value falls in.")


class OrganizationBenchmark(BaseModel):
    worker_type: str | None = Field(description="The job role most of its workers hold.")
    size_band: str | None = Field(description="1-99, 100-999, 1000-9999 or 10000+ workers.")
    workers: int | None
    similar_organizations: int | None = Field(
        description="How many organizations the pool holds (never fewer than the minimum)."
    )
    withheld: str | None = Field(description="Why there is no pool to compare with, if none.")
    metrics: list[MetricComparison]
    as_of_date: date | None
    published_at: datetime


class Quartiles(BaseModel):
    p25: float | None
    median: float | None
    p75: float | None


class BenchmarkPool(BaseModel):
    worker_type: str
    size_band: str
    organizations: int
    metrics: dict[str, Quartiles]
    as_of_date: date


class BenchmarkPools(BaseModel):
    items: list[BenchmarkPool]
    minimum_organizations: int
    published_at: datetime
