"""The notifier on a built world against the simulator's planted truth, through a real SMTP server
and a real webhook endpoint: each trigger raises what was planted, each notice is delivered once
under refusals, outages and a kill -9, preferences are kept, and a manager who left is stood in
for by the admins."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import Engine, select, update

from activation.notifications.claim import claim, read_due
from activation.notifications.deliver import Deliverer
from activation.notifications.receivers import LocalSMTPServer, LocalWebhookReceiver
from activation.notifications.service import notify_once
from coaching.domain import Role
from coaching.notifications import DeliveryStatus, NotificationKind
from coaching.settings import Settings
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationWebhook,
    Program,
    User,
)
from tests.orchestration.test_journey_rules import _touched_by_planted_faults
from tests.worlds import copy_store

SECRET = "webhook-secret-" + "x" * 20


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def world(built_world, tmp_path: Path) -> tuple[Settings, dict[str, Any], Engine]:
    """The built world's lake, with a copy of its store this test may change."""
    settings, manifest, _ = built_world
    mine = copy_store(settings, tmp_path)
    engine = store_engine(mine)
    yield mine, manifest, engine
    engine.dispose()


@pytest.fixture
def smtp():
    with LocalSMTPServer() as server:
        yield server


def _with_smtp(settings: Settings, smtp: LocalSMTPServer) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})


def _pass(settings: Settings, engine: Engine, clock: Clock) -> Any:
    deliverer = Deliverer(settings, engine, clock=clock)
    try:
        return notify_once(settings, engine, deliverer, clock=clock)
    finally:
        deliverer.webhooks.close()


def _notifications(engine: Engine, kind: str) -> list[Notification]:
    with transaction(engine) as session:
        rows = list(session.scalars(select(Notification).where(Notification.kind == kind)))
        session.expunge_all()
    return rows


def _deliveries(engine: Engine) -> list[NotificationDelivery]:
    with transaction(engine) as session:
        rows = list(session.scalars(select(NotificationDelivery)))
        session.expunge_all()
    return rows


def test_each_trigger_raises_what_the_world_planted(world, smtp) -> None:
    settings, manifest, engine = world
    settings = _with_smtp(settings, smtp)
    report = _pass(settings, engine, Clock())
    truth = manifest["notifications"]

    declines = _notifications(engine, NotificationKind.WELLBEING_DECLINE)
    slack = len(_touched_by_planted_faults(settings, manifest))
    assert truth["wellbeing"]["declining"] > 10
    assert abs(len(declines) - truth["wellbeing"]["declining"]) <= slack
    assert truth["wellbeing"]["planted_and_declining"] > 0

    bulk = {(n.subject_id, n.period) for n in _notifications(engine, NotificationKind.BULK_OPT_OUT)}
    assert bulk == {(b["program_id"], b["date"]) for b in truth["bulk_opt_outs"]}
    assert any(b["planted"] for b in truth["bulk_opt_outs"])

    # The quotas planted tight: past 80% (a warning) and past 100% (a warning and reached).
    quota = {
        (n.organization_id, n.kind)
        for kind in (NotificationKind.QUOTA_WARNING, NotificationKind.QUOTA_REACHED)
        for n in _notifications(engine, kind)
    }
    assert quota == {(q["organization_id"], k) for q in truth["quota"] for k in q["kinds"]}
    assert len(truth["quota"]) == 2

    # Each went to the program's manager (quota notices: the admins), in the inbox and by email,
    # and the mail arrived.
    with transaction(engine) as session:
        managers = dict(session.execute(select(Program.id, Program.manager_id)).all())
        roles = dict(session.execute(select(User.id, User.role)).all())
        kinds = dict(session.execute(select(Notification.id, Notification.kind)).all())
    deliveries = _deliveries(engine)
    for delivery in deliveries:
        to_admins = kinds[delivery.notification_id].startswith("quota")
        assert roles[delivery.user_id] == (Role.ADMIN if to_admins else Role.PROGRAM_MANAGER)
        assert delivery.status == DeliveryStatus.SENT
    assert {d.user_id for d in deliveries if roles[d.user_id] != Role.ADMIN} <= set(
        managers.values()
    )
    assert Counter(d.channel for d in deliveries) == {
        "inbox": report.claimed.claimed,
        "email": report.claimed.claimed,
    }
    with transaction(engine) as session:
        titles = dict(session.execute(select(Notification.id, Notification.title)).all())
    assert sorted(m.subject for m in smtp.mails) == sorted(
        titles[d.notification_id] for d in deliveries if d.channel == "email"
    )
    assert all("{" not in n.body for n in declines)  # every variable was filled

    # A second pass claims nothing again and sends nothing again.
    again = _pass(settings, engine, Clock())
    assert again.claimed.claimed == 0 and again.claimed.already_claimed == report.claimed.due
    assert len(smtp.mails) == report.claimed.claimed


