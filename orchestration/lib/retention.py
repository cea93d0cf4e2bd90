"""Purging message bodies and inbound media past each organization's retention, everywhere they
are kept, and recording what went.

Where a body lives, and what the purge does there:
- the store: `message_events.body` and its webhook `payload` (the form Twilio posted), the
  outbox's rendered `body`, template variables, field values and media URL: nulled (the rows
  stay: statuses, timings and derived answers are not personal text); `inbound_media` rows:
  deleted. SQLite overwrites what it frees (`secure_delete`) and truncates its write-ahead log;
  PostgreSQL's space is vacuumed (physically reclaimed only by VACUUM FULL, an operator's call);
- the lake and the landing folder: every file of message events (landing drops, `raw/` copies
  and originals, `bronze/` day partitions, `quarantine/`) whose rows the purge covers is
  rewritten with those bodies null, then renamed over the old one;
- the warehouse: it holds bodies in its intermediate tables, and a DuckDB file keeps freed
  blocks, so it is deleted; the next build makes it again from the purged lake (the incremental
  models start over, a full refresh).

A row is covered when its organization has a retention and it occurred before the cutoff; a
quarantined row whose time does not parse is judged by when it was taken in. A row naming no
known organization has no retention to apply and is kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import Engine, delete, func, select, text, update

from coaching.lake import Lake, atomic_path
from coaching.retention import cutoff
from coaching.store.tables import (
    InboundMedia,
    MessageEvent,
    Organization,
    OutboxMessage,
    RetentionPurge,
)
from coaching.store.types import utcnow
from orchestration.lib.duck import connect

MESSAGE_EVENTS = "message_events"
FORMATS = {".parquet": "parquet", ".csv": "csv", ".ndjson": "json", ".jsonl": "json"}


@dataclass
class Purged:
    """What one organization lost to the purge."""

    cutoff: datetime
    message_bodies: int = 0
    outbox_bodies: int = 0
    inbound_media: int = 0
    lake_rows: int = 0
    lake_files: dict[str, int] = field(default_factory=dict)  # path -> rows purged in it


def cutoffs(engine: Engine, now: datetime) -> dict[str, datetime]:
    """Each organization with a retention, and the instant before which its bodies go."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Organization.id, Organization.message_retention_days).where(
                Organization.message_retention_days.is_not(None),
                Organization.deleted_at.is_(None),
            )
        ).all()
    return {org: moment for org, days in rows if (moment := cutoff(now, days)) is not None}


def purge_store(engine: Engine, limits: Mapping[str, datetime]) -> dict[str, Purged]:
    """Null the bodies past retention in one transaction (all organizations or none)."""
    purged = {org: Purged(moment) for org, moment in limits.items()}
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as connection:
        if sqlite:
            connection.execute(text("PRAGMA secure_delete = ON"))
        for org, moment in limits.items():
            events = (MessageEvent.organization_id == org) & (MessageEvent.occurred_at < moment)
            purged[org].message_bodies = connection.scalar(
                select(func.count()).where(events, MessageEvent.body.is_not(None))
            )
            connection.execute(update(MessageEvent).where(events).values(body=None, payload={}))
            sent = (
                (OutboxMessage.organization_id == org)
                & (func.coalesce(OutboxMessage.sent_at, OutboxMessage.due_at) < moment)
                & OutboxMessage.status.not_in(("pending", "claimed"))
            )
            purged[org].outbox_bodies = connection.scalar(
                select(func.count()).where(sent, OutboxMessage.body.is_not(None))
            )
            connection.execute(
                update(OutboxMessage)
                .where(sent)
                .values(body=None, template_variables={}, field_values=None, media_url=None)
            )
            media = (InboundMedia.organization_id == org) & (InboundMedia.received_at < moment)
            purged[org].inbound_media = connection.execute(
                delete(InboundMedia).where(media)
            ).rowcount
    if sqlite:
        with engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    elif engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in ("message_events", "outbox", "inbound_media"):
                connection.execute(text(f"VACUUM {table}"))
    return purged


def message_event_files(lake: Lake, landing: Path | None) -> list[Path]:
    """Every file that may hold message events, in the lake and the landing folder."""
    folders = [
        lake.raw / MESSAGE_EVENTS,
        lake.raw / "_originals",
        lake.bronze / MESSAGE_EVENTS,
        lake.quarantine / MESSAGE_EVENTS,
    ]
    if landing is not None:
        folders.append(landing / MESSAGE_EVENTS)
    return sorted(
        path
        for folder in folders
        if folder.exists()
        for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in FORMATS and not path.name.startswith(".")
    )


