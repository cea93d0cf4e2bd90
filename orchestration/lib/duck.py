"""DuckDB connections for ingestion: in-memory, bounded, with lookups over bronze registered."""

from __future__ import annotations

from pathlib import Path

import duckdb

from coaching.duckdb_limits import DuckDBLimits
from coaching.lake import Lake

# DuckDB 2.0 keeps a result open until it is fetched to the end (`fetchone` does not), and an open
# result blocks the next statement on the connection: always fetch with `fetchall`.


def connect(limits: DuckDBLimits | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection bounded by `limits` (the lake's, from settings), spilling to
    its temp directory rather than running out of memory."""
    con = duckdb.connect(config=(limits or DuckDBLimits()).config())
    con.execute("set timezone = 'UTC'")
    return con


def parquet_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def register_worker_lookups(con: duckdb.DuckDBPyConnection, lake: Lake) -> set[str]:
    """Views of every worker ever landed: by id, by phone and by HR id within an organization.

    Deleted workers stay in the lookups on purpose: an event about a worker deleted later still
    refers to a real worker.
    """
    files = lake.files("bronze", "workers")
    if not files:
        return set()
    # Tables, not views: a run checks many partitions against them, each read would scan every
    # worker file again.
    workers = f"read_parquet({parquet_list(files)}, union_by_name = true)"
    con.execute(f"create or replace temp table worker_ids as select distinct id from {workers}")
    con.execute(
        "create or replace temp table worker_phones as "
        f"select distinct organization_id, phone_e164 from {workers}"
    )
    con.execute(
        "create or replace temp table worker_external_ids as select distinct organization_id, "
        f"external_id from {workers} where external_id is not null"
    )
    return {"worker_ids", "worker_phones", "worker_external_ids"}


def organization_slugs(lake: Lake) -> dict[str, str]:
    files = lake.files("bronze", "organizations")
    if not files:
        return {}
    con = connect(lake.duckdb)
    rows = con.execute(
        f"select slug, id from read_parquet({parquet_list(files)}, union_by_name = true) "
        "qualify row_number() over (partition by id order by updated_at desc) = 1"
    ).fetchall()
    con.close()
    return dict(rows)
