"""The demo's closed loop on one machine: with the Twilio emulator and the API running beside the
pipeline (`demo.services`), activation sends the world's last day through the SDK, Twilio's
callbacks and the workers' replies come back signed through the API's webhooks into the store,
and the next ingest and build see them.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from activation.emulator import EmulatorThread
from activation.sender import SenderConfig
from activation.service import activate as activate_passes
from coaching import clock
from coaching.settings import Settings
from coaching.store.engine import make_engine, transaction
from coaching.store.tables import Organization, OutboxMessage
from demo.services import local_services, tell_twilio_what_it_knows

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
