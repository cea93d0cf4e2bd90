"""Moving rows from the operational store to the lake, incrementally.

Operational tables go to bronze as a change log: each run takes the rows whose `updated_at` passed
the table's watermark (the newest `updated_at` already in the lake, minus a lookback for
transactions that committed late), drops the (id, updated_at) pairs the lake already holds, checks
the rest against the contract and appends them as one file. A soft-deleted row arrives as a change
with `deleted_at` set. The watermark lives in the data itself, so there is no state to lose or to
disagree with the files.

Message events are append-only: each run copies the rows past the highest id already in
`raw/message_events/` as one raw file, named by its id range; bronze day partitions are then built
from the raw files (`bronze_build.build_event_days`).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Engine, select

from coaching.lake import Lake
from coaching.store.tables import Base
from data_contracts.contract import Contract
from data_contracts.quarantine import quarantine_select
from data_contracts.tables import MESSAGE_EVENTS
from data_contracts.validate import checked_sql
from orchestration.lib.duck import connect, parquet_list
from orchestration.lib.intake import raw_event_name
from orchestration.lib.store_columns import Decode, as_arrow, decoders, raw

LOOKBACK = timedelta(minutes=10)
CHUNK = 50_000


@dataclass
class ExtractReport:
    table: str
    rows_in: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    duplicates_dropped: int = 0
    watermark_before: str | None = None
    watermark_after: str | None = None
    files: tuple[str, ...] = ()


def _to_arrow(
    rows: Sequence[Sequence[Any]],
    names: Sequence[str],
    contract: Contract,
    decode: Mapping[str, Decode] | None = None,
) -> pa.Table:
    """Store rows (tuples in the order of `names`, raw as `store_columns.raw` selects them and
    read through `decode`) as the contract's Arrow table, column by column: JSON values
    re-encoded canonically, decimals as floats, absent columns null.

    Column-wise because a loop over rows and then columns was a third of extracting a million
    workers."""
    count = len(rows)
    position = {name: i for i, name in enumerate(names)}
    arrays = {}
    for column in contract.columns:
        at = position.get(column.name)
        values: Any = [None] * count if at is None else [row[at] for row in rows]
        if decode is not None and column.name in decode:
            values = decode[column.name](values)
        if column.is_json:
            values = [None if v is None else json.dumps(v, sort_keys=True) for v in values]
        elif (
            pa.types.is_floating(column.arrow_type)
            and isinstance(values, list)
            and any(isinstance(v, Decimal) for v in values)
        ):  # PostgreSQL's numeric
            values = [float(v) if isinstance(v, Decimal) else v for v in values]
        arrays[column.name] = as_arrow(values, column.arrow_type)
    return pa.table(arrays)


QUARANTINED_UPDATED_AT = "try_cast(json_extract_string(record, '$.updated_at') as timestamptz)"


def watermark(lake: Lake, table: str) -> datetime | None:
    """The newest `updated_at` the lake holds for a table, landed or quarantined."""
    con = connect(lake.duckdb)
    values = []
    bronze = lake.files("bronze", table)
    if bronze:
        query = f"select max(updated_at) from read_parquet({parquet_list(bronze)}, union_by_name = true)"
        values.append(con.execute(query).fetchall()[0][0])
    quarantined = lake.files("quarantine", table)
    if quarantined:
        query = (
            f"select max({QUARANTINED_UPDATED_AT}) "
            f"from read_parquet({parquet_list(quarantined)}, union_by_name = true)"
        )
        values.append(con.execute(query).fetchall()[0][0])
    con.close()
    found = [v for v in values if v is not None]
    return max(found).astimezone(UTC) if found else None


def _known_changes(con: Any, lake: Lake, table: str, since: datetime | None) -> None:
    """(id, updated_at) pairs the lake already holds from `since` on, landed or quarantined."""
    con.execute("create temp table known (id varchar, updated_at timestamptz)")
    if since is None:
        return
    bronze = lake.files("bronze", table)
    if bronze:
        con.execute(
            "insert into known select id, updated_at from "
            f"read_parquet({parquet_list(bronze)}, union_by_name = true) where updated_at >= ?",
            [since],
        )
    quarantined = lake.files("quarantine", table)
    if quarantined:
        con.execute(
            f"insert into known select source_id, {QUARANTINED_UPDATED_AT} from "
            f"read_parquet({parquet_list(quarantined)}, union_by_name = true) "
            f"where {QUARANTINED_UPDATED_AT} >= ?",
            [since],
        )


class _PendingFile:
    """A Parquet file written under a hidden name and published by rename only if non-empty."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.temporary = target.parent / f".{target.name}.tmp"
        self.writer: pq.ParquetWriter | None = None

    def write(self, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        if self.writer is None:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.temporary, rows.schema, compression="zstd")
        self.writer.write_table(rows)

    def publish(self, target: Path | None = None) -> bool:
        """Rename into place (under `target` when the name is only known at the end)."""
        if self.writer is None:
            return False
        self.writer.close()
        if target is not None:
            self.target = target
        os.replace(self.temporary, self.target)
        return True

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.temporary.unlink(missing_ok=True)


