"""The sender: claims due outbox rows and sends them through the async Twilio SDK, many in flight.

One pass: expire stale rows, claim the published schedule into the outbox, reconcile rows a crashed
sender left in flight (`reconcile`), queue fallbacks for failures Twilio reported by callback
(`fallbacks`), release held rows the quota now allows, then claim and send in batches until
nothing is due. Each row's action is decided by `decision.decide` (pure); results are written per
batch by `recording`. A crash between a send and its write leaves the row `sending`, which the
next pass reconciles.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy import Engine, func, select
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from activation import content_templates, outbox
from activation.buckets import make_buckets
from activation.decision import Action, Plan, decide
from activation.fallbacks import queue_fallbacks
from activation.reconcile import reconcile
from activation.recording import BatchRecord, PassOutcome, RetryPolicy, Uncertain
from coaching import clock
from coaching.domain import EventKind
from coaching.quota import Allowance
from coaching.settings import Settings
from coaching.store.engine import transaction
from coaching.store.tables import (
    Enrollment,
    MessageEvent,
    Organization,
    OutboxMessage,
    Program,
    Worker,
)


@dataclass(frozen=True)
class SenderConfig:
    sender_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    batch: int = 500
    in_flight: int = 256  # at 150 ms per request, 1,000+ sends/s (bench_activation.py)
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
    # What the enrollment sync before the pass changed (`enrollments_added`, ...), when it ran.
    enrollments: Counter[str] = field(default_factory=Counter)

    def add(self, other: PassReport) -> None:
        """Outcomes add up across passes; `enqueued` stays the latest pass's claim."""
        self.outcomes.update(other.outcomes)
        self.enrollments.update(other.enrollments)
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
            **{str(name): n for name, n in sorted(self.outcomes.items())},
            **{f"enrollments_{name}": n for name, n in sorted(self.enrollments.items())},
        }


class Sender:
    def __init__(
        self, settings: Settings, engine: Engine, client: Client, config: SenderConfig
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.client = client
        self.config = config
        self.senders = make_buckets(
            settings.redis_url, "sender", config.sender_rate, config.sender_rate
        )
        self.recipients = make_buckets(
            settings.redis_url, "recipient", config.recipient_rate, config.recipient_capacity
        )
        self.random = random.Random(config.seed)
        self.retry = RetryPolicy(
            config.max_attempts, config.backoff_base, config.backoff_cap, config.lease_seconds
        )

    def now(self) -> datetime:
        return clock.now()

    async def run_pass(self, now: datetime | None = None, *, enqueue: bool = True) -> PassReport:
        now = now or self.now()
        report = PassReport()
        report.outcomes[PassOutcome.EXPIRED] += outbox.expire(self.engine, now)
        if enqueue:
            # Interactive and media variants registered with Twilio before their rows are claimed.
            templates = await content_templates.register(self.engine, self.client)
            report.outcomes[PassOutcome.TEMPLATES_REGISTERED] += templates.registered
            report.outcomes[PassOutcome.TEMPLATES_REFUSED] += len(templates.failed)
            report.enqueued = outbox.enqueue(
                self.engine,
                outbox.read_due(self.settings.lake_dir, now, self.settings.duckdb_limits),
                now,
            )
        report.outcomes.update(
            await reconcile(self.engine, self.client, self.config.lease_seconds, now)
        )
        report.outcomes[PassOutcome.FALLBACKS] += queue_fallbacks(self.engine, now)
        left = outbox.allowances(self.engine, now)
        report.outcomes[PassOutcome.RELEASED] += outbox.release_held(self.engine, left, now)

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

    def _context(self, rows: list[OutboxMessage]) -> tuple[dict, dict, dict, dict, set[str]]:
        """The organizations, workers, last inbound messages, (by enrollment) program names and
        enrollment statuses, and the touchpoints with urgent content the decisions need."""
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
            enrollment_ids = sorted({r.enrollment_id for r in rows if r.enrollment_id})
            enrollments = {
                enrollment: (program, status)
                for enrollment, program, status in session.execute(
                    select(Enrollment.id, Program.name, Enrollment.status)
                    .join(Program, Program.id == Enrollment.program_id)
                    .where(Enrollment.id.in_(enrollment_ids))
                )
            }
            urgent = outbox.urgent_touchpoints(
                session, (r.touchpoint_id for r in rows if r.touchpoint_id)
            )
        return orgs, workers, inbound, enrollments, urgent

    def plan(
        self,
        row: OutboxMessage,
        org: Organization,
        worker: Worker | None,
        last_inbound: datetime | None,
        now: datetime,
        left: dict[str, Allowance],
        enrollment: tuple[str, str] | None = None,
        urgent: bool = False,
    ) -> Plan:
        """The pure decision, then the recipient's rate limit and the allowance it spends
        (urgent content may use the tier's grace once the quota is spent)."""
        program_name, enrollment_status = enrollment or (None, None)
        allowance = left.get(row.organization_id)
        room = allowance.room(urgent) if allowance else 0
        plan = decide(
            row, org, worker, last_inbound, now, room,
            self.config.callback_url, program_name, enrollment_status,
        )  # fmt: skip
        if plan.action is not Action.SEND:
            return plan
        if not self.recipients[row.to_number].try_take():
            return Plan(Action.DEFER, "recipient rate", until=now + timedelta(seconds=60))
        if allowance is not None:
            allowance.spend()
        return plan

    async def send_batch(
        self, rows: list[OutboxMessage], left: dict[str, Allowance]
    ) -> tuple[Any, ...]:
        """Decide and send one claimed batch; returns what `record` needs."""
        orgs, workers, inbound, enrollments, urgent = self._context(rows)
        now = self.now()
        plans = {
            row.id: self.plan(
                row,
                orgs[row.organization_id],
                workers.get(row.worker_id),
                inbound.get(row.worker_id),
                now,
                left,
                enrollments.get(row.enrollment_id),
                row.touchpoint_id in urgent,
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

        sending = [(row, plans[row.id]) for row in rows if plans[row.id].action is Action.SEND]
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
        batch = BatchRecord(self.retry, self.random, lambda to: self.recipients[to].give_back())
        for row in rows:
            batch.add(row, plans[row.id], results.get(row.id), now)
        batch.write(self.engine, now)
        report.outcomes.update(batch.outcomes)
