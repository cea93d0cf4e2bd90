"""Independent readings of what a simulation wrote, used to check it against its manifest.

These read the landing files and the store the way downstream code will (DuckDB over Parquet,
the store's tables with their sealed columns opened) and share no code with the simulator.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import select

from coaching.settings import Settings
from coaching.store.engine import store_engine
from coaching.store.tables import Base

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
VALID_STATUSES = {
    "accepted",
    "queued",
    "sending",
    "sent",
    "delivered",
    "read",
    "failed",
    "undelivered",
    "received",
}


def store_table(settings: Settings, name: str) -> pa.Table:
    """Every row of a store table as the platform reads it: sealed columns opened with the
    installation's keys, documents as JSON text."""
    engine = store_engine(settings)
    with engine.connect() as connection:
        result = connection.execute(select(Base.metadata.tables[name]))
        rows = [
            {k: json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v
             for k, v in r._mapping.items()}
            for r in result
        ]  # fmt: skip
    engine.dispose()
    if not rows:
        return pa.table({})
    return pa.Table.from_pylist(rows)


def all_events(settings: Settings) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with `events` (landing files and store rows) and `workers`."""
    con = duckdb.connect()
    landing = Path(settings.landing_dir or "") / "message_events"
    con.execute(f"create table events as select * from read_parquet('{landing}/*.parquet')")
    store_events = store_table(settings, "message_events").drop_columns(
        ["id", "payload", "received_at", "button_text"]  # the store's own columns
    )
    con.register("store_events", store_events)
    con.execute("insert into events by name select * from store_events")
    con.register(
        "store_workers",
        store_table(settings, "workers").select(["id", "organization_id", "phone_e164"]),
    )
    con.execute("create table workers as select * from store_workers")
    return con


REPLY_RATES = """
with dedup as (
    select distinct on (event_key) * from events order by event_key, occurred_at
),
outbound as (
    select message_sid, to_number as phone, experiment_variant_id, is_follow_up, occurred_at,
           lead(occurred_at) over (partition by to_number order by occurred_at) as next_out
    from dedup where kind = 'outbound'
),
delivered as (
    select message_sid, min(occurred_at) as delivered_at
    from dedup where kind = 'status' and status = 'delivered' group by 1
),
inbound as (
    select from_number as phone, occurred_at from dedup where kind = 'inbound' and body <> 'STOP'
),
messages as (
    select o.*, d.delivered_at from outbound o join delivered d using (message_sid)
    where o.experiment_variant_id is not null and not o.is_follow_up
),
replied as (
    select m.message_sid, m.experiment_variant_id,
           count(i.phone) > 0 as replied
    from messages m
    left join inbound i
      on i.phone = m.phone
     and i.occurred_at > m.delivered_at
     and i.occurred_at <= m.delivered_at + interval 24 hour
     and (m.next_out is null or i.occurred_at < m.next_out)
    group by all
)
select experiment_variant_id, count(*) as delivered, sum(replied::int) as replies
from replied group by 1
"""


def reply_rates(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    return {row[0]: (row[1], row[2]) for row in con.execute(REPLY_RATES).fetchall()}


def landing_violations(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Counts of rows a contract would reject, and of duplicate deliveries, found by reading."""
    con.create_function("is_e164", lambda s: s is not None and bool(E164.match(s)), [str], bool)
    statuses = ", ".join(f"'{s}'" for s in VALID_STATUSES)
    queries = {
        "invalid_status": (
            f"select count(*) from events where kind = 'status' and status not in ({statuses})"
        ),
        "missing_message_sid": "select count(*) from events where message_sid is null",
        "malformed_phone": (
            "select count(*) from events where kind = 'inbound' and not is_e164(from_number)"
        ),
        "unknown_worker": """
            select (select count(*) from events e where kind = 'inbound' and is_e164(from_number)
                      and not exists (select 1 from workers w where w.phone_e164 = e.from_number
                                        and w.organization_id = e.organization_id))
                 + (select count(*) from events e where kind = 'outbound'
                      and not exists (select 1 from workers w where w.id = e.worker_id))
        """,
        "duplicate_delivery": "select count(*) - count(distinct event_key) from events",
    }
    return {kind: con.execute(sql).fetchall()[0][0] for kind, sql in queries.items()}


def bad_hr_lines(path: Path, employees: set[str]) -> dict[str, str]:
    """Line number -> why the line breaks the HR contract."""
    bad: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for line, record in enumerate(reader, start=2):
            if len(record) != 5:
                bad[str(line)] = "bad_csv_row"
                continue
            employee, phone, period, _metric, value = record
            try:
                float(value)
            except ValueError:
                bad[str(line)] = "non_numeric_metric"
                continue
            if not E164.match(phone):
                bad[str(line)] = "malformed_phone"
            elif employee not in employees:
                bad[str(line)] = "unknown_worker"
            elif not re.match(r"^\d{4}-(0[1-9]|1[0-2])$", period):
                bad[str(line)] = "bad_period"
    return bad
