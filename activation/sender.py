"""The sender: claims due outbox rows and sends them through the async Twilio SDK, many in flight.

One pass: expire stale rows, claim the published schedule into the outbox, reconcile rows a crashed
sender left in flight (asking Twilio what it already accepted, before any resend), queue
fallbacks for failures Twilio reported by callback, release held rows the quota now allows, then
claim and send in batches until nothing is due. Results are written per batch; a crash between a
send and its write leaves the row `sending`, which the next pass reconciles.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import Engine, and_, bindparam, func, select, update
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from activation import outbox, policy
from activation.buckets import Buckets
from activation.policy import Outcome
from coaching import clock
from coaching.domain import Channel, EventKind, MessageStatus, OutboxStatus
from coaching.settings import Settings
from coaching.store.engine import transaction
from coaching.store.tables import MessageEvent, Organization, OutboxMessage, Worker
from coaching.store.types import new_id

FALLBACK_CODES = {63016: "template", 30007: "sms", 30008: "sms"}
RECORDED = (
    "status",
    "claimed_at",
    "message_sid",
    "sent_at",
    "last_error",
    "last_error_code",
    "next_attempt_at",
    "attempts",
    "body",
    "updated_at",
    "updated_by",
)
_outbox = OutboxMessage.__table__
# A row's outcome is written only if it is still the `sending` row this sender claimed.
RECORD = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("row_id"), _outbox.c.status == OutboxStatus.SENDING)
    .values({name: bindparam(name) for name in RECORDED})
)


def _unchanged(row: OutboxMessage) -> dict[str, Any]:
    return {name: getattr(row, name) for name in RECORDED}


@dataclass(frozen=True)
class Uncertain:
    """A send whose outcome is unknown (timeout, dropped connection): Twilio may have it."""

    cause: BaseException


@dataclass(frozen=True)
class SenderConfig:
    sender_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    batch: int = 500
    in_flight: int = 64
    request_timeout: float = 10.0  # seconds for one Twilio request; a timeout is retried
    sender_rate: float = 80.0  # per WhatsApp/SMS sender number, Twilio's default throughput
    recipient_capacity: float = 2.0  # a worker gets at most this burst...
    recipient_rate: float = 1 / 60  # ...then one message a minute
    max_attempts: int = 5
    lease_seconds: float = 120.0  # a `sending` row older than this was left by a crashed sender
    callback_url: str | None = None  # None: the API's webhook (service.callback_url); "": none
    backoff_base: float = 2.0  # seconds before the first retry; doubles per attempt...
    backoff_cap: float = 300.0  # ...up to this
    max_batches: int | None = None  # stop a pass early (tests and benchmarks)
    seed: int | None = None


@dataclass
class PassReport:
    enqueued: outbox.EnqueueReport = field(default_factory=outbox.EnqueueReport)
    outcomes: Counter[str] = field(default_factory=Counter)

    def add(self, other: PassReport) -> None:
        """Outcomes add up across passes; `enqueued` stays the latest pass's claim."""
        self.outcomes.update(other.outcomes)
        self.enqueued = other.enqueued

    def counts(self) -> dict[str, int]:
        """Everything the pass did, by name (Dagster metadata, the demo's tally)."""
        e = self.enqueued
        return {
            "due": e.due,
            "claimed": e.claimed,
            "already_claimed": e.already_claimed,
            "rejected": e.rejected,
            "new_assignments": e.assignments,
            **dict(sorted(self.outcomes.items())),
        }


@dataclass
class Plan:
    """What to do with one claimed row now."""

    action: str  # send | skip | defer | hold | fail
    reason: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    until: datetime | None = None


def _whatsapp(number: str) -> str:
    return f"whatsapp:{number}"