# A partition no ingest writes to: it holds the contract's schema and no rows.
SCHEMA_PARTITION = "ingested_on=0001-01-01"


def ensure_contract_schema(lake: Lake, contract: Contract) -> None:
    """Keep a zero-row file with the contract's columns in the table's bronze folder.

    A migration that adds a column changes no `updated_at`, so no batch after it need carry the
    column, and a reader of the bronze files would not see it. With this file every column of the
    contract is always there; rows written before it existed read as null, and staging gives the
    column's default."""
    target = lake.table("bronze", contract.table) / SCHEMA_PARTITION / "contract-schema.parquet"
    schema = _to_arrow([], [], contract).schema
    if target.exists() and pq.read_schema(target).equals(schema):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.parent / f".{target.name}.tmp"
    pq.write_table(schema.empty_table(), temporary)
    os.replace(temporary, target)


def extract_operational(
    engine: Engine, lake: Lake, contract: Contract, now: datetime | None = None
) -> ExtractReport:
    """Append the store rows of one table changed since the lake's watermark."""
    ensure_contract_schema(lake, contract)
    report = ExtractReport(contract.table)
    table = Base.metadata.tables[contract.table]
    high = watermark(lake, contract.table)
    report.watermark_before = high.isoformat() if high else None
    columns = [table.c[name] for name in contract.names if name in table.c]
    decode = decoders(columns, engine.dialect)
    statement = select(*raw(columns))
    if "organization_id" not in table.c:  # organizations: the tenant is the row itself
        statement = statement.add_columns(table.c.id.label("organization_id"))
    if high is not None:
        statement = statement.where(table.c.updated_at > high - LOOKBACK)
    statement = statement.order_by(table.c.updated_at, table.c.id)

    con = connect(lake.duckdb)
    _known_changes(con, lake, contract.table, high - LOOKBACK if high else None)
    stamp = now or datetime.now(UTC)
    partition = f"ingested_on={stamp.date().isoformat()}"
    name = f"batch-{stamp.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}.parquet"
    good = _PendingFile(lake.table("bronze", contract.table) / partition / name)
    bad = _PendingFile(
        lake.table("quarantine", contract.table) / "stage=bronze" / f"part={partition}" / name
    )
    record = (
        "to_json({" + ", ".join(f"'{n}': cast(\"{n}\" as varchar)" for n in contract.names) + "})"
    )
    newest: datetime | None = high
    try:
        with engine.connect() as connection:
            result = connection.execution_options(yield_per=CHUNK).execute(statement)
            names = list(result.keys())
            for rows in result.partitions():
                batch = _to_arrow(rows, names, contract, decode)
                report.rows_in += batch.num_rows
                con.register("batch", batch)
                con.execute(
                    "create or replace temp table fresh as select b.* from batch b "
                    "anti join known k on b.id = k.id and b.updated_at = k.updated_at"
                )
                con.execute(
                    "create or replace temp table checked as "
                    + checked_sql(contract, "select * from fresh", set())
                )
                rejected = con.sql(
                    f"select {quarantine_select(contract.table, '_reason', 'null', 'null', 'id', record)} "
                    "from checked where _reason <> ''"
                ).to_arrow_table()
                landed_rows = con.sql(
                    "select * exclude (_reason) from checked where _reason = ''"
                ).to_arrow_table()
                good.write(landed_rows)
                bad.write(rejected)
                fresh_count = con.execute("select count(*) from fresh").fetchall()[0][0]
                report.duplicates_dropped += batch.num_rows - fresh_count
                report.rows_landed += landed_rows.num_rows
                report.rows_quarantined += rejected.num_rows
                last = batch.column("updated_at")[-1].as_py()
                newest = max(newest, last) if newest else last
        published = [f.target for f in (good, bad) if f.publish()]
    except BaseException:
        good.discard()
        bad.discard()
        raise
    finally:
        con.close()
    report.files = tuple(str(path.relative_to(lake.root)) for path in published)
    report.watermark_after = newest.isoformat() if newest else None
    return report


