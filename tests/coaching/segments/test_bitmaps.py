"""The bitmap engine gives, segment by segment, exactly the reference evaluator's members."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from coaching.segments.bitmaps import evaluate_hits
from coaching.segments.evaluate import evaluate
from coaching.segments.membership import evaluate_segments_in_duckdb, hits_from_duckdb, store_hits
from coaching.segments.rules import SegmentRule

ORGS = ["org-b", "org-a", "org-c"]  # not in sorted order, and rows interleaved below
TEAMS = ["north", "south", "east", "west", "O'Neil"]


def world(n: int, rng: np.random.Generator) -> pa.Table:
    teams = np.array([*TEAMS, None], dtype=object)

    def some_missing(values: np.ndarray, share: float) -> pa.Array:
        return pa.array([None if rng.random() < share else v.item() for v in values])

    return pa.table(
        {
            "worker_id": [f"w{i}" for i in range(n)],
            "organization_id": [ORGS[i % 3] if i % 7 else "org-a" for i in range(n)],
            "team": pa.array(teams[rng.integers(0, len(teams), n)].tolist()),
            "job_role": pa.array(rng.choice(["nurse", "midwife"], n).tolist()),
            "tenure_days": some_missing(rng.integers(0, 900, n), 0.1),
            "reply_rate_30d": pa.array(
                np.where(rng.random(n) < 0.1, np.nan, rng.random(n))
            ),  # NaN, not null: NumPy-born features
            "quality_score": some_missing(rng.normal(70, 10, n).round(1), 0.05),
            "is_opted_out": pa.array((rng.random(n) < 0.2).tolist()),
        }
    )


def condition(rng: np.random.Generator) -> dict:
    def c(feature: str, operator: str, value=None) -> dict:
        node = {"type": "condition", "feature": feature, "operator": operator}
        return node if value is None else {**node, "value": value}

    number = float(rng.integers(0, 900))
    pool = [
        lambda: c("team", "eq", str(rng.choice(TEAMS))),
        lambda: c("team", "neq", str(rng.choice(TEAMS))),
        lambda: c("team", "in", [str(t) for t in rng.choice(TEAMS, 3, replace=False)]),
        lambda: c("team", "not_in", [str(t) for t in rng.choice(TEAMS, 2, replace=False)]),
        lambda: c("team", "contains", "o"),
        lambda: c("team", "is_null"),
        lambda: c("job_role", "not_null"),
        lambda: c("tenure_days", str(rng.choice(["eq", "neq", "gt", "gte", "lt", "lte"])), number),
        lambda: c("tenure_days", "in", [number, number + 1, 5.0]),
        lambda: c("tenure_days", "not_in", [number, 5.0]),
        lambda: c("tenure_days", "is_null"),
        lambda: c("reply_rate_30d", "between", sorted(rng.random(2).round(2).tolist())),
        lambda: c("reply_rate_30d", "not_null"),
        lambda: c("quality_score", "gte", float(rng.integers(55, 85))),
        lambda: c("is_opted_out", str(rng.choice(["eq", "neq"])), bool(rng.random() < 0.5)),
    ]
    return pool[rng.integers(0, len(pool))]()


def rule(rng: np.random.Generator, depth: int = 0) -> dict:
    parts = [
        rule(rng, depth + 1) if depth < 2 and rng.random() < 0.25 else condition(rng)
        for _ in range(rng.integers(1, 4))
    ]
    return {"type": "group", "combinator": str(rng.choice(["and", "or"])), "rules": parts}


def all_of(*conditions: dict) -> dict:
    return {"root": {"type": "group", "combinator": "and", "rules": list(conditions)}}


def reference(features: pa.Table, segments: list[dict]) -> dict[str, set[str]]:
    """Each segment alone, through the per-rule evaluator, over its organization's rows."""
    out: dict[str, set[str]] = {}
    for segment in segments:
        mine = features.filter(
            pa.compute.equal(features["organization_id"], segment["organization_id"])
        )
        mask = evaluate(
            SegmentRule.model_validate(segment["rule"]), {n: mine[n] for n in mine.column_names}
        )
        out[segment["id"]] = set(np.array(mine["worker_id"].to_pylist(), dtype=object)[mask])
    return out


