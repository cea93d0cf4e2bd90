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
from typing import Any

import duckdb
from sqlalchemy import func, select

from activation.emulator import EmulatorThread
from activation.enrollment_sync import SyncReport, program_names, sync_enrollments
from activation.sender import SenderConfig
from activation.service import activate as activate_passes
from coaching import clock
from coaching.lake import published_mart
from coaching.rendering import render
from coaching.settings import Settings
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import (
    Enrollment,
    ExperimentAssignment,
    Organization,
    OutboxMessage,
    Worker,
)
from demo.scenario import PlantedPrograms, delete_a_planned_member
from demo.services import local_services, tell_twilio_what_it_knows
from orchestration.runs import dagster_instance, ingest, transform

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
    sent_by_program: Counter[str] = field(default_factory=Counter)  # accepted sends per program
    sent_to_holdouts: int = 0
    # The weekly digests due by the replayed day, those sent, and one as Twilio received it.
    digests_due: int = 0
    digests: Counter[str] = field(default_factory=Counter)  # outbox status -> digests
    digest_example: str = ""
    # Interactive content and media this run sent, and how the workers answered.
    sent_as: Counter[str] = field(default_factory=Counter)  # buttons, list, media, text
    answers: Counter[str] = field(default_factory=Counter)  # tap, text
    photos: int = 0

    @property
    def double_sent(self) -> int:
        return self.accepted_by_twilio - self.sent_rows


@dataclass
class EnrollmentStep:
    """The demo's enrollment sync: what a dry run said, the worker deleted meanwhile, what the
    sync did, and the schedule the rebuild then published for the new program."""

    dry_run: SyncReport
    applied: SyncReport
    deleted_worker: str | None
    names: dict[str, str]
    new_program_due: int = 0
    ended_program_planned: int = 0
    # The new program's experiment in the rebuilt schedule: per variant key, the enrollments it
    # plans for and the local send times they get.
    new_program_variants: dict[str, tuple[int, str]] = field(default_factory=dict)


def enroll(
    settings: Settings, planted: PlantedPrograms, now: datetime, as_of: str = ""
) -> EnrollmentStep:
    """Sync the published enrollment plan into the store at `now` (the start of the world's last
    day, as the simulator enrolls), then ingest and build again so the schedule includes the new
    enrollments (and no longer the ended program)."""
    engine = store_engine(settings)
    try:
        dry_run = sync_enrollments(engine, settings.lake_dir, dry_run=True, now=now)
        deleted = delete_a_planned_member(settings, planted)
        applied = sync_enrollments(engine, settings.lake_dir, now=now)
        names = program_names(engine)
    finally:
        engine.dispose()
    step = EnrollmentStep(dry_run, applied, deleted, names)
    ingest(settings, dagster_instance(settings))
    transform(settings, dagster_instance(settings), as_of=as_of)
    schedule = published_mart(settings.lake_dir, "activation_schedule")
    with duckdb.connect() as con:
        step.new_program_due, step.ended_program_planned = con.execute(
            "select count(*) filter (where program_id = ? and is_due), "
            "count(*) filter (where program_id = ?) from read_parquet(?)",
            [planted.new_program_id, planted.ended_program_id, str(schedule)],
        ).fetchone()
        for variant_id, enrollments, times in con.execute(
            "select program_variant_id, count(distinct enrollment_id), "
            "list(distinct left(cast(local_send_time as varchar), 5)) "
            "from read_parquet(?) where program_id = ? and not is_follow_up group by all",
            [str(schedule), planted.new_program_id],
        ).fetchall():
            key = planted.variant_keys.get(variant_id or "", "none")
            step.new_program_variants[key] = (enrollments, " ".join(sorted(times or [])))
    return step


def recorded_assignments(settings: Settings, planted: PlantedPrograms) -> Counter[str]:
    """The new program's experiment assignments the sends recorded, by variant key."""
    engine = store_engine(settings)
    try:
        with transaction(engine) as session:
            rows = session.execute(
                select(ExperimentAssignment.variant_id, func.count())
                .where(ExperimentAssignment.experiment_id == planted.experiment_id)
                .group_by(ExperimentAssignment.variant_id)
            ).all()
    finally:
        engine.dispose()
    return Counter({planted.variant_keys.get(v, v): n for v, n in rows})


