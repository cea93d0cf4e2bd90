"""The store side of the retention purge on each backend: only bodies past an organization's
cutoff go, in one transaction, and files of the lake are rewritten only where rows are covered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select

from coaching.lake import Lake
from coaching.retention import cutoff
from coaching.store import migrate
from coaching.store.engine import make_engine, transaction
from coaching.store.tables import InboundMedia, MessageEvent, Organization, OutboxMessage, Worker
from coaching.store.types import new_id
from orchestration.lib.retention import Purged, cutoffs, purge_files, purge_store
from tests.store_keys import TEST_FIELD_KEYS

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _organization(session, slug: str, days: int | None) -> str:
    org = Organization(
        id=new_id(), name=slug, slug=f"{slug}-{new_id()[:8]}", type="client", tier="basic",
        monthly_message_quota=5000, message_retention_days=days,
    )  # fmt: skip
    session.add(org)
    session.flush()
    return org.id


def _reply(session, org: str, body: str, days_ago: int) -> MessageEvent:
    sid = f"SM{new_id().replace('-', '')}"
    event = MessageEvent(
        organization_id=org, event_key=f"{sid}:received", kind="inbound", message_sid=sid,
        status="received", channel="whatsapp", body=body, payload={"Body": body},
        occurred_at=NOW - timedelta(days=days_ago), received_at=NOW,
    )  # fmt: skip
    session.add(event)
    return event


def test_the_store_loses_only_what_is_past_each_cutoff(private_store_url: str) -> None:
    engine = make_engine(private_store_url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    with transaction(engine) as session:
        keeping = _organization(session, "keeps-everything", None)
        strict = _organization(session, "keeps-a-week", 7)
        worker = Worker(organization_id=strict, phone_e164="+254700000001")
        session.add(worker)
        old = _reply(session, strict, "old and private", 10)
        _reply(session, strict, "recent", 2)
        _reply(session, keeping, "old but kept", 10)
        session.flush()
        session.add(
            InboundMedia(
                organization_id=strict, message_event_id=old.id, message_sid=old.message_sid,
                position=0, url="https://media/1", content_type="image/png",
                received_at=old.occurred_at,
            )
        )  # fmt: skip
        for key, status, days in (("sent-old", "sent", 9), ("pending-old", "pending", 9)):
            session.add(
                OutboxMessage(
                    organization_id=strict, idempotency_key=f"{key}-{new_id()}",
                    worker_id=worker.id, to_number=worker.phone_e164, body=key, status=status,
                    due_at=NOW - timedelta(days=days),
                )
            )  # fmt: skip
    limits = cutoffs(engine, NOW)
    assert limits == {strict: cutoff(NOW, 7)}
    purged = purge_store(engine, limits)
    with engine.connect() as connection:
        bodies = connection.scalars(
            select(MessageEvent.body).where(MessageEvent.organization_id.in_([strict, keeping]))
        ).all()
        payloads = connection.scalars(
            select(MessageEvent.payload).where(
                MessageEvent.organization_id == strict, MessageEvent.body.is_(None)
            )
        ).all()
        outbox = dict(
            connection.execute(
                select(OutboxMessage.status, OutboxMessage.body).where(
                    OutboxMessage.organization_id == strict
                )
            ).all()
        )
        media = connection.scalar(
            select(InboundMedia.id).where(InboundMedia.organization_id == strict)
        )
    engine.dispose()
    assert sorted(b for b in bodies if b) == ["old but kept", "recent"] and len(bodies) == 3
    assert payloads == [{}]
    assert outbox == {"sent": None, "pending": "pending-old"}  # not yet sent: not history
    assert media is None
    what = purged[strict]
    assert (what.message_bodies, what.outbox_bodies, what.inbound_media) == (1, 1, 1)


def test_files_are_rewritten_only_where_rows_are_covered(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    folder = lake.bronze / "message_events" / "event_date=2026-11-20"
    folder.mkdir(parents=True)
    covered, untouched = folder / "part-0.parquet", lake.raw / "message_events" / "b.parquet"
    untouched.parent.mkdir(parents=True)
    rows = (
        "select * from (values ('o1', timestamptz '2026-11-20 10:00:00+00', 'secret', 'x'), "
        "('o1', timestamptz '2026-12-06 10:00:00+00', 'new', 'y'), "
        "('o2', timestamptz '2026-11-20 10:00:00+00', 'other', 'z')) "
        "t(organization_id, occurred_at, body, event_key)"
    )
    con = duckdb.connect()  # a connection of its own: the default one is every test's
    con.execute(f"copy ({rows}) to '{covered}' (format parquet)").fetchall()
    con.execute(f"copy ({rows} where organization_id = 'o2') to '{untouched}' (format parquet)")
    con.fetchall()
    before = untouched.stat().st_mtime_ns
    purged = {"o1": Purged(datetime(2026, 12, 1, tzinfo=UTC))}
    purge_files([covered, untouched], purged, lake)
    kept = con.execute(
        f"select body from read_parquet('{covered}', hive_partitioning = false) order by event_key"
    ).fetchall()
    con.close()
    assert kept == [(None,), ("new",), ("other",)]
    assert untouched.stat().st_mtime_ns == before
    assert purged["o1"].lake_rows == 1 and purged["o1"].lake_files == {str(covered): 1}


@pytest.mark.parametrize("days", [0, 3651])
def test_a_retention_outside_its_bounds_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        cutoff(NOW, days)