def store_events_watermark(lake: Lake) -> int:
    """Highest store id already copied: raw store files are named <days>_store-<low>-<high>."""
    highest = 0
    folder = lake.raw / "message_events"
    if folder.exists():
        for path in folder.glob("*_store-*.parquet"):
            highest = max(highest, int(path.stem.rsplit("-", 1)[1]))
    return highest


def _utc_days(moments: pa.ChunkedArray) -> pa.ChunkedArray:
    """The UTC calendar day of each moment (the contract's timestamps are UTC)."""
    return pc.cast(moments.cast(pa.timestamp("us", "UTC")).cast(pa.timestamp("us")), pa.date32())


def extract_store_events(engine: Engine, lake: Lake, limit: int = 1_000_000) -> ExtractReport:
    """Copy message events past the id watermark into one raw file (at most `limit` rows a run)."""
    report = ExtractReport("message_events")
    table = Base.metadata.tables["message_events"]
    low = store_events_watermark(lake)
    report.watermark_before = str(low)
    columns = [table.c[n] for n in MESSAGE_EVENTS.names if n in table.c]
    decode = decoders(columns, engine.dialect)
    statement = (
        select(table.c.id, *raw(columns)).where(table.c.id > low).order_by(table.c.id).limit(limit)
    )
    folder = lake.raw / "message_events"
    pending = _PendingFile(folder / f"store-{secrets.token_hex(4)}.parquet")
    first = last = None
    day_low: date | None = None
    day_high: date | None = None
    try:
        with engine.connect() as connection:
            result = connection.execution_options(yield_per=CHUNK).execute(statement)
            names = list(result.keys())
            ids = names.index("id")
            for rows in result.partitions():
                batch = _to_arrow(rows, names, MESSAGE_EVENTS, decode).append_column(
                    "_source_id", pa.array([str(r[ids]) for r in rows], pa.string())
                )
                first = first or rows[0][ids]
                last = rows[-1][ids]
                days = pc.min_max(_utc_days(batch.column("occurred_at")))
                low_day, high_day = days["min"].as_py(), days["max"].as_py()
                day_low = min(low_day, day_low) if day_low else low_day
                day_high = max(high_day, day_high) if day_high else high_day
                pending.write(batch)
                report.rows_in += batch.num_rows
        if day_low and day_high:
            # Named by its day range and id range: the next run's watermark, and what the
            # partition sensor and day builds look for.
            target = folder / raw_event_name(day_low, day_high, f"store-{first}-{last}")
            pending.publish(target)
            report.files = (str(target.relative_to(lake.root)),)
            report.rows_landed = report.rows_in
    except BaseException:
        pending.discard()
        raise
    report.watermark_after = str(last or low)
    return report
