"""The demo's closed loop on one machine: the Twilio emulator and the API run beside the pipeline,
activation sends through the SDK, Twilio's callbacks and the workers' replies come back signed
through the API's webhooks into the store, and the next ingest and build see them.

The emulator is told what Twilio would know about the simulated world: who opted out, and when
each worker last wrote (the 24-hour window).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from activation.emulator import EmulatorThread, Faults
from activation.sender import SenderConfig
from activation.service import activate as activate_passes
from api.server import ApiThread, free_port
from coaching import clock
from coaching.domain import EventKind
from coaching.settings import Settings, load_settings
from coaching.store import migrate
from coaching.store.engine import make_engine, transaction
from coaching.store.tables import MessageEvent, Organization, OutboxMessage, Worker

REPLIES = ("1", "2", "Thank you", "A", "B", "Yes", "Done")


@dataclass
class LoopSummary:
    activation: dict[str, int] = field(default_factory=dict)
    outbox: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)  # final status per message we sent
    sids: set[str] = field(default_factory=set)  # what this run sent
    accepted_by_twilio: int = 0
    sent_rows: int = 0
    replies: int = 0
    opt_outs: int = 0

    @property
    def double_sent(self) -> int:
        return self.accepted_by_twilio - self.sent_rows


@contextmanager
def local_services(settings: Settings) -> Iterator[tuple[Settings, EmulatorThread]]:
    """The emulator and the API on free local ports; yields settings pointing at both."""
    api_port = free_port()
    log = settings.home / "twilio" / "messages.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    public = f"http://127.0.0.1:{api_port}"
    emulator = EmulatorThread(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        log,
        faults=Faults(fail_rate=0.03, seed=11),  # some handsets are unreachable, as in life
        inbound_url=f"{public}/webhooks/twilio/inbound",
    )
    local = load_settings(
        {},
        **{
            name: value
            for name, value in settings.model_dump().items()
            if value is not None and name not in ("twilio_api_url", "api_public_url")
        },
        twilio_api_url=emulator.url,
        api_public_url=public,
    )
    engine = make_engine(local.database_url or "")
    migrate.upgrade(engine)  # the API and activation need the current schema
    engine.dispose()
    api = ApiThread(local, api_port)
    try:
        yield local, emulator
    finally:
        api.stop()
        emulator.stop()


def tell_twilio_what_it_knows(settings: Settings, emulator: EmulatorThread) -> None:
    engine = make_engine(settings.database_url or "")
    with transaction(engine) as session:
        opted_out = list(
            session.scalars(
                select(Worker.phone_e164).where(Worker.whatsapp_opt_out_at.is_not(None))
            )
        )
        last_inbound = session.execute(
            select(Worker.phone_e164, func.max(MessageEvent.occurred_at))
            .join(MessageEvent, MessageEvent.worker_id == Worker.id)
            .where(MessageEvent.kind == EventKind.INBOUND)
            .group_by(Worker.phone_e164)
        ).all()
    engine.dispose()
    emulator.call(emulator.emulator.remember(opted_out, dict(last_inbound)))


def day_to_replay(settings: Settings) -> list[datetime]:
    """The hours of the world's last day that have sends due, as the moments to run a pass at
    (the end of each hour), so the demo sends that day's schedule as a live sender would."""
    import duckdb

    path = settings.lake_dir / "gold" / "activation_schedule.parquet"
    with duckdb.connect() as con:
        hours = con.execute(
            "select distinct date_trunc('hour', due_at) + interval 59 minute from read_parquet(?) "
            "where is_due and due_at >= (select max(due_at) from read_parquet(?) where is_due) "
            "- interval 24 hour order by 1",
            [str(path), str(path)],
        ).fetchall()
    return [moment.astimezone(UTC) for (moment,) in hours]


def _settled(emulator: EmulatorThread, sids: set[str]) -> bool:
    finals = {"delivered", "read", "failed", "undelivered"}
    messages = emulator.emulator.messages
    return all(messages.get(sid, {}).get("status") in finals for sid in sids)


