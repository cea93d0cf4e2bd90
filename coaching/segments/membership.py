"""Evaluate every segment of every organization over the worker features.

Each segment is evaluated only over its own organization's workers (tenant isolation holds inside
the computation too). A segment whose rule does not validate against the catalog, or fails to
evaluate, yields a marker row with the reason instead of members; the others go on.

Two engines, one meaning: `evaluate_segments_in_duckdb` runs each rule as a parameterized query
where the features live (the warehouse build), `evaluate_segments` runs the Arrow evaluator (the
one the simulator enrols workers with) over an in-memory table; tests hold them to the same
answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from coaching.segments.catalog import validate_rule
from coaching.segments.evaluate import evaluate_mask, numeric_as_float
from coaching.segments.sql import to_sql

RESULT_SCHEMA = pa.schema(
    [
        ("segment_id", pa.string()),
        ("organization_id", pa.string()),
        ("worker_id", pa.string()),
        ("problem", pa.string()),
    ]
)


def _document(rule: Any) -> Any:
    return json.loads(rule) if isinstance(rule, str) else rule


def evaluate_segments(features: pa.Table, segments: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Member rows (segment, organization, worker) plus one problem row per failed segment."""
    by_org: dict[str, list[Mapping[str, Any]]] = {}
    for segment in segments:
        by_org.setdefault(segment["organization_id"], []).append(segment)
    parts: list[pa.Table] = []
    problems: list[dict[str, Any]] = []
    for organization_id, org_segments in by_org.items():
        workers = features.filter(pc.equal(features["organization_id"], organization_id))
        columns = {name: numeric_as_float(workers[name]) for name in workers.column_names}
        for segment in org_segments:
            rule, found = validate_rule(_document(segment["rule"]))
            if rule is None:
                reason = "; ".join(f"{p.path}: {p.reason}" for p in found)
                problems.append(
                    {
                        "segment_id": segment["id"],
                        "organization_id": organization_id,
                        "problem": reason,
                    }
                )
                continue
            try:
                mask = evaluate_mask(rule, columns)
            except Exception as exc:  # one broken segment must not stop the others
                problems.append(
                    {
                        "segment_id": segment["id"],
                        "organization_id": organization_id,
                        "problem": f"could not evaluate: {exc}",
                    }
                )
                continue
            members = workers["worker_id"].filter(mask)
            count = len(members)
            parts.append(
                pa.table(
                    {
                        "segment_id": pa.repeat(pa.scalar(segment["id"], pa.string()), count),
                        "organization_id": pa.repeat(
                            pa.scalar(organization_id, pa.string()), count
                        ),
                        "worker_id": members.cast(pa.string()),
                        "problem": pa.nulls(count, pa.string()),
                    },
                    schema=RESULT_SCHEMA,
                )
            )
    if problems:
        parts.append(
            pa.Table.from_pylist([{**p, "worker_id": None} for p in problems], schema=RESULT_SCHEMA)
        )
    return pa.concat_tables(parts) if parts else RESULT_SCHEMA.empty_table()


BATCH = 50  # rules per statement


def evaluate_segments_in_duckdb(
    con: Any, features: str, segments: Iterable[Mapping[str, Any]], table: str = "segment_members"
) -> str:
    """Create temp table `table` of member and problem rows; `features` names a relation on `con`.

    Each rule runs as one parameterized query that writes (segment number, worker id) pairs: the
    narrowest rows to write, since a build writes tens of millions. Segment and organization ids
    join back once at the end. `features` and `table` are names chosen by code, never by users.
    """
    con.execute(
        "create or replace temp table _segment_list "
        "(segment_number integer, segment_id varchar, organization_id varchar, problem varchar)"
    )
    con.execute(
        "create or replace temp table _segment_hits (segment_number integer, worker_id varchar)"
    )
    batch: list[tuple[int, str, list[Any]]] = []  # (segment number, select, params)

    def flush() -> None:
        """Run a batch of rules as one statement (one scan plan instead of one per rule); if
        the batch fails, run its rules one by one so only the broken one is reported."""
        if not batch:
            return
        try:
            con.execute(
                "insert into _segment_hits " + " union all ".join(sql for _, sql, _ in batch),
                [p for _, _, params in batch for p in params],
            )
        except Exception:
            for number, sql, params in batch:
                try:
                    con.execute("insert into _segment_hits " + sql, params)
                except Exception as exc:  # one broken segment must not stop the others
                    con.execute(
                        "update _segment_list set problem = ? where segment_number = ?",
                        [f"could not evaluate: {exc}", number],
                    )
        batch.clear()

    for number, segment in enumerate(segments):
        organization_id = segment["organization_id"]
        rule, found = validate_rule(_document(segment["rule"]))
        problem = "; ".join(f"{p.path}: {p.reason}" for p in found) if rule is None else None
        con.execute(
            "insert into _segment_list values (?, ?, ?, ?)",
            [number, segment["id"], organization_id, problem],
        )
        if rule is not None:
            predicate, params = to_sql(rule)
            select = (
                f"select {number}::integer, worker_id from {features} "
                f"where organization_id = ? and {predicate}"
            )
            batch.append((number, select, [organization_id, *params]))
            if len(batch) >= BATCH:
                flush()
    flush()
    con.execute(
        f"create or replace temp table {table} as "
        "select s.segment_id, s.organization_id, h.worker_id, null::varchar as problem "
        "from _segment_hits h join _segment_list s using (segment_number) where s.problem is null "
        "union all "
        "select segment_id, organization_id, null, problem from _segment_list where problem is not null"
    )
    con.execute("drop table _segment_hits")
    con.execute("drop table _segment_list")
    return table