def test_quota_notices_go_to_the_admins_once_each_per_month(world, smtp) -> None:
    """Rows shaped as notifications_due raises them for an organization over 80% and 100% of the
    month's quota: each is claimed once, for every admin, in the inbox and by email."""
    settings, _, engine = world
    gold = Path(settings.lake_dir) / "gold"
    org, sent = duckdb.sql(
        f"select organization_id, count(*) from '{gold}/messages.parquet' group by all limit 1"
    ).fetchall()[0]
    rows = [
        {
            "notification_key": f"{kind}:{org}:2026-10",
            "organization_id": org,
            "kind": kind,
            "subject_type": "organization",
            "subject_id": org,
            "period": "2026-10",
            "severity": "warning",
            "recipient_user_id": None,
            "recipient_role": "admin",
            "program_id": None,
            "measured": share,
            "reference": share,
            "detail": f"{sent} of {int(sent / share)}",
        }
        for kind, share in (("quota_warning", 0.9), ("quota_reached", 1.0))
    ]
    first = claim(engine, rows, Clock()(), email_enabled=True)
    second = claim(engine, rows, Clock()(), email_enabled=True)
    assert first.claimed == 2 and second.claimed == 0 and second.already_claimed == 2
    with transaction(engine) as session:
        admins = set(
            session.scalars(
                select(User.id).where(User.organization_id == org, User.role == Role.ADMIN)
            )
        )
    deliveries = _deliveries(engine)
    assert admins and {d.user_id for d in deliveries} == admins
    assert len(deliveries) == 2 * 2 * len(admins)  # two notices, inbox and email each
    titles = {n.title for n in _notifications(engine, "quota_warning")}
    assert titles and all("90%" in t for t in titles)


def test_faults_are_retried_then_delivered_once_or_dead_lettered(world, smtp) -> None:
    settings, _, engine = world
    settings = _with_smtp(settings, smtp).model_copy(update={"notification_attempts": 4})
    with LocalWebhookReceiver(SECRET) as hook:
        organizations = {
            row["organization_id"] for row in read_due(settings.lake_dir, settings.duckdb_limits)
        }
        with transaction(engine) as session:
            for org in organizations:
                session.add(
                    NotificationWebhook(
                        organization_id=org, name="chat", url=hook.url, secret=SECRET
                    )
                )
        smtp.refuse("451 4.3.0 mailbox busy, try again", times=3)
        hook.fail(500, times=2)
        hook.fail(503, times=1)
        clock = Clock()
        first = _pass(settings, engine, clock)
        assert first.delivered.retrying["email"] == 3
        assert first.delivered.retrying["webhook"] == 3
        for _ in range(6):  # let the backoff pass, a pass at a time
            clock.at += timedelta(hours=2)
            _pass(settings, engine, clock)
        deliveries = _deliveries(engine)
        outgoing = [d for d in deliveries if d.channel != "inbox"]
        assert {d.status for d in outgoing} == {DeliveryStatus.SENT}
        emails = [d for d in outgoing if d.channel == "email"]
        hooks = [d for d in outgoing if d.channel == "webhook"]
        # Never twice: one mail per email delivery, one call per webhook delivery.
        assert len(smtp.mails) == len(emails) == len({m.message_id for m in smtp.mails})
        assert len(hook.calls) == len(hooks) == len({c.delivery for c in hook.calls})
        assert all(c.signed for c in hook.calls)
        assert {c.payload["notification"]["kind"] for c in hook.calls} <= {
            "wellbeing_decline",
            "bulk_opt_out",
            "quota_warning",
            "quota_reached",
        }

        # An endpoint that keeps failing is given up after the last attempt, and the admins are
        # told in their inbox.
        with transaction(engine) as session:
            session.execute(update(Notification).values(key=Notification.key + ":old"))
            session.execute(
                update(NotificationDelivery).values(
                    idempotency_key=NotificationDelivery.idempotency_key + ":old"
                )
            )
        hook.fail(500, times=1_000)
        clock.at += timedelta(days=1)
        for _ in range(6):
            _pass(settings, engine, clock)
            clock.at += timedelta(hours=3)
        dead = [
            d
            for d in _deliveries(engine)
            if d.channel == "webhook" and d.status == DeliveryStatus.DEAD
        ]
        assert dead and all(d.attempts == 4 for d in dead)
        notices = _notifications(engine, NotificationKind.DELIVERY_FAILED)
        assert len(notices) == len(dead)
        with transaction(engine) as session:
            told = session.execute(
                select(User.role, NotificationDelivery.channel)
                .join(User, User.id == NotificationDelivery.user_id)
                .where(NotificationDelivery.notification_id.in_([n.id for n in notices]))
            ).all()
        assert told and {role for role, _ in told} == {Role.ADMIN}
        assert {channel for _, channel in told} == {"inbox"}


