"""Writing what happened to a batch of claimed rows: the outbox rows' new states, the outbound
message events, and opt-outs Twilio reported, in one transaction per batch.

A row's outcome is written only while it is still the `sending` row this sender claimed, so a
row another pass already moved on is never overwritten.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, bindparam, update

from activation import outbox, policy
from activation.decision import Action, Plan
from activation.policy import Outcome
from coaching.domain import EventKind, MessageStatus, OutboxStatus
from coaching.store.engine import transaction
from coaching.store.tables import MessageEvent, OutboxMessage, Worker
from coaching.store.types import new_id


class PassOutcome(StrEnum):
    """What a pass did to a row, counted per pass (Dagster metadata, the demo's tally)."""

    SENT = "sent"
    RETRIED = "retried"
    RETRIED_AS_TEMPLATE = "retried_as_template"
    DEAD = "dead"
    FAILED = "failed"
    OPTED_OUT = "opted_out"
    UNCERTAIN = "uncertain"
    DEFERRED = "deferred"
    HELD = "held"
    SKIPPED = "skipped"
    EXPIRED = "expired"
    RECONCILED_SENT = "reconciled_sent"
    RECONCILED_REQUEUED = "reconciled_requeued"
    FALLBACKS = "fallbacks"
    RELEASED = "released"
    TEMPLATES_REGISTERED = "templates_registered"  # Content API templates created this pass
    TEMPLATES_REFUSED = "templates_refused"  # ... and refused by Twilio (tried again next pass)


# The row state an action other than a send leaves behind, and how it is counted.
NOT_SENT = {
    Action.DEFER: (OutboxStatus.PENDING, PassOutcome.DEFERRED),
    Action.HOLD: (OutboxStatus.HELD, PassOutcome.HELD),
    Action.SKIP: (OutboxStatus.SKIPPED, PassOutcome.SKIPPED),
    Action.FAIL: (OutboxStatus.FAILED, PassOutcome.FAILED),
    Action.EXPIRE: (OutboxStatus.EXPIRED, PassOutcome.EXPIRED),
}
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
RECORD = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("row_id"), _outbox.c.status == OutboxStatus.SENDING)
    .values({name: bindparam(name) for name in RECORDED})
)


@dataclass(frozen=True)
class Uncertain:
    """A send whose outcome is unknown (timeout, dropped connection): Twilio may have it."""

    cause: BaseException


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff_base: float
    backoff_cap: float
    lease_seconds: float


def outbound_event(
    row: OutboxMessage, plan: Plan, sid: str | None, status: str, code: int | None, now: datetime
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


def insert_events(session: Any, engine: Engine, events: list[dict[str, Any]]) -> None:
    if events:
        session.execute(outbox.insert_for(engine)(MessageEvent.__table__), events)


class BatchRecord:
    """Collects one batch's changes, then writes them in one transaction."""

    def __init__(
        self, retry: RetryPolicy, rng: random.Random, give_back: Callable[[str], None]
    ) -> None:
        self.retry = retry
        self.rng = rng
        self.give_back = give_back  # returns a recipient's rate token when nothing reached them
        self.changes: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.opted_out: list[str] = []
        self.outcomes: Counter[str] = Counter()

    def add(self, row: OutboxMessage, plan: Plan, result: tuple[Any, Any] | None, now: datetime):
        values: dict[str, Any] = {"updated_at": now, "updated_by": outbox.ACTOR}
        if plan.action is Action.SEND:
            assert result is not None
            row.attempts += 1  # this pass asked Twilio: one attempt, whatever came back
            values["attempts"] = row.attempts
            message, error = result
            if message is not None:
                values.update(
                    status=OutboxStatus.SENT,
                    message_sid=message.sid,
                    sent_at=now,
                    last_error=None,
                    last_error_code=None,
                )
                self.events.append(
                    outbound_event(row, plan, message.sid, message.status or "queued", None, now)
                )
                outcome = PassOutcome.SENT
            else:
                outcome = self._failure(row, plan, error, values, now)
        else:
            status, outcome = NOT_SENT[plan.action]
            values.update(status=status, last_error=plan.reason)
            if plan.action in (Action.DEFER, Action.HOLD):
                values["next_attempt_at"] = plan.until
            if plan.action is Action.FAIL:  # refused before sending: still a failed message
                self.events.append(outbound_event(row, plan, None, MessageStatus.FAILED, None, now))
        self.changes.append(
            {**{name: getattr(row, name) for name in RECORDED}, **values, "row_id": row.id}
        )
        self.outcomes[outcome] += 1

    def _failure(
        self, row: OutboxMessage, plan: Plan, error: Any, values: dict[str, Any], now: datetime
    ) -> PassOutcome:
        if isinstance(error, Uncertain):
            # Left `sending` with an expired lease: the next pass reconciles it with Twilio.
            values.update(
                status=OutboxStatus.SENDING,
                claimed_at=now - timedelta(seconds=self.retry.lease_seconds + 1),
                last_error=f"no answer from Twilio: {error.cause!r}"[:500],
            )
            return PassOutcome.UNCERTAIN
        status = getattr(error, "status", None)
        code = getattr(error, "code", None)
        self.give_back(row.to_number)  # nothing reached the worker
        outcome = policy.classify(status, code)
        values.update(
            last_error=str(getattr(error, "msg", None) or error)[:500], last_error_code=code
        )
        if outcome is Outcome.RETRY:
            if row.attempts >= self.retry.max_attempts:
                values["status"] = OutboxStatus.DEAD
                self.events.append(outbound_event(row, plan, None, MessageStatus.FAILED, code, now))
                return PassOutcome.DEAD
            delay = policy.backoff(
                row.attempts, self.rng, self.retry.backoff_base, self.retry.backoff_cap
            )
            values.update(status=OutboxStatus.PENDING, next_attempt_at=now + delay)
            return PassOutcome.RETRIED
        if (
            outcome is Outcome.TEMPLATE
            and row.template_sid
            and row.body
            and "content_sid" not in plan.params
        ):
            # Once more, as a template.
            values.update(status=OutboxStatus.PENDING, body=None, next_attempt_at=None)
            return PassOutcome.RETRIED_AS_TEMPLATE
        if outcome is Outcome.OPT_OUT:
            self.opted_out.append(row.worker_id)
        values["status"] = OutboxStatus.FAILED
        self.events.append(outbound_event(row, plan, None, MessageStatus.FAILED, code, now))
        return PassOutcome.OPTED_OUT if outcome is Outcome.OPT_OUT else PassOutcome.FAILED

    def write(self, engine: Engine, now: datetime) -> None:
        with transaction(engine) as session:
            if self.changes:
                # One statement for the batch (executemany): recording is as fast as sending.
                session.connection().execute(RECORD, self.changes)
            insert_events(session, engine, self.events)
            if self.opted_out:
                session.execute(
                    update(Worker)
                    .where(Worker.id.in_(self.opted_out), Worker.whatsapp_opt_out_at.is_(None))
                    .values(whatsapp_opt_out_at=now, updated_at=now, updated_by=outbox.ACTOR)
                )
