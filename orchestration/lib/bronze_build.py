"""Building bronze partitions from raw files: rules, references, dedupe, quarantine.

A partition is always rebuilt whole from the raw files that cover it, then written under a hidden
name and renamed over the previous version. So re-running a partition replaces it (never appends),
running it twice lands nothing twice, and a run that dies leaves the previous good partition.

Message events: one partition per UTC day of `occurred_at`; raw files name their day range, so a
day reads only the files that can hold it. Duplicate deliveries (the same `event_key`, from a
webhook retry or from the same event in two exports) collapse to the first one.

HR files: one partition per taken-in file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa

from coaching.lake import Lake, atomic_path
from data_contracts.contract import Contract
from data_contracts.quarantine import quarantine_select
from data_contracts.tables import LANDING_CONTRACTS, MESSAGE_EVENTS
from data_contracts.validate import checked_sql, dedupe_sql, ident
from orchestration.lib.duck import connect, parquet_list, register_worker_lookups
from orchestration.lib.intake import days_of
from orchestration.lib.ledger import Ledger

SOURCE_NAMES = pa.schema([("raw_name", pa.string()), ("landing_name", pa.string())])


@dataclass
class PartitionReport:
    table: str
    partition: str
    rows_in: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    duplicates_dropped: int = 0
    unchecked_references: tuple[str, ...] = ()
    path: str | None = None
    quarantine_path: str | None = None

    @property
    def quarantined_share(self) -> float:
        return self.rows_quarantined / self.rows_in if self.rows_in else 0.0


def register_source_names(con, lake: Lake) -> None:  # type: ignore[no-untyped-def]
    """Map raw file names back to the landing file each came from, for quarantine lineage."""
    names = {}
    for entry in Ledger(lake).entries:
        if entry.status == "accepted" and entry.raw_path:
            names[Path(entry.raw_path).name] = entry.name
            names[Path(entry.raw_path).stem] = entry.name
    con.register(
        "source_names",
        pa.table(
            {"raw_name": list(names), "landing_name": list(names.values())}, schema=SOURCE_NAMES
        ),
    )


def raw_event_files(lake: Lake, day: date) -> list[Path]:
    folder = lake.raw / "message_events"
    if not folder.exists():
        return []
    files = []
    for path in sorted(folder.glob("*.parquet")):
        if path.name.startswith("."):
            continue
        low, high = days_of(path.name)
        if low <= day <= high:
            files.append(path)
    return files


def event_days(lake: Lake) -> list[date]:
    """Every day some raw event file covers (what a full rebuild would touch)."""
    days: set[date] = set()
    folder = lake.raw / "message_events"
    for path in folder.glob("*.parquet") if folder.exists() else []:
        if not path.name.startswith("."):
            low, high = days_of(path.name)
            days.update(low + timedelta(days=i) for i in range((high - low).days + 1))
    return sorted(days)


def _record(contract: Contract) -> str:
    return (
        "to_json({"
        + ", ".join(f"'{c}': cast({ident(c)} as varchar)" for c in contract.names)
        + "})"
    )


def _write(con, sql: str, target: Path) -> int:  # type: ignore[no-untyped-def]
    """COPY a query to `target` atomically; returns rows written. An empty result removes target."""
    count = con.execute(f"select count(*) from ({sql})").fetchone()[0]
    if count == 0:
        target.unlink(missing_ok=True)
        return 0
    with atomic_path(target) as temporary:
        con.execute(f"copy ({sql}) to '{temporary}' (format parquet, compression zstd)")
    return count


def _build(
    lake: Lake, contract: Contract, source_sql: str, partition: str, bronze_target: Path,
    quarantine_target: Path, order: str, lookups: set[str], con,  # type: ignore[no-untyped-def]
) -> PartitionReport:  # fmt: skip
    report = PartitionReport(contract.table, partition)
    report.unchecked_references = tuple(
        sorted({r.lookup for r in contract.references if r.lookup not in lookups})
    )
    register_source_names(con, lake)
    named = (
        "select s.* replace (coalesce(n.landing_name, s._source_file) as _source_file) "
        f"from ({source_sql}) s left join source_names n on n.raw_name = s._source_file"
    )
    con.execute(f"create or replace temp table checked as {checked_sql(contract, named, lookups)}")
    report.rows_in = con.execute("select count(*) from checked").fetchone()[0]
    good = "select * exclude (_reason) from checked where _reason = ''"
    deduped = dedupe_sql(contract, good, order)
    columns = ", ".join(ident(c) for c in contract.names)
    landed_sql = f"select {columns}, _source_file, _source_line, _source_id, now()::timestamptz as _ingested_at from ({deduped})"
    report.rows_landed = _write(con, landed_sql, bronze_target)
    quarantine_sql = (
        f"select {quarantine_select(contract.table, '_reason', '_source_file', '_source_line', '_source_id', _record(contract))} "
        "from checked where _reason <> ''"
    )
    report.rows_quarantined = _write(con, quarantine_sql, quarantine_target)
    good_count = con.execute(f"select count(*) from ({good})").fetchone()[0]
    report.duplicates_dropped = good_count - report.rows_landed
    if report.rows_landed:
        report.path = str(bronze_target.relative_to(lake.root))
    if report.rows_quarantined:
        report.quarantine_path = str(quarantine_target.relative_to(lake.root))
    return report


def build_event_day(lake: Lake, day: date) -> PartitionReport:
    """Rebuild bronze (and its quarantine) for one UTC day of message events."""
    partition = day.isoformat()
    files = raw_event_files(lake, day)
    bronze_target = lake.bronze / "message_events" / f"event_date={partition}" / "part-0.parquet"
    quarantine_target = (
        lake.quarantine / "message_events" / "stage=bronze" / f"part={partition}" / "data.parquet"
    )
    con = connect()
    try:
        lookups = register_worker_lookups(con, lake)
        if not files:
            bronze_target.unlink(missing_ok=True)
            quarantine_target.unlink(missing_ok=True)
            return PartitionReport("message_events", partition)
        columns = {
            row[0]
            for row in con.execute(
                f"describe select * from read_parquet({parquet_list(files)}, union_by_name = true)"
            ).fetchall()
        }
        line = (
            "coalesce(_source_line, file_row_number + 1)"
            if "_source_line" in columns
            else "file_row_number + 1"
        )
        source_id = "_source_id" if "_source_id" in columns else "null"
        start = datetime.combine(day, time(0), UTC)
        select = ", ".join(ident(c) for c in MESSAGE_EVENTS.names)
        source_sql = (
            f"select {select}, regexp_extract(filename, '[^/]+$') as _source_file, "
            f"cast({line} as bigint) as _source_line, cast({source_id} as varchar) as _source_id "
            f"from read_parquet({parquet_list(files)}, union_by_name = true, filename = true, file_row_number = true) "
            f"where occurred_at >= '{start.isoformat()}'::timestamptz "
            f"and occurred_at < '{(start + timedelta(days=1)).isoformat()}'::timestamptz"
        )
        return _build(
            lake, MESSAGE_EVENTS, source_sql, partition, bronze_target, quarantine_target,
            "occurred_at, _source_file, _source_line", lookups, con,
        )  # fmt: skip
    finally:
        con.close()


def build_hr_file(lake: Lake, table: str, file_id: str) -> PartitionReport:
    """Rebuild the bronze partition of one taken-in HR file (roster or performance)."""
    contract = LANDING_CONTRACTS[table]
    raw = lake.raw / table / f"{file_id}.parquet"
    bronze_target = lake.bronze / table / f"source_file={file_id}" / "part-0.parquet"
    quarantine_target = (
        lake.quarantine / table / "stage=bronze" / f"part={file_id}" / "data.parquet"
    )
    con = connect()
    try:
        lookups = register_worker_lookups(con, lake)
        if not raw.exists():
            bronze_target.unlink(missing_ok=True)
            quarantine_target.unlink(missing_ok=True)
            return PartitionReport(table, file_id)
        select = ", ".join(ident(c) for c in contract.names)
        source_sql = (
            f"select {select}, '{file_id}' as _source_file, _source_line, "
            f"cast(null as varchar) as _source_id from read_parquet('{raw}')"
        )
        return _build(
            lake, contract, source_sql, file_id, bronze_target, quarantine_target,
            "_source_line", lookups, con,
        )  # fmt: skip
    finally:
        con.close()


def hr_files(lake: Lake, table: str) -> list[str]:
    folder = lake.raw / table
    if not folder.exists():
        return []
    return sorted(p.stem for p in folder.glob("*.parquet") if not p.name.startswith("."))