def test_preferences_and_a_manager_who_left(world, smtp) -> None:
    settings, _, engine = world
    settings = _with_smtp(settings, smtp)
    with transaction(engine) as session:
        programs = list(session.scalars(select(Program).where(Program.manager_id.is_not(None))))
        muted, inbox_only, gone = (programs + programs)[:3]
        session.add_all(
            [
                NotificationPreference(
                    organization_id=muted.organization_id,
                    user_id=muted.manager_id,
                    kind=NotificationKind.WELLBEING_DECLINE,
                    channels=["inbox", "email"],
                    muted=True,
                ),
                NotificationPreference(
                    organization_id=inbox_only.organization_id,
                    user_id=inbox_only.manager_id,
                    kind=NotificationKind.WELLBEING_DECLINE,
                    channels=["inbox"],
                ),
            ]
        )
        session.execute(update(User).where(User.id == gone.manager_id).values(deleted_at=Clock()()))
        ids = (muted.manager_id, inbox_only.manager_id, gone.manager_id, gone.organization_id)
    _pass(settings, engine, Clock())
    by_user: dict[str | None, Counter[str]] = {}
    notes = set()
    for d in _deliveries(engine):
        by_user.setdefault(d.user_id, Counter())[d.channel] += 1
        if d.note:
            notes.add(d.note)
    muted_id, inbox_id, gone_id, gone_org = ids
    assert muted_id not in by_user or muted_id == inbox_id
    if inbox_id != muted_id:
        assert inbox_id in by_user and by_user[inbox_id]["email"] == 0
    assert gone_id not in by_user
    with transaction(engine) as session:
        admins = set(
            session.scalars(
                select(User.id).where(User.organization_id == gone_org, User.role == Role.ADMIN)
            )
        )
    assert admins & set(by_user)  # the admins stood in
    assert notes == {"the recipient left the organization"}


def test_kill_9_mid_delivery_then_every_notice_arrives(world, tmp_path: Path) -> None:
    """A notifier killed while mails are in flight leaves them `sending`; the next one
    reconciles and resends under the same Message-ID, so nothing is lost and a receiver that
    drops repeated Message-IDs (as mailbox providers do) sees each notice once."""
    settings, _, engine = world
    with LocalSMTPServer(delay=0.15) as smtp:
        env = {
            **os.environ,
            "COACH_HOME": str(settings.home),
            "COACH_DATABASE_URL": settings.database_url or "",
            "COACH_LAKE_DIR": str(settings.lake_dir),
            "COACH_SMTP_HOST": "127.0.0.1",
            "COACH_SMTP_PORT": str(smtp.port),
        }
        command = [sys.executable, "-m", "coaching.cli", "notify", "--lease-seconds", "0"]
        victim = subprocess.Popen(command, env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while len(smtp.mails) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()
        assert len(smtp.mails) >= 5
        statuses = Counter(d.status for d in _deliveries(engine) if d.channel == "email")
        assert statuses[DeliveryStatus.PENDING] + statuses[DeliveryStatus.SENDING] > 0
        subprocess.run(command, env=env, check=True, timeout=300)
        emails = [d for d in _deliveries(engine) if d.channel == "email"]
        assert {d.status for d in emails} == {DeliveryStatus.SENT}
        ids = Counter(m.message_id for m in smtp.mails)
        assert len(ids) == len(emails)  # every notice arrived
        assert sum(ids.values()) - len(ids) <= 1  # at most the one in flight, same Message-ID
