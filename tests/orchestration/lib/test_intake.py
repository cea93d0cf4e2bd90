"""Landing files: bad files are rejected with a reason, good ones go on, nothing is taken twice."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from coaching.lake import Lake
from orchestration.lib.intake import REJECTED, take_in
from orchestration.lib.ledger import Ledger

ORG = "11111111-1111-4111-8111-111111111111"
HEADER = "employee_id,phone,period,metric,value\n"
GOOD_ROWS = "E1,+2348031234567,2026-10,visits,3\nE2,+2348031234568,2026-10,visits,4\n"
EVENT = {
    "event_key": "SM1:delivered", "kind": "status", "message_sid": "SM1", "status": "delivered",
    "channel": "whatsapp", "from_number": "+2345555555000", "to_number": "+2348031234567",
    "organization_id": ORG, "occurred_at": "2026-10-05T09:00:03Z",
}  # fmt: skip


@pytest.fixture
def places(tmp_path: Path) -> tuple[Lake, Path]:
    return Lake(tmp_path / "lake"), tmp_path / "landing"


def drop(landing: Path, name: str, content: str | bytes) -> Path:
    path = landing / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def lake_files(lake: Lake) -> set[str]:
    return (
        {str(p.relative_to(lake.root)) for p in lake.root.rglob("*") if p.is_file()}
        if lake.root.exists()
        else set()
    )


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("hr/acme/performance_2026-10.xlsx", b"PK\x03\x04", "unsupported format"),
        ("hr/acme/performance_2026-10.csv", "who,what\nE1,3\n", "wrong columns"),
        (
            "hr/acme/performance_2026-10.csv",
            (HEADER + "E1,+2348031234567,2026-10,café,3\n").encode("latin-1"),
            "wrong encoding",
        ),
        ("hr/acme/performance_2026-10.csv", HEADER + "E1,+2348031234567,2026-10,vis", "truncated"),
        ("hr/acme/performance_2026-10.csv", "", "empty file"),
        (
            "message_events/broken.ndjson",
            json.dumps(EVENT) + "\n{not json}\n" + json.dumps(EVENT) + "\n",
            "not valid JSON",
        ),
        ("message_events/cut.ndjson", json.dumps(EVENT) + '\n{"event_key": "SM2', "truncated"),
        ("message_events/cut.parquet", b"PAR1\x00\x00garbage", "not a readable Parquet"),
        ("elsewhere/file.csv", HEADER, "unknown kind"),
        (
            "hr/nobody/performance_2026-10.csv",
            HEADER + "E9,+2348031234569,2026-10,visits,1\n",
            "unknown organization",
        ),
    ],
)
def test_bad_files_are_rejected_with_a_reason(places, name: str, content, reason: str) -> None:
    lake, landing = places
    drop(landing, name, content)
    good = drop(landing, "hr/acme/performance_2026-09.csv", HEADER + GOOD_ROWS)
    report = take_in(lake, landing, {"acme": ORG})
    assert [e.name for e in report.rejected] == [name]
    assert reason in (report.rejected[0].reason or "")
    rejected = landing / REJECTED / name.replace("/", "__")
    assert rejected.exists()
    assert reason in rejected.with_name(rejected.name + ".reason.txt").read_text()
    # The sensor goes on with the next file: the good one was taken in.
    assert [e.name for e in report.accepted] == [str(good.relative_to(landing))]
    assert not any(reason in f for f in lake_files(lake))


def test_a_rejected_file_changes_nothing_already_in_the_lake(places) -> None:
    lake, landing = places
    drop(landing, "hr/acme/performance_2026-09.csv", HEADER + GOOD_ROWS)
    take_in(lake, landing, {"acme": ORG})
    before = {
        p: (lake.root / p).read_bytes() for p in lake_files(lake) if not p.startswith("_meta")
    }
    drop(landing, "hr/acme/performance_2026-10.csv", "garbage\x00\xff")
    take_in(lake, landing, {"acme": ORG})
    after = {p: (lake.root / p).read_bytes() for p in lake_files(lake) if not p.startswith("_meta")}
    assert before == after


def test_the_same_file_dropped_again_is_processed_once(places) -> None:
    lake, landing = places
    drop(landing, "hr/acme/performance_2026-10.csv", HEADER + GOOD_ROWS)
    first = take_in(lake, landing, {"acme": ORG})
    drop(landing, "hr/acme/performance_2026-10-again.csv", HEADER + GOOD_ROWS)
    second = take_in(lake, landing, {"acme": ORG})
    assert len(first.accepted) == 1 and not second.accepted
    assert len(second.duplicates) == 1
    assert len(list((lake.raw / "hr_performance").glob("*.parquet"))) == 1
    statuses = [e.status for e in Ledger(lake).entries]
    assert statuses == ["accepted", "duplicate"]


def test_untypable_rows_are_quarantined_with_their_line(places) -> None:
    lake, landing = places
    rows = HEADER + "E1,+2348031234567,2026-10,visits,n/a\nE2,+2348031234568,2026-10\n" + GOOD_ROWS
    drop(landing, "hr/acme/performance_2026-10.csv", rows)
    report = take_in(lake, landing, {"acme": ORG})
    assert report.accepted[0].rows == 4 and report.accepted[0].rows_quarantined == 2
    quarantined = pq.read_table(
        next((lake.quarantine / "hr_performance").rglob("*.parquet"))
    ).to_pylist()
    assert [(q["source_line"], q["reason"]) for q in quarantined] == [
        (2, "bad_type:value"),
        (3, "bad_csv_row: expected 5 fields, got 3"),
    ]
    assert all(q["source_file"] == "hr/acme/performance_2026-10.csv" for q in quarantined)
    raw = pq.read_table(next((lake.raw / "hr_performance").glob("*.parquet")))
    assert raw.column("value").to_pylist() == [3.0, 4.0]
    assert set(raw.column("organization_id").to_pylist()) == {ORG}


def test_text_event_files_are_typed_and_timeless_rows_quarantined(places) -> None:
    lake, landing = places
    lines = [EVENT, {**EVENT, "event_key": "SM2:sent", "occurred_at": "yesterday"}]
    drop(landing, "message_events/export.ndjson", "".join(json.dumps(r) + "\n" for r in lines))
    report = take_in(lake, landing, {})
    assert report.accepted[0].rows_quarantined == 1
    raw = next((lake.raw / "message_events").glob("*.parquet"))
    assert raw.name.startswith("2026-10-05_2026-10-05_")
    assert pq.read_schema(raw).field("occurred_at").type == pa.timestamp("us", tz="UTC")


def test_a_file_still_being_written_waits(places) -> None:
    lake, landing = places
    drop(landing, "hr/acme/performance_2026-10.csv", HEADER + GOOD_ROWS)
    assert not take_in(lake, landing, {"acme": ORG}, settle_seconds=60).accepted
    assert len(take_in(lake, landing, {"acme": ORG}, settle_seconds=0).accepted) == 1


@pytest.mark.parametrize(
    "rows",
    [
        GOOD_ROWS,  # plain: Arrow parses it
        'E1,+2348031234567,2026-10,visits,"1,5"\nE2,+2348031234568,2026-10\n' + GOOD_ROWS,
        'E1,+2348031234567,2026-10,"visits\nmonthly",3\n' + GOOD_ROWS,  # a quoted line break
        "E1,+2348031234567,2026-10,visits,3\n\n" + GOOD_ROWS,  # a blank line inside
        "E1,+2348031234567,,visits,\r\n" + GOOD_ROWS.replace("\n", "\r\n"),  # CRLF, empty fields
    ],
)
def test_every_record_keeps_its_line_and_fields_however_the_file_is_read(
    tmp_path: Path, rows: str
) -> None:
    """The fast reader (Arrow, one record per line) and the record-by-record reader must agree;
    the csv module is the reference for what each record holds and where it starts."""
    import csv
    import io

    from orchestration.lib.intake import read_csv

    path = tmp_path / "performance.csv"
    path.write_bytes((HEADER + rows).encode())
    table = read_csv(path, "hr_performance").to_pylist()
    reader = csv.reader(io.StringIO(HEADER + rows, newline=""))
    header = next(reader)
    expected = []
    for record in reader:
        if record:
            fields = (record + [""] * 5)[:5]
            expected.append(
                {
                    **{h: (v or None) for h, v in zip(header, fields, strict=True)},
                    "_source_line": reader.line_num,
                    "_parse_error": None
                    if len(record) == 5
                    else f"bad_csv_row: expected 5 fields, got {len(record)}",
                }
            )
    assert table == expected
