"""Evaluate every segment of every organization over the worker features.

Each segment is evaluated only over its own organization's workers (tenant isolation holds inside
the computation too). A segment whose rule does not validate against the catalog, or fails to
evaluate, yields a marker row with the reason instead of members; the others go on.

One engine (`coaching.segments.bitmaps`: each distinct condition once, as a bitmap), two ends:
`evaluate_segments` answers an Arrow table (the simulator's, and tests'), and
`evaluate_segments_in_duckdb` reads the features from a relation and leaves the members in a temp
table (the warehouse build). `store_hits` keeps members as integer pairs in DuckDB, for readers
that join ids back only for the members they read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from coaching.segments.bitmaps import Hits, check_segments, evaluate_hits

RESULT_SCHEMA = pa.schema(
    [
        ("segment_id", pa.string()),
        ("organization_id", pa.string()),
        ("worker_id", pa.string()),
        ("problem", pa.string()),
    ]
)


def _problem_rows(hits: Hits, segments: Sequence[Mapping[str, Any]]) -> pa.Table:
    failed = sorted(hits.problems)
    return pa.table(
        {
            "segment_id": pa.array([segments[n]["id"] for n in failed], pa.string()),
            "organization_id": pa.array(
                [segments[n]["organization_id"] for n in failed], pa.string()
            ),
            "worker_id": pa.nulls(len(failed), pa.string()),
            "problem": pa.array([hits.problems[n] for n in failed], pa.string()),
        },
        schema=RESULT_SCHEMA,
    )


def evaluate_segments(features: pa.Table, segments: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Member rows (segment, organization, worker) plus one problem row per failed segment."""
    segments = list(segments)
    hits = evaluate_hits(features, segments)
    numbers = pc.run_end_decode(hits.members["segment_number"])
    positions = hits.members["position"]
    members = pa.table(
        {
            "segment_id": pa.array([s["id"] for s in segments], pa.string()).take(numbers),
            "organization_id": hits.workers["organization_id"].take(positions),
            "worker_id": hits.workers["worker_id"].take(positions),
            "problem": pa.nulls(len(positions), pa.string()),
        },
    ).cast(RESULT_SCHEMA)
    return pa.concat_tables([members, _problem_rows(hits, segments)])


def hits_from_duckdb(con: Any, features: str, segments: Sequence[Mapping[str, Any]]) -> Hits:
    """Evaluate over relation `features` on `con`, reading only the columns the rules name.

    Column names are the relation's own (a rule's text only selects among them), and `features`
    is a name chosen by code, never by users.
    """
    present = con.sql(f"select * from {features} limit 0").columns
    checked = check_segments(segments)
    named = checked.features()
    wanted = [
        "organization_id",
        "worker_id",
        *sorted(named & set(present) - {"organization_id", "worker_id"}),
    ]
    quoted = ", ".join('"' + name.replace('"', '""') + '"' for name in wanted)
    table = con.sql(f"select {quoted} from {features}").to_arrow_table()
    return evaluate_hits(table, segments, checked)


@contextmanager
def _registered(con: Any, tables: Mapping[str, pa.Table]) -> Iterator[None]:
    for name, table in tables.items():
        con.register(name, table)
    try:
        yield
    finally:
        for name in tables:
            con.unregister(name)


def store_hits(
    con: Any, hits: Hits, segments: Sequence[Mapping[str, Any]], name: str = "segment_hits"
) -> str:
    """Members kept as integers: temp tables `name` (segment_number, position), `name`_workers
    (position, organization_id, worker_id) and `name`_segments (segment_number, segment_id,
    organization_id, problem), for readers that join ids only for the members they read."""
    workers = hits.workers.append_column(
        "position", pa.array(np.arange(hits.workers.num_rows, dtype=np.int64))
    ).select(["position", "organization_id", "worker_id"])
    segment_list = pa.table(
        {
            "segment_number": pa.array(range(len(segments)), pa.int32()),
            "segment_id": pa.array([s["id"] for s in segments], pa.string()),
            "organization_id": pa.array([s["organization_id"] for s in segments], pa.string()),
            "problem": pa.array([hits.problems.get(n) for n in range(len(segments))], pa.string()),
        }
    )
    tables = {"": hits.members, "_workers": workers, "_segments": segment_list}
    with _registered(con, {f"_{name}{suffix}_arrow": t for suffix, t in tables.items()}):
        for suffix in tables:
            con.execute(
                f"create or replace temp table {name}{suffix} as select * from _{name}{suffix}_arrow"
            )
    return name


def evaluate_segments_in_duckdb(
    con: Any, features: str, segments: Iterable[Mapping[str, Any]], table: str = "segment_members"
) -> str:
    """Create temp table `table` of member and problem rows; `features` names a relation on `con`.

    Members are computed as integer pairs and their ids joined back once, in DuckDB.
    `features` and `table` are names chosen by code, never by users.
    """
    segments = list(segments)
    hits = store_hits(con, hits_from_duckdb(con, features, segments), segments, "_segment_hits")
    con.execute(
        f"create or replace temp table {table} as "
        "select s.segment_id, s.organization_id, w.worker_id, null::varchar as problem "
        f"from {hits} h join {hits}_segments s using (segment_number) "
        f"join {hits}_workers w using (position)"
    )
    # A second statement, not a UNION ALL: DuckDB keeps a union's order by writing it on one
    # thread, three times slower at tens of millions of rows.
    con.execute(
        f"insert into {table} select segment_id, organization_id, null, problem "
        f"from {hits}_segments where problem is not null"
    )
    for suffix in ("", "_workers", "_segments"):
        con.execute(f"drop table {hits}{suffix}")
    return table