def purge_files(files: Iterable[Path], purged: Mapping[str, Purged], lake: Lake) -> None:
    """Rewrite each file whose rows the purge covers, with those rows' bodies null."""
    if not purged:
        return
    con = connect(lake.duckdb)
    try:
        con.execute("create temp table limits (organization_id varchar, cutoff timestamptz)")
        con.executemany(
            "insert into limits values (?, ?)", [(o, p.cutoff) for o, p in purged.items()]
        )
        for path in files:
            for org, rows in _purge_file(con, path).items():
                purged[org].lake_rows += rows
                purged[org].lake_files[str(path)] = rows
    finally:
        con.close()


def _reader(path: Path) -> str:
    kind = FORMATS[path.suffix.lower()]
    if kind == "parquet":
        return "read_parquet(?, hive_partitioning = false)"
    if kind == "csv":
        return "read_csv(?, all_varchar = true, header = true)"
    return "read_json(?, format = 'newline_delimited', records = true)"


def _purge_file(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, int]:
    """Rows purged per organization in one file (the file is left as it was if none)."""
    source = _reader(path)
    columns = [
        row[0] for row in con.execute(f"describe select * from {source}", [str(path)]).fetchall()
    ]
    if not {"organization_id", "body"} <= set(columns):
        return {}
    moments = [
        f"try_cast(f.{c} as timestamptz)" for c in ("occurred_at", "_ingested_at") if c in columns
    ]
    if not moments:
        return {}
    covered = (
        "f.body is not null and exists (select 1 from limits l where "
        f"l.organization_id = f.organization_id and coalesce({', '.join(moments)}) < l.cutoff)"
    )
    counts = dict(
        con.execute(
            f"select organization_id, count(*) from {source} f where {covered} group by all",
            [str(path)],
        ).fetchall()
    )
    if not counts:
        return {}
    kind = FORMATS[path.suffix.lower()]
    options = {"parquet": "format parquet", "csv": "format csv, header true", "json": "format json"}
    kept = ", ".join(
        f"case when {covered} then null else f.body end as body" if c == "body" else f'f."{c}"'
        for c in columns
    )
    with atomic_path(path) as temporary:
        con.execute(
            f"copy (select {kept} from {source} f) to '{temporary}' ({options[kind]})",
            [str(path)],
        )
        if kind == "parquet":
            _keep_schema(path, temporary)
    return counts


def _keep_schema(original: Path, rewritten: Path) -> None:
    """DuckDB writes back what it read; a file that carried no value in a column comes back with
    that column typed as DuckDB saw it. Readers expect the original schema: cast to it."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(original)
    table = pq.read_table(rewritten)
    if table.schema.equals(schema, check_metadata=False):
        return
    pq.write_table(table.cast(schema), rewritten)


def drop_warehouse(warehouse: Path) -> list[str]:
    """Delete the warehouse file (and its write-ahead log): rebuilt by the next build."""
    removed = []
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        if path.exists():
            os.remove(path)
            removed.append(str(path))
    return removed


def record(engine: Engine, purged: Mapping[str, Purged], ran_at: datetime) -> None:
    with engine.begin() as connection:
        for org, what in purged.items():
            connection.execute(
                RetentionPurge.__table__.insert().values(
                    organization_id=org,
                    ran_at=ran_at,
                    cutoff=what.cutoff,
                    message_bodies=what.message_bodies,
                    outbox_bodies=what.outbox_bodies,
                    inbound_media=what.inbound_media,
                    lake_rows=what.lake_rows,
                    lake_files=what.lake_files,
                )
            )


def purge(
    engine: Engine, lake: Lake, landing: Path | None, warehouse: Path, now: datetime | None = None
) -> dict[str, Any]:
    """The whole purge: the store, then every file, then the warehouse; recorded per
    organization. Returns a summary for the run's metadata."""
    ran_at = now or utcnow()
    limits = cutoffs(engine, ran_at)
    if not limits:
        return {"organizations": 0}
    purged = purge_store(engine, limits)
    purge_files(message_event_files(lake, landing), purged, lake)
    removed = (
        drop_warehouse(warehouse)
        if any(p.lake_rows or p.message_bodies for p in purged.values())
        else []
    )
    record(engine, purged, ran_at)
    return {
        "organizations": len(purged),
        "message_bodies": sum(p.message_bodies for p in purged.values()),
        "outbox_bodies": sum(p.outbox_bodies for p in purged.values()),
        "inbound_media": sum(p.inbound_media for p in purged.values()),
        "lake_rows": sum(p.lake_rows for p in purged.values()),
        "lake_files": len({f for p in purged.values() for f in p.lake_files}),
        "warehouse_dropped": bool(removed),
    }
