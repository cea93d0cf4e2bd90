"""The two segment engines (parameterized SQL in DuckDB, Arrow kernels) give the same members."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from coaching.segments.membership import evaluate_segments, evaluate_segments_in_duckdb

ORG, OTHER = "org-a", "org-b"


@pytest.fixture(scope="module")
def features() -> pa.Table:
    rng = np.random.default_rng(3)
    n = 2_000
    teams = np.array(["north", "south", "east", None], dtype=object)
    return pa.table(
        {
            "worker_id": [f"w{i}" for i in range(n)],
            "organization_id": [ORG if i % 3 else OTHER for i in range(n)],
            "team": pa.array(teams[rng.integers(0, 4, n)].tolist()),
            "region": pa.array(["Lagos O'Neil" if i % 5 == 0 else "Kano" for i in range(n)]),
            "tenure_days": pa.array(
                [None if i % 11 == 0 else int(v) for i, v in enumerate(rng.integers(0, 900, n))]
            ),
            "reply_rate_30d": pa.array(
                [None if i % 7 == 0 else float(v) for i, v in enumerate(rng.random(n))]
            ),
            "is_opted_out": pa.array((rng.random(n) < 0.1).tolist()),
        }
    )


def c(feature: str, operator: str, value=None) -> dict:
    node = {"type": "condition", "feature": feature, "operator": operator}
    return node if value is None else {**node, "value": value}


def g(combinator: str, *rules: dict) -> dict:
    return {"type": "group", "combinator": combinator, "rules": list(rules)}


RULES = {
    "eq": g("and", c("team", "eq", "north")),
    "neq_skips_nulls": g("and", c("team", "neq", "north")),
    "in": g("and", c("team", "in", ["north", "east"])),
    "not_in_skips_nulls": g("and", c("team", "not_in", ["north"])),
    "numbers": g("and", c("tenure_days", "gte", 100), c("tenure_days", "lt", 500)),
    "between": g("and", c("reply_rate_30d", "between", [0.2, 0.6])),
    "number_in": g("and", c("tenure_days", "in", [5, 10, 15, 20, 25])),
    "contains_a_quote": g("and", c("region", "contains", "O'Neil")),
    "is_null": g("and", c("team", "is_null")),
    "not_null_or": g("or", c("reply_rate_30d", "not_null"), c("team", "eq", "south")),
    "boolean": g("and", c("is_opted_out", "eq", True)),
    "nested": g(
        "and",
        c("region", "eq", "Kano"),
        g("or", c("team", "eq", "north"), c("tenure_days", "gt", 800)),
    ),
    "broken": g("and", c("shoe_size", "gt", 3)),
}


def segments() -> list[dict]:
    return [
        {"id": name, "organization_id": ORG, "rule": {"root": tree}} for name, tree in RULES.items()
    ]


def members(table: pa.Table) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {name: set() for name in RULES}
    for row in table.to_pylist():
        if row["worker_id"] is not None:
            out[row["segment_id"]].add(row["worker_id"])
    return out


def test_both_engines_agree_on_every_operator(features: pa.Table) -> None:
    con = duckdb.connect()
    con.register("features", features)
    table = evaluate_segments_in_duckdb(con, "features", segments())
    in_duckdb = con.sql(f"select * from {table}").to_arrow_table()
    in_arrow = evaluate_segments(features, segments())
    assert members(in_duckdb) == members(in_arrow)
    sizes = {name: len(found) for name, found in members(in_arrow).items()}
    assert all(sizes[name] > 0 for name in RULES if name != "broken"), sizes


def test_members_come_from_the_segments_organization_only(features: pa.Table) -> None:
    found = members(evaluate_segments(features, segments()))
    other = {
        w
        for w, o in zip(
            features["worker_id"].to_pylist(), features["organization_id"].to_pylist(), strict=True
        )
        if o == OTHER
    }
    assert not any(found[name] & other for name in RULES)


def test_a_broken_segment_is_a_problem_row_and_the_rest_go_on(features: pa.Table) -> None:
    con = duckdb.connect()
    con.register("features", features)
    table = evaluate_segments_in_duckdb(con, "features", segments())
    problems = con.sql(
        f"select segment_id, problem from {table} where problem is not null"
    ).fetchall()
    assert problems == [("broken", "root.rules[0].feature: unknown feature 'shoe_size'")]
