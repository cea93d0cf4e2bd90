"""Anonymized benchmarks: how an organization's reply rate, completion and retention compare with
similar organizations (same type of worker, same size band), for its admins; every published pool
for the platform. Pools come from `organization_benchmarks`, which keeps no organization id and
only pools of at least `BENCHMARK_MIN_ORGANIZATIONS`.

(No `from __future__ import annotations`: FastAPI reads the models in the signatures.)
"""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Depends, Request

from api.deps import Principal, reader
from api.marts import marts_of
from api.problems import RESPONSES
from api.routes.auth import platform_operator
from api.routing import StoreRouter
from api.schemas.benchmarks import BenchmarkPools, OrganizationBenchmark
from coaching.benchmarks import UNMEASURED, WITHHELD, compare
from coaching.domain import ADMINS, BENCHMARK_METRICS, BENCHMARK_MIN_ORGANIZATIONS

router = StoreRouter(responses=RESPONSES)
POOL_ORDER = ("worker_type", "size_band")


@router.get(
    "/reads/benchmarks",
    response_model=OrganizationBenchmark,
    tags=["reads"],
    summary="The organization against similar organizations",
    description="Its reply rate (journey messages of the last 28 days answered within 24 hours), "
    "completion share and retention beside the quartiles of the organizations coaching the same "
    f"type of worker in the same size band. A pool of fewer than {BENCHMARK_MIN_ORGANIZATIONS} "
    "organizations is never shown (`withheld` says so); no other organization is named.",
)
def organization_benchmark(
    request: Request, principal: Annotated[Principal, reader(ADMINS, "benchmarks")]
) -> Any:
    marts = marts_of(request)
    own, published_at = marts.organization_row("organization_metrics", principal.organization_id)
    if own is None:
        return OrganizationBenchmark(
            worker_type=None, size_band=None, workers=None, similar_organizations=None,
            withheld=UNMEASURED, metrics=[], as_of_date=None, published_at=published_at,
        )  # fmt: skip
    pools, _ = marts.shared_rows("organization_benchmarks", POOL_ORDER)
    pool = next(
        (
            p
            for p in pools
            if (p["worker_type"], p["size_band"]) == (own["worker_type"], own["size_band"])
        ),
        None,
    )
    return OrganizationBenchmark(
        worker_type=own["worker_type"],
        size_band=own["size_band"],
        workers=own["workers"],
        similar_organizations=None if pool is None else pool["organizations"],
        withheld=WITHHELD if pool is None else None,
        metrics=[asdict(c) for c in compare(own, pool)],
        as_of_date=own["as_of_date"],
        published_at=published_at,
    )


@router.get(
    "/platform/benchmarks",
    response_model=BenchmarkPools,
    tags=["platform"],
    dependencies=[Depends(platform_operator)],
    summary="Every published benchmark pool",
    description="The quartiles of each pool of similar organizations; pools of fewer than "
    f"{BENCHMARK_MIN_ORGANIZATIONS} organizations are not published.",
)
def benchmark_pools(request: Request) -> Any:
    pools, published_at = marts_of(request).shared_rows("organization_benchmarks", POOL_ORDER)
    items = [
        {
            "worker_type": pool["worker_type"],
            "size_band": pool["size_band"],
            "organizations": pool["organizations"],
            "metrics": {
                metric: {s: pool[f"{metric}_{s}"] for s in ("p25", "median", "p75")}
                for metric in BENCHMARK_METRICS
            },
            "as_of_date": pool["as_of_date"],
        }
        for pool in pools
    ]
    return BenchmarkPools(
        items=items, minimum_organizations=BENCHMARK_MIN_ORGANIZATIONS, published_at=published_at
    )
