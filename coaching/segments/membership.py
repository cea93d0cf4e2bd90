"""Evaluate every segment of every organization over the worker features.

Each segment is evaluated only over its own organization's workers (tenant isolation holds inside
the computation too). A segment whose rule does not validate against the catalog, or fails to
evaluate, yields a marker row with the reason instead of members; the others go on.

Two engines, one meaning: `evaluate_segments_in_duckdb` runs each rule as a parameterized query
where the features live (the warehouse build), `evaluate_segments` runs the Arrow evaluator over
an in-memory table (the simulator's engine); tests hold them to the same answers.
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


MEMBERS_DDL = (
    "create or replace temp table {table} "
    "(segment_id varchar, organization_id varchar, worker_id varchar, problem varchar)"
)


def evaluate_segments_in_duckdb(
    con: Any, features: str, segments: Iterable[Mapping[str, Any]], table: str = "segment_members"
) -> str:
    """Fill temp table `table` with member and problem rows; `features` names a relation on `con`.

    `features` and `table` are names chosen by code, not by users; rule values are parameters.
    """
    con.execute(MEMBERS_DDL.format(table=table))
    insert_problem = f"insert into {table} values (?, ?, null, ?)"
    for segment in segments:
        organization_id = segment["organization_id"]
        rule, found = validate_rule(_document(segment["rule"]))
        if rule is None:
            reason = "; ".join(f"{p.path}: {p.reason}" for p in found)
            con.execute(insert_problem, [segment["id"], organization_id, reason])
            continue
        predicate, params = to_sql(rule)
        try:
            con.execute(
                f"insert into {table} select ?, organization_id, worker_id, null "
                f"from {features} where organization_id = ? and {predicate}",
                [segment["id"], organization_id, *params],
            )
        except Exception as exc:  # one broken segment must not stop the others
            con.execute(
                insert_problem, [segment["id"], organization_id, f"could not evaluate: {exc}"]
            )
    return table