def run_loop(
    settings: Settings,
    progress: Callable[[str], None] = lambda _m: None,
    reply_share: float = 0.35,
    seed: int = 7,
) -> LoopSummary:
    summary = LoopSummary()
    with local_services(settings) as (local, emulator):
        tell_twilio_what_it_knows(local, emulator)
        progress(f"Twilio emulator on {emulator.url}; API (webhooks) on {local.api_public_url}")
        hours = day_to_replay(local)
        config = SenderConfig(seed=seed)
        for moment in hours:  # the sender's passes through the day, on the world's clock
            with clock.shifted_to(moment):
                report = activate_passes(local, config, passes=1)
            for name, count in report.counts().items():
                if name not in ("due", "already_claimed"):  # those repeat from pass to pass
                    summary.activation[name] = summary.activation.get(name, 0) + count
        progress(f"{len(hours)} sender passes through the last simulated day")
        end = (hours[-1] if hours else clock.now()) + timedelta(minutes=1)
        with clock.shifted_to(end):
            engine = make_engine(local.database_url or "")
            with transaction(engine) as session:
                sent = list(
                    session.scalars(
                        select(OutboxMessage).where(OutboxMessage.message_sid.is_not(None))
                    )
                )
                orgs = dict(
                    session.execute(select(Organization.id, Organization.whatsapp_sender)).all()
                )
            sids = summary.sids = {row.message_sid for row in sent}
            progress(f"{len(sids)} messages accepted; waiting for Twilio's status callbacks")
            deadline = time.monotonic() + 120
            while not _settled(emulator, sids) and time.monotonic() < deadline:
                time.sleep(0.2)
            # Some workers answer: their replies come in through Twilio and the inbound webhook.
            rng = random.Random(seed)
            messages = emulator.emulator.messages
            for row in sent:
                if (
                    messages[row.message_sid]["status"] in ("delivered", "read")
                    and rng.random() < reply_share
                ):
                    body = "STOP" if rng.random() < 0.03 else rng.choice(REPLIES)
                    emulator.call(_inbound(emulator, row, orgs[row.organization_id], body))
                    summary.replies += 1
                    summary.opt_outs += body == "STOP"
            progress(f"{summary.replies} workers replied through the inbound webhook")
            time.sleep(0.5)  # the last callbacks' retries, if any
            summary.statuses = Counter(messages[sid]["status"] for sid in sids)
            summary.accepted_by_twilio = len(messages)
            with transaction(engine) as session:
                summary.outbox = Counter(dict(session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                ).all()))  # fmt: skip
                summary.sent_rows = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.message_sid.is_not(None))
                )
            engine.dispose()
    return summary


async def _inbound(emulator: EmulatorThread, row: OutboxMessage, sender: str, body: str) -> None:
    """A worker's reply as Twilio delivers it: opens the window and posts the signed webhook."""
    await emulator.emulator.receive(f"whatsapp:{row.to_number}", f"whatsapp:{sender}", body)


def describe_loop(summary: LoopSummary) -> str:
    a = summary.activation
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(summary.statuses.items()))
    outbox = ", ".join(f"{k} {v}" for k, v in sorted(summary.outbox.items()))
    return "\n".join(
        [
            f"  schedule: {a.get('claimed', 0)} due sends claimed into the outbox, "
            f"{a.get('rejected', 0)} rejected, {a.get('new_assignments', 0)} new experiment assignments",
            f"  sent {a.get('sent', 0)}, held over quota {a.get('held', 0)}, skipped {a.get('skipped', 0)}, "
            f"deferred {a.get('deferred', 0)}, failed {a.get('failed', 0) + a.get('opted_out', 0)}",
            f"  final status by callback: {statuses or 'none'}",
            f"  replies {summary.replies} (opt-outs {summary.opt_outs}); outbox: {outbox}",
            f"  exactly once: Twilio accepted {summary.accepted_by_twilio} messages for "
            f"{summary.sent_rows} sent outbox rows ({summary.double_sent} double-sent)",
        ]
    )


def describe_seen(settings: Settings, summary: LoopSummary) -> str:
    """What the rebuilt fct_messages says about the messages this run sent."""
    import duckdb

    sids = sorted(summary.sids)
    if not sids:
        return "  nothing was sent, so there is nothing new for the marts to see"
    path = settings.lake_dir / "gold" / "fct_messages.parquet"
    with duckdb.connect() as con:
        con.execute("create temp table ours (message_sid varchar)")
        con.executemany("insert into ours values (?)", [(sid,) for sid in sids])
        rows = con.execute(
            "select final_status, count(*), count(*) filter (where replies > 0) from read_parquet(?) "
            "join ours using (message_sid) group by all order by 1",
            [str(path)],
        ).fetchall()
    seen = sum(count for _, count, _ in rows)
    by_status = ", ".join(f"{status} {count}" for status, count, _ in rows)
    replied = sum(r for _, _, r in rows)
    return (
        f"  fct_messages now holds {seen} of the {len(sids)} messages sent: {by_status}; "
        f"{replied} with a reply"
    )
