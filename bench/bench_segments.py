"""Segment membership at scale: 1,000 segments over 1M workers, the way the build does it, against
the naive way of compiling each rule to literal SQL and fetching its members.

The build validates each rule against the catalog, evaluates each distinct condition once per
organization as a bitmap (coaching.segments.bitmaps), combines them per segment and writes
members as integer (segment, worker row) pairs into DuckDB; then, as the build's table, with the
ids joined back. The baseline compiles each rule to literal SQL and fetches its worker ids. All
must agree on every member count.

    python bench/bench_segments.py                           # 1,000 segments x 1M workers
    python bench/bench_segments.py --workers 100000 --segments 200
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from coaching.segments.membership import (
    evaluate_segments_in_duckdb,
    hits_from_duckdb,
    store_hits,
)
from coaching.segments.rules import Condition, Group, SegmentRule

TEAMS = [f"team_{i}" for i in range(12)]
ROLES = ["community_health_worker", "nurse", "midwife", "supervisor", "field_officer"]
REGIONS = [f"region_{i}" for i in range(8)]


def features(workers: int, rng: np.random.Generator) -> pa.Table:
    org = "00000000-0000-4000-8000-000000000001"
    return pa.table(
        {
            "worker_id": pa.array([f"w{i:07d}" for i in range(workers)]),
            "organization_id": pa.array([org] * workers),
            "team": pa.array(np.array(TEAMS)[rng.integers(0, len(TEAMS), workers)]),
            "job_role": pa.array(np.array(ROLES)[rng.integers(0, len(ROLES), workers)]),
            "region": pa.array(np.array(REGIONS)[rng.integers(0, len(REGIONS), workers)]),
            "tenure_days": pa.array(rng.exponential(700, workers).astype(np.int64)),
            "reply_rate_30d": pa.array(
                np.where(rng.random(workers) < 0.1, np.nan, rng.beta(2, 3, workers)),
                from_pandas=True,
            ),
            "quality_score": pa.array(rng.normal(70, 10, workers)),
        }
    )


def random_rule(rng: np.random.Generator) -> SegmentRule:
    pool = [
        lambda: Condition(
            feature="team", operator="in", value=list(rng.choice(TEAMS, 3, replace=False))
        ),
        lambda: Condition(feature="job_role", operator="eq", value=str(rng.choice(ROLES))),
        lambda: Condition(feature="region", operator="eq", value=str(rng.choice(REGIONS))),
        lambda: Condition(feature="tenure_days", operator="lt", value=int(rng.integers(30, 2000))),
        lambda: Condition(
            feature="reply_rate_30d",
            operator="between",
            value=sorted(rng.random(2).round(2).tolist()),
        ),
        lambda: Condition(
            feature="quality_score", operator="gte", value=float(rng.integers(60, 90))
        ),
    ]
    picks = rng.choice(len(pool), 3, replace=False)
    conditions = [pool[i]() for i in picks]
    if rng.random() < 0.3:  # some rules nest an OR group
        return SegmentRule(
            root=Group(
                combinator="and",
                rules=[conditions[0], Group(combinator="or", rules=conditions[1:])],
            )
        )
    return SegmentRule.all_of(*conditions)


def to_sql(node: Condition | Group) -> str:
    """The naive baseline: each rule compiled to its own WHERE clause."""
    if isinstance(node, Group):
        joiner = f" {node.combinator} "
        return "(" + joiner.join(to_sql(child) for child in node.rules) + ")"
    column, value = node.feature, node.value

    def lit(v: Any) -> str:
        return f"'{v}'" if isinstance(v, str) else str(v)

    match node.operator.value:
        case "in":
            return f"{column} in ({', '.join(lit(v) for v in value)})"  # type: ignore[union-attr]
        case "between":
            return f"({column} between {value[0]} and {value[1]})"  # type: ignore[index]
        case "eq":
            return f"{column} = {lit(value)}"
        case "lt":
            return f"{column} < {lit(value)}"
        case "gte":
            return f"{column} >= {lit(value)}"
    raise ValueError(node.operator)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1_000_000)
    parser.add_argument("--segments", type=int, default=1_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    table = features(args.workers, rng)
    rules = [random_rule(rng) for _ in range(args.segments)]
    segments = [
        {
            "id": f"s{i:04d}",
            "organization_id": table["organization_id"][0].as_py(),
            "rule": rule.to_json(),
        }
        for i, rule in enumerate(rules)
    ]

    con = duckdb.connect()
    con.register("source", table)
    con.execute("create table features as select * from source")
    con.unregister("source")

    started = time.perf_counter()
    hits = hits_from_duckdb(con, "features", segments)
    evaluated = time.perf_counter() - started
    store_hits(con, hits, segments, "members")
    compact = time.perf_counter() - started
    counts = dict(
        con.execute(
            "select s.segment_id, count(*) from members h join members_segments s "
            "using (segment_number) group by 1"
        ).fetchall()
    )
    total = sum(counts.values())
    del hits

    started = time.perf_counter()
    members_table = evaluate_segments_in_duckdb(con, "features", segments)
    with_ids = time.perf_counter() - started
    counts_with_ids = dict(
        con.execute(
            f"select segment_id, count(worker_id) from {members_table} group by 1"
        ).fetchall()
    )
    con.execute(f"drop table {members_table}")

    started = time.perf_counter()
    naive: dict[str, int] = {}
    for segment, rule in zip(segments, rules, strict=True):
        result = con.sql(
            f"select worker_id from features where {to_sql(rule.root)}"
        ).to_arrow_table()
        naive[segment["id"]] = result.num_rows
    baseline = time.perf_counter() - started

    agree = all(
        counts.get(s["id"], 0) == naive[s["id"]] == counts_with_ids.get(s["id"], 0)
        for s in segments
    )
    print(f"{args.segments} segments over {args.workers:,} workers: {total:,} memberships "
          f"({total / args.segments / args.workers:.1%} average share)")  # fmt: skip
    print(f"members as (segment, worker row) in DuckDB: {compact:7.2f} s  "
          f"(of which evaluation {evaluated:.2f} s)  {total / compact:>12,.0f} members/s")  # fmt: skip
    print(f"members with ids materialized (the build)  : {with_ids:7.2f} s  "
          f"{total / with_ids:>12,.0f} members/s")  # fmt: skip
    print(f"baseline (literal SQL per segment, fetched): {baseline:7.2f} s  "
          f"{total / baseline:>12,.0f} members/s")  # fmt: skip
    print(f"ratio  baseline / members: {baseline / compact:.1f}x faster; "
          f"baseline / the build with ids: {baseline / with_ids:.1f}x  "
          f"(results agree: {'yes' if agree else 'NO'})")  # fmt: skip


if __name__ == "__main__":
    main()
