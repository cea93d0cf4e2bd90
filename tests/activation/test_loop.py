"""The loop closes: status callbacks come back signed through the API's webhooks into the store,
and failures reported by callback are followed up (template once, SMS where allowed)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from sqlalchemy import select

from coaching.store.engine import transaction
from coaching.store.tables import MessageEvent
from tests.activation.conftest import Rig


def status_events(rig: Rig) -> list[Any]:
    engine = rig.engine
    with transaction(engine) as session:
        rows = list(session.scalars(select(MessageEvent).where(MessageEvent.kind == "status")))
    engine.dispose()
    return rows


def wait_for(predicate: Any, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)


def test_callbacks_reach_the_store_through_the_webhooks(any_rig: Rig) -> None:
    rig = any_rig
    rig.publish([rig.row(w) for w in rig.workers[:6]])
    assert rig.activate().outcomes["sent"] == 6
    sids = {o.message_sid for o in rig.outbox()}
    wait_for(
        lambda: (
            {e.message_sid for e in status_events(rig) if e.status in ("delivered", "read")} >= sids
        )
    )
    events = status_events(rig)
    by_message = Counter(e.message_sid for e in events)
    assert set(by_message) == sids
    assert all(
        {"queued", "sent", "delivered"} <= {e.status for e in events if e.message_sid == s}
        for s in sids
    )
    # Events carry what the outbox knew, so the next ingest links them to the worker.
    worker_of = {o.message_sid: o.worker_id for o in rig.outbox()}
    assert all(e.worker_id == worker_of[e.message_sid] for e in events)


def test_failures_reported_by_callback_are_followed_up(rig_with_api: Rig) -> None:
    rig = rig_with_api
    window_closed, filtered = rig.workers[0], rig.workers[1]
    rig.emulator.control("faults", {"failures": {filtered["phone"]: 30007}})
    # Free text believed in-window (the worker wrote 23 hours ago by our records)...
    from datetime import UTC, datetime, timedelta

    engine = rig.engine
    with transaction(engine) as session:
        for person in (window_closed, filtered):
            session.add(
                MessageEvent(
                    organization_id=rig.organization_id,
                    event_key=f"in-{person['id']}:received",
                    kind="inbound",
                    message_sid=f"in-{person['id']}"[:34],
                    status="received",
                    channel="whatsapp",
                    worker_id=person["id"],
                    from_number=person["phone"],
                    occurred_at=datetime.now(UTC) - timedelta(hours=23),
                )
            )
    engine.dispose()
    rig.emulator.control("sessions", {filtered["phone"]: datetime.now(UTC).isoformat()})
    # ...but Twilio has no session for the first: 63016 arrives by callback.
    rig.publish([rig.row(window_closed), rig.row(filtered)])
    assert rig.activate().outcomes["sent"] == 2
    wait_for(
        lambda: len([e for e in status_events(rig) if e.status in ("failed", "undelivered")]) == 2
    )
    report = rig.activate()
    assert report.outcomes["fallbacks"] == 2 and report.outcomes["sent"] == 2
    log = rig.emulator.log()
    to_closed = [m for m in log if m["to"] == f"whatsapp:{window_closed['phone']}"]
    assert [bool(m["content_sid"]) for m in to_closed] == [False, True]  # text, then the template
    sms = [m for m in log if m["to"] == filtered["phone"]]
    assert len(sms) == 1 and sms[0]["from"] == "+15550001111" and sms[0]["body"]
    assert rig.activate(passes=2).outcomes["fallbacks"] == 0  # queued once, however often it runs
