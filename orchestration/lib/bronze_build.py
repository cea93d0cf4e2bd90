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

import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from coaching.lake import Lake
from data_contracts.contract import Contract
from data_contracts.quarantine import quarantine_select
from data_contracts.tables import LANDING_CONTRACTS, MESSAGE_EVENTS
from data_contracts.validate import checked_sql, ident
from orchestration.lib.built import BuiltRecord
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


RawFile = tuple[Path, date, date]  # a raw event file and the first and last day it holds


def raw_event_index(lake: Lake) -> list[RawFile]:
    """Every raw event file with its day range, read from the names (one listing)."""
    return [(path, *days_of(path.name)) for path in lake.files("raw", "message_events")]


def raw_event_files(index: list[RawFile], days: list[date]) -> list[Path]:
    """The raw files that can hold rows of any of `days`."""
    return sorted({path for path, low, high in index if any(low <= day <= high for day in days)})


def event_day_sources(index: list[RawFile]) -> dict[str, list[str]]:
    """Each day some raw event file covers, with the names of the files covering it."""
    sources: dict[str, list[str]] = {}
    for path, low, high in index:
        for i in range((high - low).days + 1):
            sources.setdefault((low + timedelta(days=i)).isoformat(), []).append(path.name)
    return sources


def contiguous(days: list[date]) -> list[tuple[date, date]]:
    """`days` as runs of consecutive days (first, last): one partition range per run."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def event_days(lake: Lake) -> list[date]:
    """Every day some raw event file covers (what a full rebuild touches)."""
    return sorted(date.fromisoformat(d) for d in event_day_sources(raw_event_index(lake)))


def stale_event_days(lake: Lake) -> list[date]:
    """The days whose raw files changed since their last build (what an incremental run
    touches): days a new file covers, and days whose files are gone."""
    stale = BuiltRecord(lake, "message_events").stale(event_day_sources(raw_event_index(lake)))
    return [date.fromisoformat(d) for d in stale]


def _record(contract: Contract) -> str:
    return (
        "to_json({"
        + ", ".join(f"'{c}': cast({ident(c)} as varchar)" for c in contract.names)
        + "})"
    )


def _publish_partitions(
    con,
    sql: str,
    staging: Path,
    targets: dict[str, Path],  # type: ignore[no-untyped-def]
) -> dict[str, int]:
    """COPY `sql` (with a `_partition` column) into a hidden staging folder, one file per partition,
    then rename each over its target. Partitions with no rows lose their previous file.

    Each rename is atomic, so a reader or a crash sees every partition either old or new; a run
    that dies before the renames leaves all of them as they were.
    """
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"copy ({sql}) to '{staging}' (format parquet, compression zstd, partition_by (_partition))"
    )
    written: dict[str, int] = {}
    try:
        for partition, target in targets.items():
            folder = staging / f"_partition={partition}"
            files = sorted(folder.glob("*.parquet")) if folder.exists() else []
            if not files:
                target.unlink(missing_ok=True)
                written[partition] = 0
                continue
            if len(files) > 1:  # DuckDB may split a large partition; publish it as one file
                merged = folder / "merged.parquet"
                con.execute(
                    f"copy (select * from read_parquet({parquet_list(files)})) to '{merged}' "
                    "(format parquet, compression zstd)"
                )
                files = [merged]
            target.parent.mkdir(parents=True, exist_ok=True)
            written[partition] = pq.ParquetFile(files[0]).metadata.num_rows
            os.replace(files[0], target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def _build(
    con, lake: Lake, contract: Contract, source_sql: str, partitions: dict[str, tuple[Path, Path]],
    order: str, lookups: set[str],  # type: ignore[no-untyped-def]
) -> list[PartitionReport]:  # fmt: skip
    """Check, dedupe (within a partition) and publish bronze and quarantine per `_partition`."""
    unchecked = tuple(sorted({r.lookup for r in contract.references if r.lookup not in lookups}))
    con.execute(
        f"create or replace temp table checked as {checked_sql(contract, source_sql, lookups)}"
    )
    # Duplicates are rare: find the keys that occur twice first (a hash aggregate), and order
    # only those rows, instead of a window over every row. A later copy identical to the first
    # (but for its delivery columns) is dropped; one that differs is a conflict nobody may
    # settle silently, so it goes to quarantine with the reason, and the first copy lands.
    key = ", ".join(ident(k) for k in contract.key)
    prefixed_key = ", ".join(f"c.{ident(k)}" for k in contract.key)
    prefixed_order = ", ".join(f"c.{term.strip()}" for term in order.split(","))
    content = ", ".join(
        f"c.{ident(name)}" for name in contract.names if name not in contract.delivery_columns
    )
    window = f"(partition by c._partition, {prefixed_key} order by {prefixed_order})"
    con.execute(
        "create or replace temp table losers as "
        f"with duplicated as (select _partition, {key} from checked where _reason = '' "
        "group by all having count(*) > 1) "
        "select rid, fingerprint is distinct from first_fingerprint as conflicting from ("
        f"select c.rowid as rid, row_number() over {window} as rn, hash({content}) as fingerprint, "
        f"first_value(hash({content})) over {window} as first_fingerprint "
        f"from checked c semi join duplicated using (_partition, {key}) where c._reason = '') "
        "where rn > 1"
    )
    conflict = "duplicate_key:" + "+".join(contract.key)
    con.execute(
        f"update checked set _reason = '{conflict}' "
        "where rowid in (select rid from losers where conflicting)"
    )
    counts = {
        row[0]: row[1:]
        for row in con.execute(
            "select _partition, count(*), count(*) filter (where _reason <> ''), "
            "count(*) filter (where _reason = '') from checked group by _partition"
        ).fetchall()
    }
    columns = ", ".join(ident(c) for c in contract.names)
    landed_sql = (
        f"select {columns}, c._source_file, c._source_line, c._source_id, "
        "now()::timestamptz as _ingested_at, c._partition from checked c "
        "anti join losers l on c.rowid = l.rid where c._reason = ''"
    )
    # Quarantined rows name the landing file they came from (the ledger maps raw names back).
    register_source_names(con, lake)
    quarantine_sql = (
        f"select {quarantine_select(contract.table, '_reason', 'coalesce(n.landing_name, c._source_file)', '_source_line', '_source_id', _record(contract))}, "
        "_partition from checked c left join source_names n on n.raw_name = c._source_file "
        "where c._reason <> ''"
    )
    token = secrets.token_hex(4)
    landed = _publish_partitions(
        con, landed_sql, lake.table("bronze", contract.table) / f".build-{token}",
        {p: paths[0] for p, paths in partitions.items()},
    )  # fmt: skip
    quarantined = _publish_partitions(
        con, quarantine_sql, lake.table("quarantine", contract.table) / f".build-{token}",
        {p: paths[1] for p, paths in partitions.items()},
    )  # fmt: skip
    reports = []
    for partition, (bronze_target, quarantine_target) in partitions.items():
        rows_in, _, good = counts.get(partition, (0, 0, 0))
        report = PartitionReport(contract.table, partition, rows_in=rows_in)
        report.rows_landed = landed[partition]
        report.rows_quarantined = quarantined[partition]
        report.duplicates_dropped = good - report.rows_landed
        report.unchecked_references = unchecked
        if report.rows_landed:
            report.path = str(bronze_target.relative_to(lake.root))
        if report.rows_quarantined:
            report.quarantine_path = str(quarantine_target.relative_to(lake.root))
        reports.append(report)
    return reports


def event_partition_paths(lake: Lake, day: date) -> tuple[Path, Path]:
    partition = day.isoformat()
    return (
        lake.bronze / "message_events" / f"event_date={partition}" / "part-0.parquet",
        lake.quarantine / "message_events" / "stage=bronze" / f"part={partition}" / "data.parquet",
    )


ROWS_PER_BATCH = 2_000_000


def day_batches(
    lake: Lake, days: list[date], budget: int = ROWS_PER_BATCH, index: list[RawFile] | None = None
) -> list[list[date]]:
    """Consecutive days grouped so each batch reads about `budget` rows (from Parquet footers).

    One pass over many days saves per-query overhead; a bounded batch keeps the checked rows in
    memory instead of spilling.
    """
    index = raw_event_index(lake) if index is None else index
    covering = set(raw_event_files(index, days))
    estimate: dict[date, float] = dict.fromkeys(days, 0.0)
    for path, low, high in index:
        if path not in covering:
            continue
        span = (high - low).days + 1
        share = pq.ParquetFile(path).metadata.num_rows / span
        for i in range(span):
            day = low + timedelta(days=i)
            if day in estimate:
                estimate[day] += share
    batches: list[list[date]] = []
    total = 0.0
    for day in sorted(days):
        if batches and total + estimate[day] <= budget:
            batches[-1].append(day)
            total += estimate[day]
        else:
            batches.append([day])
            total = estimate[day]
    return batches


def build_event_days(lake: Lake, days: list[date]) -> list[PartitionReport]:
    """Rebuild bronze (and its quarantine) for UTC days of message events.

    Each day is deduplicated and published on its own, so building days together or one by one
    gives the same partitions; days are processed in batches of bounded size.
    """
    days = sorted(set(days))
    if not days:
        return []
    index = raw_event_index(lake)
    sources = event_day_sources(index)
    record = BuiltRecord(lake, "message_events")
    con = connect(lake.duckdb)
    reports: list[PartitionReport] = []
    try:
        lookups = register_worker_lookups(con, lake)
        for batch in day_batches(lake, days, ROWS_PER_BATCH, index):
            reports += _build_event_batch(lake, batch, index, con, lookups)
            record.mark({day.isoformat(): sources.get(day.isoformat(), []) for day in batch})
        return reports
    finally:
        con.close()


def _build_event_batch(
    lake: Lake,
    days: list[date],
    index: list[RawFile],
    con,
    lookups: set[str],  # type: ignore[no-untyped-def]
) -> list[PartitionReport]:
    """One pass over the raw files covering `days`: check, dedupe per day, publish per day."""
    files = raw_event_files(index, days)
    partitions = {day.isoformat(): event_partition_paths(lake, day) for day in days}
    if not files:
        for bronze_target, quarantine_target in partitions.values():
            bronze_target.unlink(missing_ok=True)
            quarantine_target.unlink(missing_ok=True)
        return [PartitionReport("message_events", p) for p in partitions]
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
    start = datetime.combine(days[0], time(0), UTC)
    end = datetime.combine(days[-1], time(0), UTC) + timedelta(days=1)
    wanted = ", ".join(f"'{p}'" for p in partitions)
    select = ", ".join(ident(c) for c in MESSAGE_EVENTS.names)
    source_sql = (
        f"select {select}, regexp_extract(filename, '[^/]+$') as _source_file, "
        f"cast({line} as bigint) as _source_line, cast({source_id} as varchar) as _source_id, "
        "strftime(occurred_at at time zone 'UTC', '%Y-%m-%d') as _partition "
        f"from read_parquet({parquet_list(files)}, union_by_name = true, filename = true, file_row_number = true) "
        f"where occurred_at >= '{start.isoformat()}'::timestamptz "
        f"and occurred_at < '{end.isoformat()}'::timestamptz"
    )
    source_sql = f"select * from ({source_sql}) where _partition in ({wanted})"
    return _build(
        con, lake, MESSAGE_EVENTS, source_sql, partitions,
        "occurred_at, _source_file, _source_line", lookups,
    )  # fmt: skip


def build_hr_files(lake: Lake, table: str, file_ids: list[str]) -> list[PartitionReport]:
    """Rebuild the bronze partitions of taken-in HR files (rosters or performance), many files
    to one pass.

    Each file is its own partition (checked, deduplicated and published alone), so building files
    together or one by one gives the same partitions; a pass covers files up to about
    `ROWS_PER_BATCH` rows. One pass per file cost about 0.1 s each in DuckDB's fixed work, which
    at 600 exports was a minute for a few seconds of rows.
    """
    if not file_ids:
        return []
    record = BuiltRecord(lake, table)
    con = connect(lake.duckdb)
    reports: dict[str, PartitionReport] = {}
    try:
        lookups = register_worker_lookups(con, lake)
        raws = {f: lake.raw / table / f"{f}.parquet" for f in dict.fromkeys(file_ids)}
        present = [f for f, raw in raws.items() if raw.exists()]
        for gone in raws.keys() - set(present):
            for target in hr_partition_paths(lake, table, gone):
                target.unlink(missing_ok=True)
            record.mark({gone: []})
            reports[gone] = PartitionReport(table, gone)
        for batch in file_batches([raws[f] for f in present]):
            ids = [path.stem for path in batch]
            for report in _build_hr_batch(con, lookups, lake, table, ids):
                reports[report.partition] = report
            record.mark({f: [raws[f].name] for f in ids})
        return [reports[f] for f in dict.fromkeys(file_ids)]
    finally:
        con.close()


def build_hr_file(lake: Lake, table: str, file_id: str) -> PartitionReport:
    """Rebuild the bronze partition of one taken-in HR file."""
    return build_hr_files(lake, table, [file_id])[0]


def hr_partition_paths(lake: Lake, table: str, file_id: str) -> tuple[Path, Path]:
    return (
        lake.bronze / table / f"source_file={file_id}" / "part-0.parquet",
        lake.quarantine / table / "stage=bronze" / f"part={file_id}" / "data.parquet",
    )


def file_batches(paths: list[Path], budget: int = ROWS_PER_BATCH) -> list[list[Path]]:
    """Consecutive files grouped so each group holds about `budget` rows (Parquet footers); a
    file larger than that is a group alone."""
    batches: list[list[Path]] = []
    rows = 0
    for path in paths:
        count = pq.ParquetFile(path).metadata.num_rows
        if batches and rows + count <= budget:
            batches[-1].append(path)
            rows += count
        else:
            batches.append([path])
            rows = count
    return batches


def _build_hr_batch(
    con, lookups: set[str], lake: Lake, table: str, file_ids: list[str],  # type: ignore[no-untyped-def]
) -> list[PartitionReport]:  # fmt: skip
    """One pass over taken-in HR files, each file its own partition (named by its id)."""
    contract = LANDING_CONTRACTS[table]
    raws = [lake.raw / table / f"{f}.parquet" for f in file_ids]
    select = ", ".join(ident(c) for c in contract.names)
    file_id = r"regexp_extract(filename, '([^/]+)\.parquet$', 1)"
    source_sql = (
        f"select {select}, {file_id} as _source_file, _source_line, "
        f"cast(null as varchar) as _source_id, {file_id} as _partition "
        f"from read_parquet({parquet_list(raws)}, union_by_name = true, filename = true)"
    )
    partitions = {f: hr_partition_paths(lake, table, f) for f in file_ids}
    return _build(con, lake, contract, source_sql, partitions, "_source_line", lookups)


def hr_files(lake: Lake, table: str) -> list[str]:
    folder = lake.raw / table
    if not folder.exists():
        return []
    return sorted(p.stem for p in folder.glob("*.parquet") if not p.name.startswith("."))


def stale_hr_files(lake: Lake, table: str) -> list[str]:
    """Taken-in HR files not yet built into bronze (and built ones whose raw file is gone)."""
    sources = {f: [f"{f}.parquet"] for f in hr_files(lake, table)}
    return BuiltRecord(lake, table).stale(sources)
