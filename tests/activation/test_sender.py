"""The sender against the emulator: exactly once, retries, permanent errors, quota, quiet hours,
bad rows, and concurrent senders."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import replace
from datetime import time
from typing import Any
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select, update

from coaching.domain import TIER_LIMITS, Tier
from coaching.lake import published_mart
from coaching.store.engine import transaction
from coaching.store.tables import (
    Content,
    Journey,
    JourneyPhase,
    MessageEvent,
    Organization,
    Touchpoint,
    Worker,
)
from coaching.store.types import new_id
from tests.activation.conftest import SCHEDULE_SCHEMA, Rig


def test_due_rows_are_sent_once_however_often_activation_runs(rig: Rig) -> None:
    rig.publish([rig.row(w) for w in rig.workers[:20]])
    first = rig.activate()
    assert first.enqueued.claimed == 20 and first.outcomes["sent"] == 20
    again = rig.activate(passes=2)
    assert again.enqueued.already_claimed == 20 and again.outcomes["sent"] == 0
    log = rig.emulator.log()
    assert sorted(m["to"].removeprefix("whatsapp:") for m in log) == sorted(
        w["phone"] for w in rig.workers[:20]
    )
    # The window is closed for everyone (nobody wrote in), so each went as a template with
    # the worker's first name resolved.
    assert {m["content_sid"] for m in log} == {rig.row(rig.workers[0])["template_sid"]}
    assert all(m["content_variables"].startswith('{"1": "Amina') for m in log)
    assert all(m["validity_period"] for m in log)
    engine = rig.engine
    with transaction(engine) as session:
        events = list(session.scalars(select(MessageEvent).where(MessageEvent.kind == "outbound")))
    engine.dispose()
    assert len(events) == 20 and {e.status for e in events} == {"queued"}
    assert {o.status for o in rig.outbox()} == {"sent"}


def test_free_text_inside_the_window(rig: Rig) -> None:
    person = rig.workers[0]
    engine = rig.engine
    with transaction(engine) as session:
        from datetime import UTC, datetime

        session.add(
            MessageEvent(
                organization_id=rig.organization_id,
                event_key="SMx:received",
                kind="inbound",
                message_sid="SMx",
                status="received",
                channel="whatsapp",
                worker_id=person["id"],
                from_number=person["phone"],
                occurred_at=datetime.now(UTC),
            )
        )
    engine.dispose()
    rig.publish([rig.row(person, message_type="text")])
    assert rig.activate().outcomes["sent"] == 1
    (message,) = rig.emulator.log()
    assert message["body"] == f"Tip for {person['phone']}" and message["content_sid"] is None


def test_429_and_5xx_are_retried_until_sent_exactly_once(rig: Rig) -> None:
    rig.emulator.control("faults", {"rate_429": 0.2, "rate_5xx": 0.2, "seed": 4})
    rig.publish([rig.row(w) for w in rig.workers])
    report = rig.activate(passes=40, max_attempts=30)
    assert report.outcomes["sent"] + report.outcomes["reconciled_sent"] == len(rig.workers), (
        report.outcomes
    )
    assert report.outcomes["retried"] > 0
    counts = Counter(rig.sent_to())
    assert set(counts.values()) == {1} and len(counts) == len(rig.workers)
    assert max(o.attempts for o in rig.outbox()) > 1


def test_a_timeout_is_checked_with_twilio_before_any_resend(rig: Rig) -> None:
    people = rig.workers[:4]
    rig.publish([rig.row(w) for w in people])
    # Twilio accepts every message but answers too late: the sender cannot know they went out.
    rig.emulator.control("faults", {"rate_lost_response": 1.0, "timeout_seconds": 1.0})
    first = rig.activate(request_timeout=0.3)
    assert first.outcomes["uncertain"] == 4 and len(rig.emulator.log()) == 4, first.outcomes
    rig.emulator.control("faults", {"rate_lost_response": 0.0})
    second = rig.activate()
    assert second.outcomes["reconciled_sent"] == 4 and second.outcomes["sent"] == 0
    assert Counter(rig.sent_to()) == Counter({w["phone"]: 1 for w in people})
    assert {o.status for o in rig.outbox()} == {"sent"}


def test_a_timeout_with_nothing_accepted_is_sent_again(rig: Rig) -> None:
    rig.emulator.control("faults", {"rate_timeout": 1.0, "timeout_seconds": 1.0})
    rig.publish([rig.row(w) for w in rig.workers[:3]])
    assert rig.activate(request_timeout=0.3).outcomes["uncertain"] == 3
    rig.emulator.control("faults", {"rate_timeout": 0.0})
    second = rig.activate()
    assert second.outcomes["reconciled_requeued"] == 3 and second.outcomes["sent"] == 3
    assert Counter(rig.sent_to()) == Counter({w["phone"]: 1 for w in rig.workers[:3]})


def test_retries_are_bounded_then_dead_lettered(rig: Rig) -> None:
    rig.emulator.control("faults", {"rate_5xx": 1.0})
    rig.publish([rig.row(rig.workers[0])])
    report = rig.activate(passes=6, max_attempts=3)
    assert report.outcomes["dead"] == 1 and report.outcomes["retried"] == 2
    (row,) = rig.outbox()
    assert row.status == "dead" and row.attempts == 3 and rig.emulator.log() == []


def test_21610_is_not_retried_and_opts_the_worker_out(rig: Rig) -> None:
    person = rig.workers[0]
    rig.emulator.control("opt-out", {"numbers": [person["phone"]]})
    rig.publish([rig.row(person), rig.row(rig.workers[1])])
    report = rig.activate(passes=3)
    assert report.outcomes["opted_out"] == 1 and report.outcomes["sent"] == 1
    failed = next(o for o in rig.outbox() if o.worker_id == person["id"])
    assert failed.status == "failed" and failed.attempts == 1 and failed.last_error_code == 21610
    engine = rig.engine
    with transaction(engine) as session:
        assert session.get(Worker, person["id"]).whatsapp_opt_out_at is not None
    engine.dispose()
    # A later touchpoint for the same worker is skipped at send time, not sent.
    rig.publish([rig.row(person)])
    assert rig.activate().outcomes["skipped"] == 1


def test_quota_holds_and_releases(rig: Rig) -> None:
    engine = rig.engine
    with transaction(engine) as session:
        session.execute(update(Organization).values(monthly_message_quota=5))
    rig.publish([rig.row(w) for w in rig.workers[:8]])
    report = rig.activate()
    assert report.outcomes["sent"] == 5 and report.outcomes["held"] == 3
    assert Counter(o.status for o in rig.outbox()) == {"sent": 5, "held": 3}
    with transaction(engine) as session:
        session.execute(update(Organization).values(monthly_message_quota=100))
    engine.dispose()
    report = rig.activate()
    assert report.outcomes["released"] == 3 and report.outcomes["sent"] == 3
    assert len(rig.emulator.log()) == 8


def _touchpoint(session: Any, organization_id: str, *, urgent: bool) -> str:
    """A touchpoint whose content is (or is not) flagged urgent."""
    content = Content(organization_id=organization_id, key=new_id()[:12], kind="template")
    content.is_urgent = urgent
    journey = Journey(organization_id=organization_id, name="Safety", status="published")
    session.add_all([content, journey])
    session.flush()
    phase = JourneyPhase(
        organization_id=organization_id, journey_id=journey.id, position=0, name="p"
    )
    session.add(phase)
    session.flush()
    touchpoint = Touchpoint(
        organization_id=organization_id, journey_id=journey.id, phase_id=phase.id, position=0,
        name="alert", kind="message", day_offset=0, local_send_time=time(9), content_id=content.id,
    )  # fmt: skip
    session.add(touchpoint)
    session.flush()
    return touchpoint.id


def test_urgent_content_goes_past_the_quota_up_to_the_grace_allowance(rig: Rig) -> None:
    """A basic organization at its quota: routine sends are held, urgent ones use the tier's
    grace allowance and no more; a new month releases the routine ones."""
    engine = rig.engine
    with transaction(engine) as session:
        session.execute(update(Organization).values(tier="basic", monthly_message_quota=4))
        urgent = _touchpoint(session, rig.organization_id, urgent=True)
        routine = _touchpoint(session, rig.organization_id, urgent=False)
    rows = [rig.row(w, touchpoint_id=routine) for w in rig.workers[:10]]
    rows += [rig.row(w, touchpoint_id=urgent) for w in rig.workers[10:14]]  # due after those
    rig.publish(rows)
    small_grace = {Tier.BASIC: replace(TIER_LIMITS[Tier.BASIC], grace_messages=3)}
    with mock.patch.dict(TIER_LIMITS, small_grace):
        report = rig.activate()
        # Quota 4 goes to the first routine rows; urgent ones then use the grace of 3.
        assert Counter((o.touchpoint_id == urgent, o.status) for o in rig.outbox()) == {
            (False, "sent"): 4,
            (False, "held"): 6,
            (True, "sent"): 3,
            (True, "held"): 1,
        }
        assert report.outcomes["held"] == 7 and len(rig.emulator.log()) == 7
        with transaction(engine) as session:
            session.execute(update(Organization).values(monthly_message_quota=9))
        report = rig.activate()
    # Two more within the quota: the held urgent row (it may use grace) and one routine row.
    assert report.outcomes["released"] == 2 and report.outcomes["sent"] == 2
    assert Counter((o.touchpoint_id == urgent, o.status) for o in rig.outbox()) == {
        (False, "sent"): 5,
        (False, "held"): 5,
        (True, "sent"): 4,
    }
    engine.dispose()


def test_weekly_digests_go_out_with_the_figures_the_warehouse_computed(rig: Rig) -> None:
    """worker_digests is read beside the schedule; its field_values fill the placeholders."""
    mapping = {"1": "first_name", "2": "week_points", "3": "team_rank", "4": "team_size"}
    digest = {
        "body": "Hi {{1}}: {{2}} points, #{{3}} of {{4}}",
        "template_variables": json.dumps(mapping),
    }
    rows = [
        rig.row(rig.workers[0], **digest) | {"field_values": json.dumps(
            {"week_points": 40, "team_rank": 2, "team_size": 9, "streak_days": 3}
        )},
        rig.row(rig.workers[1], **digest) | {"field_values": json.dumps({"week_points": 0})},
    ]  # fmt: skip
    rig.publish([])
    target = published_mart(rig.settings.lake_dir, "worker_digests")
    schema = SCHEDULE_SCHEMA.append(pa.field("field_values", pa.string()))
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), target)
    report = rig.activate()
    assert report.enqueued.claimed == 2 and report.outcomes["sent"] == 1
    (sent,) = rig.emulator.log()
    assert json.loads(sent["content_variables"]) == {"1": "Amina", "2": "40", "3": "2", "4": "9"}
    failed = next(o for o in rig.outbox() if o.worker_id == rig.workers[1]["id"])
    assert failed.status == "failed" and "team_rank" in failed.last_error  # never half-filled


def test_quiet_hours_defer_to_their_end(rig: Rig) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)).time(), (now + timedelta(hours=2)).time()
    engine = rig.engine
    with transaction(engine) as session:
        session.execute(
            update(Organization).values(
                quiet_hours_start=start.replace(microsecond=0),
                quiet_hours_end=end.replace(second=0, microsecond=0),
            )
        )
    engine.dispose()
    rig.publish([rig.row(rig.workers[0])])
    report = rig.activate()
    assert report.outcomes["deferred"] == 1 and rig.emulator.log() == []
    (row,) = rig.outbox()
    assert row.status == "pending" and row.next_attempt_at > now + timedelta(hours=1)
    assert row.next_attempt_at.time().replace(second=0) == end.replace(second=0, microsecond=0)
    assert isinstance(start, time)


def test_bad_rows_are_rejected_with_a_reason_and_the_rest_go(rig: Rig) -> None:
    deleted = rig.workers[3]
    engine = rig.engine
    from datetime import UTC, datetime

    with transaction(engine) as session:
        session.execute(
            update(Worker).where(Worker.id == deleted["id"]).values(deleted_at=datetime.now(UTC))
        )
        session.execute(
            update(Worker).where(Worker.id == rig.workers[4]["id"]).values(display_name=None)
        )
    rows = [
        rig.row(rig.workers[0], to_number="0700-123"),
        rig.row(rig.workers[1], template_sid="HX" + "f" * 32),
        rig.row(deleted),
        rig.row(rig.workers[4]),  # the template needs a first name the worker does not have
        rig.row(rig.workers[5]),
    ]
    rig.publish(rows)
    report = rig.activate()
    assert (
        report.enqueued.rejected == 3
        and report.outcomes["sent"] == 1
        and report.outcomes["failed"] == 1
    )
    reasons = {o.worker_id: (o.status, o.last_error) for o in rig.outbox()}
    assert "invalid phone" in reasons[rig.workers[0]["id"]][1]
    assert "unknown template" in reasons[rig.workers[1]["id"]][1]
    assert "deleted" in reasons[deleted["id"]][1]
    assert "missing template variables" in reasons[rig.workers[4]["id"]][1]
    with transaction(engine) as session:
        failures = list(
            session.scalars(select(MessageEvent).where(MessageEvent.status == "failed"))
        )
    engine.dispose()
    assert len(failures) == 4
    assert rig.sent_to() == [rig.workers[5]["phone"]]


def test_two_senders_at_once_never_send_the_same_row(any_rig: Rig) -> None:
    rig = any_rig
    rig.publish([rig.row(w) for w in rig.workers])
    rig.activate(max_batches=0)  # claim the schedule into the outbox first; then race on it
    rig.emulator.control("faults", {"latency_ms": 100})
    reports = []

    def run(name: str) -> None:
        reports.append(rig.activate(sender_id=name, batch=3, in_flight=3))

    threads = [threading.Thread(target=run, args=(f"sender-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.outcomes["sent"] for r in reports) == len(rig.workers)
    assert all(r.outcomes["sent"] > 0 for r in reports), (
        f"both senders should have taken work: {reports}"
    )
    counts = Counter(rig.sent_to())
    assert len(counts) == len(rig.workers) and set(counts.values()) == {1}
