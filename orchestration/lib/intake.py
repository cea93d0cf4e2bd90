"""Taking in landing files: check the format, type the rows, move the file into the raw lake.

For each file under the landing folder (hidden and `_`-prefixed folders excluded):
- an unsupported format, wrong columns, wrong encoding or a truncated file rejects the whole file:
  it moves to `_rejected/` beside a `.reason.txt`, and nothing in the lake changes;
- a file whose bytes were taken in before is a duplicate: it moves to `_duplicates/`, unprocessed;
- otherwise its rows are typed by the contract. Rows that do not type (a number that is not a
  number, a broken CSV line, an event without a time) go to quarantine with file and line; the
  others are written to `raw/<table>/` as typed Parquet. A Parquet file that already matches the
  contract is moved there as it is (a rename: no copy of the bytes).
Bronze partitions are then built from the raw files (`bronze_build`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from coaching.lake import Lake, atomic_path, write_text
from data_contracts.contract import Contract
from data_contracts.quarantine import QUARANTINE_COLUMNS, quarantine_select
from data_contracts.tables import LANDING_CONTRACTS, MESSAGE_EVENTS
from data_contracts.validate import typed_sql
from orchestration.lib.duck import connect
from orchestration.lib.ledger import Ledger, LedgerEntry

FORMATS = {".csv": "csv", ".parquet": "parquet", ".ndjson": "ndjson", ".jsonl": "ndjson"}
REJECTED = "_rejected"
DUPLICATES = "_duplicates"
FILE_COLUMNS = {
    # Columns a landing file carries; organization_id of HR files comes from their folder.
    "message_events": MESSAGE_EVENTS.names,
    "hr_roster": [c for c in LANDING_CONTRACTS["hr_roster"].names if c != "organization_id"],
    "hr_performance": [
        c for c in LANDING_CONTRACTS["hr_performance"].names if c != "organization_id"
    ],
}


class Rejected(Exception):
    """The whole file is unusable; the message is the reason a person reads."""


@dataclass
class IntakeReport:
    accepted: list[LedgerEntry] = field(default_factory=list)
    rejected: list[LedgerEntry] = field(default_factory=list)
    duplicates: list[LedgerEntry] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(e.rows for e in self.accepted)

    @property
    def rows_quarantined(self) -> int:
        return sum(e.rows_quarantined for e in self.accepted)

    def quarantined_by_table(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in self.accepted:
            if entry.kind and entry.rows_quarantined:
                counts[entry.kind] = counts.get(entry.kind, 0) + entry.rows_quarantined
        return counts


def pending_files(landing: Path, settle_seconds: float = 0.0) -> list[Path]:
    """Files waiting in the landing folder, by name.

    A file modified in the last `settle_seconds` may still be being written (by a writer that does
    not write-then-rename); it waits for a later run rather than being rejected as truncated.
    """
    if not landing.exists():
        return []
    newest = time.time() - settle_seconds
    found = []
    for path in landing.rglob("*"):
        relative = path.relative_to(landing)
        if any(part.startswith((".", "_")) for part in relative.parts):
            continue
        if path.is_file() and not path.name.endswith(".reason.txt"):
            if settle_seconds and path.stat().st_mtime > newest:
                continue
            found.append(path)
    return sorted(found)


def classify(relative: Path) -> tuple[str, str | None]:
    """(table, organization slug) of a landing file, from where it was dropped."""
    parts = relative.parts
    if parts[0] == "message_events" and len(parts) >= 2:
        return "message_events", None
    if parts[0] == "hr" and len(parts) == 3:
        if parts[2].startswith("roster_"):
            return "hr_roster", parts[1]
        if parts[2].startswith("performance_"):
            return "hr_performance", parts[1]
    raise Rejected(
        f"unknown kind of file {relative}: expected message_events/<file>, "
        "hr/<organization>/roster_<date>.csv or hr/<organization>/performance_<YYYY-MM>.csv"
    )


def file_id(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:24]


def _check_columns(table: str, present: list[str]) -> None:
    contract = LANDING_CONTRACTS[table]
    required = [c for c in contract.required if c in FILE_COLUMNS[table]]
    missing = [c for c in required if c not in present]
    if missing:
        raise Rejected(
            f"wrong columns: missing {', '.join(missing)} (found {', '.join(present) or 'none'})"
        )


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise Rejected("empty file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Rejected(f"wrong encoding: not UTF-8 (byte {exc.start})") from None


def _text_table(
    columns: list[str],
    rows: list[dict[str, str | None]],
    lines: list[int],
    errors: list[str | None],
) -> pa.Table:
    data: dict[str, pa.Array] = {
        name: pa.array([row.get(name) for row in rows], pa.string()) for name in columns
    }
    data["_source_line"] = pa.array(lines, pa.int64())
    data["_parse_error"] = pa.array(errors, pa.string())
    return pa.table(data)


def read_csv(path: Path, table: str) -> pa.Table:
    """Every field as text, with the line it came from and, for a row whose field count is wrong,
    why.

    When every record is one line (no blank line inside, no quoted line break), Arrow's CSV reader
    (C++) parses the file and line numbers follow from the order (rows it cannot parse come back
    with their line); otherwise the csv module reads it record by record, knowing where each
    starts. The count of records tells the two apart: a quoted line break makes it fall short.
    """
    text = _read_text(path)
    body = text.rstrip("\r\n")
    split = None
    if "\n\n" not in body and "\n\r\n" not in body:
        split = _split_lines(text, table, records=body.count("\n"))
    header, fields, lines, errors = split or _split_records(text, table)
    if len(lines) and not text.endswith(("\n", "\r")) and errors[-1].is_valid:
        raise Rejected(f"truncated: the last line ({lines[-1]}) is incomplete")
    position = {name: i for i, name in enumerate(header)}  # a repeated name: the last one wins
    data: dict[str, pa.Array] = {}
    for name in (c for c in FILE_COLUMNS[table] if c in position):
        values = fields[position[name]]
        data[name] = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    data["_source_line"] = pa.array(lines, pa.int64())
    data["_parse_error"] = pa.array(errors, pa.string())
    return pa.table(data)


# The header, a text column per header field, each record's line and its parse error.
Split = tuple[list[str], list[pa.Array], pa.Array, pa.Array]


def _bad_row(record: list[str], width: int) -> tuple[list[str], str]:
    """A record with the wrong number of fields, padded or cut to the header, and why."""
    reason = f"bad_csv_row: expected {width} fields, got {len(record)}"
    return (record + [""] * width)[:width], reason


def _split_records(text: str, table: str) -> Split:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
        _check_columns(table, header)
        width = len(header)
        records, lines, errors = [], [], []
        for record in reader:
            if not record:
                continue
            error = None
            if len(record) != width:
                record, error = _bad_row(record, width)
            records.append(record)
            lines.append(reader.line_num)
            errors.append(error)
    except csv.Error as exc:
        raise Rejected(f"not a readable CSV file: {exc}") from None
    columns = list(zip(*records, strict=True)) if records else [()] * width
    return (
        header,
        [pa.array(c, pa.string()) for c in columns],
        pa.array(lines, pa.int64()),
        pa.array(errors, pa.string()),
    )


def _split_lines(text: str, table: str, records: int) -> Split | None:
    """Arrow's parse of a file of one record per line, or None when it is not one (`records`:
    the lines after the header)."""
    header = next(csv.reader([text.split("\n", 1)[0].rstrip("\r")]))
    header = [h.strip() for h in header]
    _check_columns(table, header)
    width = len(header)
    bad: dict[int, list[str]] = {}

    def invalid(row: pacsv.InvalidRow) -> str:
        bad[row.number] = next(csv.reader([row.text]), [])
        return "skip"

    try:
        parsed = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(
                column_names=[f"f{i}" for i in range(width)], skip_rows=1, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None  # the csv module reads it, or says why it cannot
    total = parsed.num_rows + len(bad)
    if total != records or None in bad:
        return None  # a record spans lines: only the csv module can number them
    # The rows Arrow could not parse go back in at their lines (line 1 is the header).
    numbers = np.arange(2, total + 2, dtype=np.int64)
    bad_lines = np.array(sorted(bad), dtype=np.int64)
    good_lines = np.setdiff1d(numbers, bad_lines, assume_unique=True)
    columns = [c.combine_chunks() for c in parsed.columns]
    padded = [_bad_row(bad[n], width) for n in bad_lines.tolist()]
    extra = list(zip(*(values for values, _ in padded), strict=True)) or [()] * width
    columns = [
        pa.concat_arrays([column, pa.array(values, pa.string())])
        for column, values in zip(columns, extra, strict=True)
    ]
    errors = pa.concat_arrays(
        [pa.nulls(len(good_lines), pa.string()), pa.array([r for _, r in padded], pa.string())]
    )
    lines = np.concatenate([good_lines, bad_lines])
    order = pa.array(np.argsort(lines, kind="stable"))
    return (
        header,
        [column.take(order) for column in columns],
        pa.array(lines).take(order),
        errors.take(order),
    )


def read_ndjson(path: Path, table: str) -> pa.Table:
    text = _read_text(path)
    rows, lines, seen = [], [], set()
    all_lines = text.splitlines()
    for number, line in enumerate(all_lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            if number == len(all_lines) and not text.endswith("\n"):
                raise Rejected(
                    f"truncated: the last line ({number}) is not complete JSON"
                ) from None
            raise Rejected(f"line {number} is not valid JSON") from None
        if not isinstance(value, dict):
            raise Rejected(f"line {number} is not a JSON object")
        seen.update(value)
        rows.append(
            {
                k: (None if v is None else str(v) if not isinstance(v, str) else v)
                for k, v in value.items()
            }
        )
        lines.append(number)
    _check_columns(table, sorted(seen))
    return _text_table(
        [c for c in FILE_COLUMNS[table] if c in seen], rows, lines, [None] * len(rows)
    )


def parquet_matches(path: Path, contract: Contract) -> tuple[bool, list[str]]:
    """Whether a Parquet file already has the contract's columns and types (then it is moved as is)."""
    try:
        schema = pq.read_schema(path)
        pq.ParquetFile(path).metadata  # noqa: B018 - reading the footer is the truncation check
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise Rejected(f"not a readable Parquet file (truncated or corrupt): {exc}") from None
    names = schema.names
    expected = contract.arrow_schema()
    matches = all(f.name in names and schema.field(f.name).type == f.type for f in expected)
    return matches, names