class Sender:
    def __init__(
        self, settings: Settings, engine: Engine, client: Client, config: SenderConfig
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.client = client
        self.config = config
        self.senders = Buckets(config.sender_rate, config.sender_rate)
        self.recipients = Buckets(config.recipient_rate, config.recipient_capacity)
        self.random = random.Random(config.seed)

    def now(self) -> datetime:
        return clock.now()

    # --- one pass ------------------------------------------------------------------------------

    async def run_pass(self, now: datetime | None = None, *, enqueue: bool = True) -> PassReport:
        now = now or self.now()
        report = PassReport()
        report.outcomes["expired"] += outbox.expire(self.engine, now)
        if enqueue:
            report.enqueued = outbox.enqueue(
                self.engine, outbox.read_due(self.settings.lake_dir, now), now
            )
        await self.reconcile(report, now)
        report.outcomes["fallbacks"] += self.queue_fallbacks(now)
        left = outbox.quota_left(self.engine, now)
        report.outcomes["released"] += outbox.release_held(self.engine, left, now)

        # A pipeline: while one batch is on the wire, the next is claimed and the previous one
        # recorded, on worker threads, so the network never waits for the store.
        def claim() -> list[OutboxMessage]:
            return outbox.claim(self.engine, self.config.sender_id, self.config.batch, self.now())

        limit = self.config.max_batches
        rows = await asyncio.to_thread(claim) if limit is None or limit > 0 else []
        batches, recording = 0, None
        while rows:
            batches += 1
            more = limit is None or batches < limit
            claiming = asyncio.create_task(asyncio.to_thread(claim)) if more else None
            sent = await self.send_batch(rows, left)
            if recording is not None:
                await recording
            recording = asyncio.create_task(asyncio.to_thread(self.record, *sent, report))
            rows = await claiming if claiming else []
        if recording is not None:
            await recording
        return report

    # --- deciding ------------------------------------------------------------------------------

    def _context(self, rows: list[OutboxMessage]) -> tuple[dict, dict, dict]:
        org_ids = {r.organization_id for r in rows}
        worker_ids = sorted({r.worker_id for r in rows})
        with transaction(self.engine) as session:
            orgs = {
                o.id: o
                for o in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))
            }
            workers = {
                w.id: w for w in session.scalars(select(Worker).where(Worker.id.in_(worker_ids)))
            }
            inbound = dict(
                session.execute(
                    select(MessageEvent.worker_id, func.max(MessageEvent.occurred_at))
                    .where(
                        MessageEvent.kind == EventKind.INBOUND,
                        MessageEvent.worker_id.in_(worker_ids),
                    )
                    .group_by(MessageEvent.worker_id)
                ).all()
            )
        return orgs, workers, inbound

    def plan(
        self,
        row: OutboxMessage,
        org: Organization,
        worker: Worker | None,
        last_inbound: datetime | None,
        now: datetime,
        left: dict[str, int],
    ) -> Plan:
        if worker is None or worker.deleted_at is not None:
            return Plan("fail", "the worker was deleted")
        if worker.whatsapp_opt_out_at is not None:
            return Plan("skip", "the worker opted out")
        if row.expires_at is not None and row.expires_at <= now:
            return Plan("expire", "past its cutoff")
        zone = worker.timezone or org.timezone
        if policy.in_quiet_hours(now, zone, org.quiet_hours_start, org.quiet_hours_end):
            until = policy.quiet_hours_end(now, zone, org.quiet_hours_end)
            return Plan("defer", "quiet hours", until=until)
        params: dict[str, Any] = {}
        if row.channel == Channel.SMS:
            if not org.sms_sender:
                return Plan("fail", "the organization has no SMS sender")
            if not row.body:
                return Plan("fail", "SMS needs a body")
            params.update(to=row.to_number, from_=org.sms_sender, body=row.body)
        else:
            if not org.whatsapp_sender:
                return Plan("fail", "the organization has no WhatsApp sender")
            params.update(to=_whatsapp(row.to_number), from_=_whatsapp(org.whatsapp_sender))
            if row.body and policy.window_open(last_inbound, now):
                params["body"] = row.body
            elif row.template_sid:
                names = {k: str(v) for k, v in (row.template_variables or {}).items()}
                variables = policy.resolve_variables(
                    names,
                    {
                        "display_name": worker.display_name,
                        "team": worker.team,
                        "region": worker.region,
                    },
                )
                if variables.missing:
                    return Plan(
                        "fail", "missing template variables " + ", ".join(variables.missing)
                    )
                params.update(
                    content_sid=row.template_sid, content_variables=json.dumps(variables.values)
                )
            else:
                return Plan("skip", "outside the 24-hour window and no template")
        if left.get(row.organization_id, 0) <= 0:
            return Plan("hold", "monthly message quota reached")
        if not self.recipients[row.to_number].try_take():
            return Plan("defer", "recipient rate", until=now + timedelta(seconds=60))
        left[row.organization_id] -= 1
        validity = policy.validity_seconds(row.expires_at, now)
        if validity:
            params["validity_period"] = validity
        if self.config.callback_url:
            params["status_callback"] = self.config.callback_url
        return Plan("send", params=params)

    # --- sending -------------------------------------------------------------------------------

    async def send_batch(self, rows: list[OutboxMessage], left: dict[str, int]) -> tuple[Any, ...]:
        """Decide and send one claimed batch; returns what `record` needs."""
        orgs, workers, inbound = self._context(rows)
        now = self.now()
        plans = {
            row.id: self.plan(
                row,
                orgs[row.organization_id],
                workers.get(row.worker_id),
                inbound.get(row.worker_id),
                now,
                left,
            )
            for row in rows
        }
        gate = asyncio.Semaphore(self.config.in_flight)

        async def send(row: OutboxMessage, plan: Plan) -> tuple[Any, Any]:
            async with gate:
                await self.senders[plan.params["from_"]].take()
                try:
                    return await self.client.messages.create_async(**plan.params), None
                except (TwilioRestException, aiohttp.ClientConnectorError) as exc:
                    return None, exc  # Twilio answered, or the request never left: known
                except (TwilioException, aiohttp.ClientError, TimeoutError, OSError) as exc:
                    return None, Uncertain(exc)  # it may have been accepted: ask before resending

        sending = [(row, plans[row.id]) for row in rows if plans[row.id].action == "send"]
        results = await asyncio.gather(*(send(row, plan) for row, plan in sending))
        return rows, plans, dict(zip([r.id for r, _ in sending], results, strict=True))

    def record(
        self,
        rows: list[OutboxMessage],
        plans: dict[str, Plan],
        results: dict[str, tuple[Any, Any]],
        report: PassReport,
    ) -> None:
        now = self.now()
        events: list[dict[str, Any]] = []
        opted_out: list[str] = []
        changes: list[dict[str, Any]] = []
        with transaction(self.engine) as session:
            for row in rows:
                plan = plans[row.id]
                values: dict[str, Any] = {"updated_at": now, "updated_by": outbox.ACTOR}
                if plan.action == "send":
                    row.attempts += 1  # this pass asked Twilio: one attempt, whatever came back
                    values["attempts"] = row.attempts
                    message, error = results[row.id]
                    if message is not None:
                        values.update(
                            status=OutboxStatus.SENT,
                            message_sid=message.sid,
                            sent_at=now,
                            last_error=None,
                            last_error_code=None,
                        )
                        events.append(
                            self._event(
                                row, plan, message.sid, message.status or "queued", None, now
                            )
                        )
                        outcome = "sent"
                    else:
                        outcome = self._failure(row, plan, error, values, events, opted_out, now)
                elif plan.action in ("defer", "hold"):
                    values.update(
                        status=OutboxStatus.PENDING
                        if plan.action == "defer"
                        else OutboxStatus.HELD,
                        next_attempt_at=plan.until,
                        last_error=plan.reason,
                    )
                    outcome = "deferred" if plan.action == "defer" else "held"
                else:
                    status = {
                        "skip": OutboxStatus.SKIPPED,
                        "fail": OutboxStatus.FAILED,
                        "expire": OutboxStatus.EXPIRED,
                    }[plan.action]
                    values.update(status=status, last_error=plan.reason)
                    if plan.action == "fail":  # refused before sending: still a failed message
                        events.append(self._event(row, plan, None, MessageStatus.FAILED, None, now))
                    outcome = {"skip": "skipped", "fail": "failed", "expire": "expired"}[
                        plan.action
                    ]
                changes.append({**_unchanged(row), **values, "row_id": row.id})
                report.outcomes[outcome] += 1
            if changes:
                # One statement for the batch (executemany): recording is as fast as sending.
                session.connection().execute(RECORD, changes)
            if events:
                session.execute(outbox.insert_for(self.engine)(MessageEvent.__table__), events)
            if opted_out:
                session.execute(
                    update(Worker)
                    .where(Worker.id.in_(opted_out), Worker.whatsapp_opt_out_at.is_(None))
                    .values(whatsapp_opt_out_at=now, updated_at=now, updated_by=outbox.ACTOR)
                )

    def _failure(
        self,
        row: OutboxMessage,
        plan: Plan,
        error: Any,
        values: dict[str, Any],
        events: list,
        opted_out: list,
        now: datetime,
    ) -> str:
        if isinstance(error, Uncertain):
            # Left `sending` with an expired lease: the next pass reconciles it with Twilio.
            values.update(
                status=OutboxStatus.SENDING,
                claimed_at=now - timedelta(seconds=self.config.lease_seconds + 1),
                last_error=f"no answer from Twilio: {error.cause!r}"[:500],
            )
            return "uncertain"
        status = getattr(error, "status", None)
        code = getattr(error, "code", None)
        self.recipients[row.to_number].give_back()  # nothing reached the worker
        outcome = policy.classify(status, code)
        values.update(
            last_error=str(getattr(error, "msg", None) or error)[:500], last_error_code=code
        )
        if outcome is Outcome.RETRY:
            if row.attempts >= self.config.max_attempts:
                values["status"] = OutboxStatus.DEAD
                events.append(self._event(row, plan, None, MessageStatus.FAILED, code, now))
                return "dead"
            values.update(
                status=OutboxStatus.PENDING,
                next_attempt_at=now
                + policy.backoff(
                    row.attempts, self.random, self.config.backoff_base, self.config.backoff_cap
                ),
            )
            return "retried"
        if (
            outcome is Outcome.TEMPLATE
            and row.template_sid
            and row.body
            and "content_sid" not in plan.params
        ):
            values.update(
                status=OutboxStatus.PENDING, body=None, next_attempt_at=None
            )  # once, as a template
            return "retried_as_template"
        if outcome is Outcome.OPT_OUT:
            opted_out.append(row.worker_id)
        values["status"] = OutboxStatus.FAILED
        events.append(self._event(row, plan, None, MessageStatus.FAILED, code, now))
        return "opted_out" if outcome is Outcome.OPT_OUT else "failed"

    def _event(
        self,
        row: OutboxMessage,
        plan: Plan,
        sid: str | None,
        status: str,
        code: int | None,
        now: datetime,
    ) -> dict[str, Any]:
        """The outbound event of an accepted send, or of a send Twilio finally refused."""
        sid = sid or f"LO{new_id().replace('-', '')}"
        params = plan.params
        return {
            "organization_id": row.organization_id,
            "event_key": f"{sid}:outbound",
            "kind": EventKind.OUTBOUND,
            "message_sid": sid,
            "status": status if status in set(MessageStatus) else MessageStatus.QUEUED,
            "error_code": code,
            "channel": row.channel,
            "from_number": str(params.get("from_", "")).removeprefix("whatsapp:") or None,
            "to_number": row.to_number,
            "worker_id": row.worker_id,
            "enrollment_id": row.enrollment_id,
            "touchpoint_id": row.touchpoint_id,
            "experiment_variant_id": row.experiment_variant_id,
            "is_follow_up": row.is_follow_up,
            "body": params.get("body"),
            "payload": {
                "idempotency_key": row.idempotency_key,
                "attempt": row.attempts,
                "content_sid": params.get("content_sid"),
            },
            "occurred_at": now,
            "received_at": now,
        }

    # --- after a crash -------------------------------------------------------------------------

    async def reconcile(self, report: PassReport, now: datetime) -> None:
        """Before anything is resent, ask Twilio about rows left `sending`: a message it accepted is
        recorded as sent, one it never saw goes back to pending."""
        rows = outbox.stale(self.engine, self.config.lease_seconds, now)
        if not rows:
            return
        orgs, _, _ = self._context(rows)
        for row in rows:
            org = orgs[row.organization_id]
            whatsapp = row.channel != Channel.SMS
            to = _whatsapp(row.to_number) if whatsapp else row.to_number
            ours = _whatsapp(org.whatsapp_sender or "") if whatsapp else (org.sms_sender or "")
            since = (row.claimed_at or now) - timedelta(seconds=5)
            found = None
            for message in await self.client.messages.list_async(
                to=to, date_sent_after=since, limit=50
            ):
                if message.from_ != ours:
                    continue
                if (row.body and message.body == row.body) or (not row.body or not message.body):
                    found = message
                    break
            with transaction(self.engine) as session:
                if found is not None:
                    session.execute(
                        update(OutboxMessage)
                        .where(
                            OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.SENDING
                        )
                        .values(
                            status=OutboxStatus.SENT,
                            message_sid=found.sid,
                            sent_at=now,
                            updated_at=now,
                            updated_by=outbox.ACTOR,
                        )
                    )
                    plan = Plan("send", params={"from_": ours, "body": found.body or None})
                    session.execute(
                        outbox.insert_for(self.engine)(MessageEvent.__table__),
                        [self._event(row, plan, found.sid, "queued", None, now)],
                    )
                    report.outcomes["reconciled_sent"] += 1
                else:
                    session.execute(
                        update(OutboxMessage)
                        .where(
                            OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.SENDING
                        )
                        .values(
                            status=OutboxStatus.PENDING,
                            next_attempt_at=None,
                            updated_at=now,
                            updated_by=outbox.ACTOR,
                        )
                    )
                    report.outcomes["reconciled_requeued"] += 1

    # --- failures Twilio reported later --------------------------------------------------------

    def queue_fallbacks(self, now: datetime) -> int:
        """63016 (window closed): once more as a template. 30007/30008 (filtered, unknown): by SMS
        where the organization allows it. Each fallback is its own outbox row with a derived
        idempotency key, so it is queued once however often this runs."""
        with transaction(self.engine) as session:
            failed = session.execute(
                select(OutboxMessage, MessageEvent.error_code, Organization)
                .join(
                    MessageEvent,
                    and_(
                        MessageEvent.message_sid == OutboxMessage.message_sid,
                        MessageEvent.organization_id == OutboxMessage.organization_id,
                    ),
                )
                .join(Organization, Organization.id == OutboxMessage.organization_id)
                .where(
                    OutboxMessage.status == OutboxStatus.SENT,
                    MessageEvent.kind == EventKind.STATUS,
                    MessageEvent.status.in_([MessageStatus.FAILED, MessageStatus.UNDELIVERED]),
                    MessageEvent.error_code.in_(list(FALLBACK_CODES)),
                    OutboxMessage.sent_at >= now - timedelta(days=2),
                )
            ).all()
            values = []
            for row, code, org in failed:
                if row.idempotency_key.endswith((":template", ":sms")):
                    continue
                kind = FALLBACK_CODES[code]
                base = outbox.outbox_values(
                    {
                        "organization_id": row.organization_id,
                        "idempotency_key": f"{row.idempotency_key}:{kind}",
                        "worker_id": row.worker_id,
                        "enrollment_id": row.enrollment_id,
                        "touchpoint_id": row.touchpoint_id,
                        "experiment_variant_id": row.experiment_variant_id,
                        "is_follow_up": row.is_follow_up,
                        "channel": Channel.SMS if kind == "sms" else row.channel,
                        "to_number": row.to_number,
                        "body": None if kind == "template" else row.body,
                        "template_sid": row.template_sid if kind == "template" else None,
                        "template_variables": row.template_variables,
                        "due_at": now,
                        "expires_at": row.expires_at,
                    },
                    now,
                    None,
                )
                if (kind == "template" and row.template_sid) or (
                    kind == "sms" and org.sms_fallback_enabled and org.sms_sender and row.body
                ):
                    values.append(base)
            if not values:
                return 0
            statement = (
                outbox.insert_for(self.engine)(OutboxMessage)
                .values(values)
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(OutboxMessage.id)
            )
            return len(list(session.scalars(statement)))
