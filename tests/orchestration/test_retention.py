"""Retention on a small simulated world: one organization keeps message bodies three days; after
the retention job and the next ingest and build, no body older than that is anywhere under
COACH_HOME (the store's file, the landing folder, every lake layer, the warehouse), while newer
bodies and other organizations' stay, and the purge is recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, update

from coaching.settings import Settings
from coaching.simulator.config import SimulationConfig, today_utc
from coaching.simulator.run import simulate
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import (
    InboundMedia,
    MessageEvent,
    Organization,
    OutboxMessage,
    RetentionPurge,
    Worker,
)
from orchestration.runs import ingest, retention, transform
from tests.conftest import make_settings

RETENTION_DAYS = 3
TAG = uuid.uuid4().hex[:12]
PRIVATE = f"my private worry {TAG} (old)"
RECENT = f"what I wrote yesterday {TAG}"
ELSEWHERE = f"another organization's old reply {TAG}"
SENT = f"Hello, this went out long ago {TAG}"


def _plant(settings: Settings) -> dict[str, str]:
    """Replies in the store the simulator did not write: an old and a recent one in the first
    organization (it gets the retention), an old one in the second (it keeps everything), an old
    reply's photo and an old sent message."""
    now = datetime.now(UTC)
    engine = store_engine(settings)
    with transaction(engine) as session:
        orgs = list(session.scalars(select(Organization).where(Organization.type == "client")))
        mine, other = sorted(orgs, key=lambda o: o.slug)[:2]
        workers = {
            org.id: session.scalars(select(Worker).where(Worker.organization_id == org.id)).first()
            for org in (mine, other)
        }

        def reply(org: Organization, body: str, days_ago: float) -> MessageEvent:
            sid = f"SM{uuid.uuid4().hex}"
            event = MessageEvent(
                organization_id=org.id, event_key=f"{sid}:received", kind="inbound",
                message_sid=sid, status="received", channel="whatsapp",
                from_number=workers[org.id].phone_e164, to_number=org.whatsapp_sender,
                worker_id=workers[org.id].id, body=body, payload={"Body": body},
                occurred_at=now - timedelta(days=days_ago), received_at=now,
            )  # fmt: skip
            session.add(event)
            return event

        old = reply(mine, PRIVATE, 6)
        reply(mine, RECENT, 1)
        reply(other, ELSEWHERE, 6)
        session.flush()
        session.add(
            InboundMedia(
                organization_id=mine.id, message_event_id=old.id, message_sid=old.message_sid,
                worker_id=old.worker_id, position=0, url=f"https://api.twilio.com/media/{TAG}",
                content_type="image/jpeg", received_at=old.occurred_at,
            )
        )  # fmt: skip
        session.add(
            OutboxMessage(
                organization_id=mine.id, idempotency_key=f"retention-{TAG}",
                worker_id=workers[mine.id].id, to_number=workers[mine.id].phone_e164, body=SENT,
                status="sent", due_at=now - timedelta(days=5), sent_at=now - timedelta(days=5),
            )
        )  # fmt: skip
        ids = {"mine": mine.id, "other": other.id}
    engine.dispose()
    return ids


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, Any]]:
    settings = make_settings(tmp_path_factory.mktemp("retention"))
    simulate(settings, SimulationConfig(seed=53, workers=300, days=8, end_date=today_utc()))
    ids = _plant(settings)
    instance = dg.DagsterInstance.ephemeral()
    ingest(settings, instance)
    transform(settings, instance)
    purged, kept = _bodies(
        settings, ids["mine"], datetime.now(UTC) - timedelta(days=RETENTION_DAYS)
    )
    assert PRIVATE in purged and RECENT in kept and ELSEWHERE in kept
    engine = store_engine(settings)
    with engine.begin() as connection:
        connection.execute(
            update(Organization)
            .where(Organization.id == ids["mine"])
            .values(message_retention_days=RETENTION_DAYS)
        )
    engine.dispose()
    summary = retention(settings, instance)
    ingest(settings, instance)
    built = transform(settings, instance)
    return settings, {**ids, "purged": purged, "kept": kept, "summary": summary, "built": built}