def _day_range(path: Path) -> tuple[date, date] | None:
    """Min and max UTC day of occurred_at, from Parquet statistics (no data read)."""
    metadata = pq.ParquetFile(path).metadata
    index = pq.read_schema(path).get_field_index("occurred_at")
    lows, highs = [], []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(index).statistics
        if stats is None or not stats.has_min_max or stats.null_count:
            return None  # unknown range, or events without a time: type them row by row
        lows.append(stats.min)
        highs.append(stats.max)
    if not lows:
        return None
    return min(lows).astimezone(UTC).date(), max(highs).astimezone(UTC).date()


def raw_event_name(low: date, high: date, identity: str) -> str:
    """Raw event files carry their day range in the name, so a day's build finds them by listing."""
    return f"{low.isoformat()}_{high.isoformat()}_{identity}.parquet"


def days_of(name: str) -> tuple[date, date]:
    low, high, _ = name.split("_", 2)
    return date.fromisoformat(low), date.fromisoformat(high)


def _move(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
    except OSError:
        shutil.move(str(source), str(target))


def take_in(
    lake: Lake, landing: Path, organizations: dict[str, str], settle_seconds: float = 0.0
) -> IntakeReport:
    """Process every pending landing file; one bad file never stops the others."""
    ledger = Ledger(lake)
    report = IntakeReport()
    pending = pending_files(landing, settle_seconds)
    if not pending:
        return report
    # One connection for the run: opening a bounded DuckDB took 20 ms, a third of a small file.
    with connect(lake.duckdb) as con:
        for path in pending:
            relative = path.relative_to(landing)
            now = datetime.now(UTC).isoformat()
            identity = file_id(path)
            entry = LedgerEntry(
                identity, str(relative), None, "accepted", None, now, path.stat().st_size
            )
            try:
                entry.kind, entry.organization_slug = classify(relative)
                if ledger.accepted(identity):
                    entry.status = "duplicate"
                    entry.reason = f"same content as {ledger.accepted(identity).name}"  # type: ignore[union-attr]
                    _move(path, landing / DUPLICATES / f"{now[:19].replace(':', '')}-{path.name}")
                    report.duplicates.append(entry)
                else:
                    _take_file(lake, path, entry, organizations, con)
                    report.accepted.append(entry)
            except Rejected as exc:
                entry.status = "rejected"
                entry.reason = str(exc)
                target = landing / REJECTED / str(relative).replace(os.sep, "__")
                _move(path, target)
                write_text(
                    f"{exc}\nrejected at {now}\n", target.with_name(target.name + ".reason.txt")
                )
                report.rejected.append(entry)
            ledger.record(entry)  # after every file: a crash never forgets a file already moved
    return report


def _take_file(
    lake: Lake, path: Path, entry: LedgerEntry, organizations: dict[str, str],
    con: duckdb.DuckDBPyConnection,
) -> None:  # fmt: skip
    table = entry.kind
    assert table is not None
    contract = LANDING_CONTRACTS[table]
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise Rejected(
            f"unsupported format '{suffix or path.name}': expected .csv, .parquet or .ndjson"
        )
    organization_id = None
    if entry.organization_slug is not None:
        organization_id = organizations.get(entry.organization_slug)
        if organization_id is None:
            raise Rejected(
                f"unknown organization '{entry.organization_slug}' (no such slug in bronze organizations)"
            )
    fmt = FORMATS[suffix]
    if fmt == "parquet":
        matches, names = parquet_matches(path, contract)
        _check_columns(table, names)
        if matches and table == "message_events":
            span = _day_range(path)
            if span is not None:
                target = lake.raw / table / raw_event_name(*span, entry.file_id)
                entry.rows = pq.ParquetFile(path).metadata.num_rows
                _move(path, target)
                entry.raw_path = str(target.relative_to(lake.root))
                return
        incoming = con.sql(
            f"select * from read_parquet('{path}', file_row_number = true)"
        ).to_arrow_table()
        incoming = incoming.append_column(
            "_source_line", pc.add(incoming.column("file_row_number"), 1)
        )
        incoming = incoming.drop_columns(["file_row_number"])
    elif fmt == "csv":
        incoming = read_csv(path, table)
    else:
        incoming = read_ndjson(path, table)
    _normalize(lake, path, entry, contract, incoming, organization_id, con)


def _normalize(
    lake: Lake, path: Path, entry: LedgerEntry, contract: Contract, incoming: pa.Table,
    organization_id: str | None, con: duckdb.DuckDBPyConnection,
) -> None:  # fmt: skip
    """Type the rows; good ones to raw Parquet, the rest to quarantine; keep the original bytes."""
    if organization_id is not None:
        incoming = incoming.append_column(
            "organization_id", pa.array([organization_id] * incoming.num_rows, pa.string())
        )
    con.register("incoming", incoming)
    available = set(incoming.column_names)
    con.execute(
        f"create or replace temp table typed as {typed_sql(contract, 'incoming', available, keep=['_source_line'])}"
    )
    if contract.partition_column:
        # An event without a time cannot be placed in a day: it is quarantined here.
        con.execute(
            f"update typed set _cast_reason = concat_ws('; ', nullif(_cast_reason, ''), 'missing:{contract.partition_column}'), "
            f"_cast_record = coalesce(_cast_record, '{{}}') where {contract.partition_column} is null"
        )
    good = con.sql(
        "select * exclude (_cast_reason, _cast_record) from typed where _cast_reason = ''"
    ).to_arrow_table()
    bad = con.sql(
        f"select {quarantine_select(contract.table, '_cast_reason', repr(entry.name), '_source_line', 'null', '_cast_record')} "
        "from typed where _cast_reason <> ''"
    ).to_arrow_table()
    con.execute("drop table typed")
    con.unregister("incoming")
    entry.rows = incoming.num_rows
    entry.rows_quarantined = bad.num_rows
    if contract.partition_column and good.num_rows:
        times = good.column(contract.partition_column)
        low = pc.min(times).as_py().astimezone(UTC).date()
        high = pc.max(times).as_py().astimezone(UTC).date()
        target = lake.raw / contract.table / raw_event_name(low, high, entry.file_id)
    else:
        target = lake.raw / contract.table / f"{entry.file_id}.parquet"
    if good.num_rows:
        with atomic_path(target) as temporary:
            pq.write_table(good, temporary)
        entry.raw_path = str(target.relative_to(lake.root))
    if bad.num_rows:
        quarantine = (
            lake.quarantine
            / contract.table
            / "stage=intake"
            / f"part={entry.file_id}"
            / "data.parquet"
        )
        with atomic_path(quarantine) as temporary:
            pq.write_table(bad.select(QUARANTINE_COLUMNS.split(", ")), temporary)
    _move(path, lake.raw / "_originals" / f"{entry.file_id}{path.suffix.lower()}")