def found(hits, segments: list[dict]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {s["id"]: set() for s in segments}
    numbers = pa.compute.run_end_decode(hits.members["segment_number"]).to_pylist()
    workers = hits.workers["worker_id"].take(hits.members["position"]).to_pylist()
    for number, worker in zip(numbers, workers, strict=True):
        out[segments[number]["id"]].add(worker)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_rules_match_the_reference_evaluator(seed: int) -> None:
    rng = np.random.default_rng(seed)
    features = world(1_000 + seed * 37, rng)  # slices that are not whole 64-bit words
    segments = [
        {"id": f"s{i}", "organization_id": ORGS[i % 3], "rule": {"root": rule(rng)}}
        for i in range(120)
    ]
    hits = evaluate_hits(features, segments)
    assert hits.problems == {}
    expected = reference(features, segments)
    assert found(hits, segments) == expected
    assert sum(map(len, expected.values())) > 0


def test_the_same_set_listed_twice_and_a_shared_condition_agree() -> None:
    features = world(500, np.random.default_rng(5))
    a = {"type": "condition", "feature": "team", "operator": "in", "value": ["north", "east"]}
    b = {**a, "value": ["east", "north"]}
    segments = [
        {"id": "a", "organization_id": "org-a", "rule": all_of(a)},
        {"id": "b", "organization_id": "org-a", "rule": all_of(b)},
        {"id": "other", "organization_id": "org-b", "rule": all_of(a)},
    ]
    members = found(evaluate_hits(features, segments), segments)
    assert members == reference(features, segments)
    assert members["a"] == members["b"] and members["a"]
    assert not members["a"] & members["other"]  # another organization's workers stay out


def test_failures_are_problems_for_their_segments_alone() -> None:
    features = world(300, np.random.default_rng(6)).drop_columns(["quality_score"])
    ok = {"type": "condition", "feature": "team", "operator": "eq", "value": "north"}
    missing = {"type": "condition", "feature": "quality_score", "operator": "gt", "value": 3}
    segments = [
        {"id": "ok", "organization_id": "org-a", "rule": all_of(ok)},
        {"id": "no column", "organization_id": "org-a", "rule": all_of(missing)},
        {"id": "invalid", "organization_id": "org-a", "rule": all_of({**ok, "feature": "shoe"})},
        {"id": "no workers", "organization_id": "org-z", "rule": all_of(ok)},
        {
            "id": "as text",
            "organization_id": "org-a",
            "rule": json.dumps(all_of(ok)),
        },
    ]
    hits = evaluate_hits(features, segments)
    assert set(hits.problems) == {1, 2}
    assert hits.problems[1] == "could not evaluate: \"unknown feature 'quality_score'\""
    assert hits.problems[2].startswith("root.rules[0].feature: unknown feature 'shoe'")
    members = found(hits, segments)
    assert members["ok"] == members["as text"] and members["ok"]
    assert members["no workers"] == set()


def test_no_workers_or_no_segments() -> None:
    empty = world(0, np.random.default_rng(7))
    segment = {
        "id": "s",
        "organization_id": "org-a",
        "rule": all_of(condition(np.random.default_rng(1))),
    }
    assert evaluate_hits(empty, [segment]).members.num_rows == 0
    assert evaluate_hits(world(50, np.random.default_rng(7)), []).members.num_rows == 0


def test_duckdb_ends_keep_members_as_integers_or_with_ids() -> None:
    rng = np.random.default_rng(8)
    features = world(2_000, rng)
    segments = [
        {"id": f"s{i}", "organization_id": ORGS[i % 3], "rule": {"root": rule(rng)}}
        for i in range(30)
    ]
    con = duckdb.connect()
    con.register("features", features)
    name = store_hits(con, hits_from_duckdb(con, "features", segments), segments, "compact")
    compact = con.sql(
        f"select s.segment_id, w.worker_id from {name} h join {name}_segments s using (segment_number) "
        f"join {name}_workers w using (position)"
    ).fetchall()
    with_ids = con.sql(
        f"select segment_id, worker_id from {evaluate_segments_in_duckdb(con, 'features', segments)} "
        "where problem is null"
    ).fetchall()
    expected = {(s, w) for s, members in reference(features, segments).items() for w in members}
    assert set(compact) == set(with_ids) == expected
    assert len(compact) == len(with_ids) == len(expected)  # no member twice