def _bodies(settings: Settings, organization: str, cutoff: datetime) -> tuple[set[str], set[str]]:
    """(bodies only rows the purge covers hold, bodies of rows it keeps), as the raw lake has
    them: a text also sent to someone else or kept elsewhere is not the purged row's own."""
    raw = Path(settings.lake_dir) / "raw" / "message_events"
    rows = (
        duckdb.connect()
        .execute(
            f"select organization_id, occurred_at, body from read_parquet('{raw}/*.parquet', "
            "union_by_name = true) where body is not null"
        )
        .fetchall()
    )
    covered = {b for o, t, b in rows if o == organization and t < cutoff}
    kept = {b for o, t, b in rows if not (o == organization and t < cutoff)}
    return covered - kept, kept


def _texts_in_parquet(path: Path, wanted: set[str]) -> set[str]:
    table = pq.read_table(path)
    found: set[str] = set()
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            values = {v for v in column.to_pylist() if v is not None}
            found |= values & wanted
            found |= {w for w in wanted if w == PRIVATE and any(PRIVATE in v for v in values)}
    return found


def _texts_in_warehouse(path: Path, wanted: set[str]) -> set[str]:
    found: set[str] = set()
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR'"
        ).fetchall()
        con.execute(
            "create temp table wanted as select unnest(?::varchar[]) as text", [sorted(wanted)]
        )
        for schema, table, column in columns:
            found |= {
                r[0]
                for r in con.execute(
                    f'select distinct "{column}" from "{schema}"."{table}" '
                    f'where "{column}" in (select text from wanted)'
                ).fetchall()
            }
    return found


def test_no_purged_body_is_left_anywhere_on_disk(world) -> None:
    settings, facts = world
    assert facts["built"].failed_checks == []
    wanted: set[str] = facts["purged"] | {SENT}
    assert len(wanted) > 2  # the simulator's old replies and messages too, not only the plants
    simulation = Path(settings.simulation_dir)  # the simulator's own truth, not the product's
    searched, leaks = 0, {}
    for path in sorted(Path(settings.home).rglob("*")):
        if not path.is_file() or simulation in path.parents:
            continue
        searched += 1
        if path.suffix == ".parquet":
            found = _texts_in_parquet(path, wanted)
        elif path.suffix == ".duckdb":  # its tables, and its bytes (freed blocks too)
            data = path.read_bytes()
            found = _texts_in_warehouse(path, wanted) | {w for w in wanted if w.encode() in data}
        else:
            data = path.read_bytes()
            found = {w for w in wanted if w.encode() in data}
        if found:
            leaks[str(path.relative_to(settings.home))] = sorted(found)[:3]
    assert searched > 20 and leaks == {}


def test_newer_bodies_and_other_organizations_are_kept_and_the_purge_is_recorded(world) -> None:
    settings, facts = world
    engine = store_engine(settings)
    with engine.connect() as connection:
        bodies = set(connection.scalars(select(MessageEvent.body)))
        media = connection.scalar(select(InboundMedia.id).where(InboundMedia.url.contains(TAG)))
        outbox = connection.execute(
            select(OutboxMessage.body, OutboxMessage.status).where(
                OutboxMessage.idempotency_key == f"retention-{TAG}"
            )
        ).one()
        records = connection.execute(select(RetentionPurge)).mappings().all()
    engine.dispose()
    assert {RECENT, ELSEWHERE} <= bodies and PRIVATE not in bodies
    assert media is None and outbox == (None, "sent")
    assert len(records) == 1 and records[0]["organization_id"] == facts["mine"]
    record = records[0]
    # The store held the planted old reply; the simulated history came in as landing files.
    assert record["message_bodies"] == 1 and record["inbound_media"] == 1
    assert record["outbox_bodies"] == 1 and record["lake_rows"] >= len(facts["purged"])
    assert any("/bronze/" in path for path in record["lake_files"])
    assert facts["summary"]["warehouse_dropped"] is True
    # The rebuilt warehouse still holds what was kept.
    lake = Path(settings.lake_dir)
    kept = (
        duckdb.connect()
        .execute(
            f"select count(*) from read_parquet('{lake}/bronze/message_events/*/*.parquet') "
            "where body in (?, ?)",
            [RECENT, ELSEWHERE],
        )
        .fetchone()[0]
    )
    assert kept == 2