def day_to_replay(settings: Settings) -> list[datetime]:
    """The hours of the world's last day that have sends due, as the moments to run a pass at
    (the end of each hour), so the demo sends that day's schedule as a live sender would."""
    path = published_mart(settings.lake_dir, "activation_schedule")
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
            engine = store_engine(local)
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
                template = _template_of(emulator, row.message_sid)
                summary.sent_as[_sent_as(template, emulator, row.message_sid)] += 1
                if (
                    messages[row.message_sid]["status"] in ("delivered", "read")
                    and rng.random() < reply_share
                ):
                    reply = _reply(rng, template)
                    emulator.call(_inbound(emulator, row, orgs[row.organization_id], reply))
                    summary.replies += 1
                    summary.opt_outs += reply.text == "STOP"
                    summary.answers[reply.answered_by] += bool(reply.answered_by)
                    summary.photos += bool(reply.media)
            progress(f"{summary.replies} workers replied through the inbound webhook")
            time.sleep(0.5)  # the last callbacks' retries, if any
            summary.statuses = Counter(messages[sid]["status"] for sid in sids)
            summary.accepted_by_twilio = len(messages)
            with transaction(engine) as session:
                summary.outbox = Counter(dict(session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                ).all()))  # fmt: skip
                sent_to = session.execute(
                    select(Enrollment.program_id, Enrollment.is_holdout, func.count())
                    .join(OutboxMessage, OutboxMessage.enrollment_id == Enrollment.id)
                    .where(OutboxMessage.message_sid.is_not(None))
                    .group_by(Enrollment.program_id, Enrollment.is_holdout)
                ).all()
                for program_id, is_holdout, count in sent_to:
                    summary.sent_by_program[program_id] += count
                    summary.sent_to_holdouts += count if is_holdout else 0
                summary.sent_rows = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.message_sid.is_not(None))
                )
                _digests(local, session, summary)
            engine.dispose()
    return summary


def _digests(settings: Settings, session: Any, summary: LoopSummary) -> None:
    """How many of the week's digests were due, what became of them, and what one said."""
    path = published_mart(settings.lake_dir, "worker_digests")
    if not path.exists():
        return
    with duckdb.connect() as con:
        keys = [k for (k,) in con.execute("select idempotency_key from read_parquet(?) where is_due", [str(path)]).fetchall()]  # fmt: skip
    summary.digests_due = len(keys)
    rows = []
    for start in range(0, len(keys), 5000):
        rows += session.execute(
            select(OutboxMessage, Worker.display_name)
            .join(Worker, Worker.id == OutboxMessage.worker_id)
            .where(OutboxMessage.idempotency_key.in_(keys[start : start + 5000]))
        ).all()
    summary.digests = Counter(row.status for row, _ in rows)
    sent = [(row, name) for row, name in rows if row.message_sid]
    if sent:  # as the worker read it: one who earned points, if anyone did
        row, name = max(
            sent,
            key=lambda pair: (int((pair[0].field_values or {}).get("week_points", 0)),
                              pair[0].idempotency_key),
        )  # fmt: skip
        context = {**(row.field_values or {}), "display_name": name}
        summary.digest_example = render(row.body or "", row.template_variables, context).text


TAP_SHARE = 0.7  # of answers to buttons and lists, tapped rather than typed
PHOTO_SHARE = 0.1  # of other replies, with a photo of the finished task


@dataclass
class Reply:
    text: str
    button: dict[str, str] | None = None
    list_item: dict[str, str] | None = None
    media: list[dict[str, str]] = field(default_factory=list)
    answered_by: str = ""  # tap or text, for an answer to options


def _template_of(emulator: EmulatorThread, sid: str) -> dict[str, Any] | None:
    return emulator.emulator.contents.get(emulator.emulator.content_of.get(sid, ""))


def _sent_as(template: dict[str, Any] | None, emulator: EmulatorThread, sid: str) -> str:
    if template is None:
        return "media" if sid in emulator.emulator.media else "text"
    if "twilio/list-picker" in template["types"]:
        return "list"
    return "buttons" if "twilio/quick-reply" in template["types"] else "media"


def _reply(rng: random.Random, template: dict[str, Any] | None) -> Reply:
    """What a worker answers: to buttons or a list, mostly a tap, else the option typed; to
    anything else a word, now and then with a photo, and rarely STOP."""
    types = (template or {}).get("types", {})
    if "twilio/list-picker" in types:
        choices = [(i["id"], i["item"]) for i in types["twilio/list-picker"]["items"]]
    elif "twilio/quick-reply" in types:
        choices = [(a["id"], a["title"]) for a in types["twilio/quick-reply"]["actions"]]
    else:
        choices = []
    if choices:
        payload, label = rng.choice(choices)
        if rng.random() >= TAP_SHARE:
            return Reply(payload, answered_by="text")  # typed: the letter or the number
        if "twilio/list-picker" in types:
            return Reply(label, list_item={"id": payload, "title": label}, answered_by="tap")
        return Reply(label, button={"payload": payload, "text": label}, answered_by="tap")
    if rng.random() < 0.03:
        return Reply("STOP")
    text = rng.choice(REPLIES)
    if rng.random() < PHOTO_SHARE:
        photo = {"url": f"https://media.example.org/{rng.getrandbits(64):016x}.jpg",
                 "content_type": "image/jpeg"}  # fmt: skip
        return Reply(text, media=[photo])
    return Reply(text)


async def _inbound(emulator: EmulatorThread, row: OutboxMessage, sender: str, reply: Reply) -> None:
    """A worker's reply as Twilio delivers it: opens the window and posts the signed webhook."""
    await emulator.emulator.receive(
        f"whatsapp:{row.to_number}",
        f"whatsapp:{sender}",
        reply.text,
        button=reply.button,
        list_item=reply.list_item,
        media=reply.media,
    )
