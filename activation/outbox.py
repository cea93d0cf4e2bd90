"""The outbox: the store-side half of activation. Every state change is a short transaction, so a
sender killed at any instant leaves each row in a state the next sender can resume from.
`attempts` counts the requests Twilio was sent for a row, not its claims: a claim that a crash,
a deferral or a hold ends before anything reached Twilio costs the row none of its retries.

    pending ──claim──▶ sending ──Twilio accepted──▶ sent
       ▲                  │  └─retryable error──▶ pending (next_attempt_at) ─▶ dead
       │                  └─permanent error──▶ failed          (rows left in `sending` by a crash
       ├── held (over quota) ◀──                                are reconciled with Twilio)
       └── deferred (quiet hours, recipient rate) ◀──     expired / skipped are final too
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import Engine, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from activation import content_templates
from coaching.domain import EventKind, MessageStatus, OutboxStatus
from coaching.duckdb_limits import DuckDBLimits
from coaching.lake import published_mart
from coaching.quota import Allowance
from coaching.store import usage
from coaching.store.engine import transaction
from coaching.store.tables import (
    Content,
    ContentVariant,
    ExperimentAssignment,
    ExperimentVariant,
    MessageEvent,
    OutboxMessage,
    Touchpoint,
    Worker,
)
from coaching.store.types import new_id

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
ACTOR = "activation"
SCHEDULE = "activation_schedule"
DIGESTS = "worker_digests"


@dataclass
class EnqueueReport:
    due: int = 0
    claimed: int = 0
    already_claimed: int = 0
    rejected: int = 0
    expired: int = 0
    assignments: int = 0


def read_published(
    lake_dir: Path,
    mart: str,
    tail: str = "",
    params: Sequence[Any] = (),
    limits: DuckDBLimits | None = None,
) -> list[dict[str, Any]]:
    """Rows of a published mart (never the warehouse file), filtered and ordered by `tail`;
    none before the first build has published it."""
    path = published_mart(lake_dir, mart)
    if not path.exists():
        return []
    with duckdb.connect(config=(limits or DuckDBLimits()).config()) as con:
        result = con.execute(f"select * from read_parquet(?) {tail}", [str(path), *params])
        columns = [d[0] for d in result.description]
        return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def read_due(
    lake_dir: Path, now: datetime, limits: DuckDBLimits | None = None
) -> list[dict[str, Any]]:
    """Due, unexpired rows of the published schedule and of the weekly digests."""
    due = "where is_due and due_at <= ? and (expires_at is null or expires_at > ?) order by due_at"
    rows = read_published(lake_dir, SCHEDULE, due, [now, now], limits)
    return rows + read_published(lake_dir, DIGESTS, due, [now, now], limits)


def insert_for(engine: Engine) -> Any:
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _template_variables(raw: Any) -> dict[str, str]:
    if raw in (None, ""):
        return {}
    value = json.loads(raw) if isinstance(raw, str) else raw
    return {str(k): str(v) for k, v in value.items()}


def rejection(
    row: dict[str, Any], workers: dict[str, Any], templates: set[tuple[str, str]]
) -> str | None:
    """Why a schedule row cannot be sent at all, or None."""
    number = row.get("to_number") or ""
    if not E164.match(number):
        return f"invalid phone number {number!r}"
    worker = workers.get(row["worker_id"])
    if worker is None or worker.deleted_at is not None:
        return "the worker was deleted after the schedule was built"
    sid = row.get("template_sid")
    if sid and (row["organization_id"], sid) not in templates:
        return f"unknown template {sid}"
    if sid:
        try:
            _template_variables(row.get("template_variables"))
        except (ValueError, AttributeError):
            return "template variables are not a JSON object"
    if not row.get("body") and not sid:
        return "nothing to send: no body and no template"
    return None


def enqueue(engine: Engine, rows: Sequence[dict[str, Any]], now: datetime) -> EnqueueReport:
    """Claim due schedule rows into the outbox by idempotency key; a second claim is a no-op.

    Rows that can never be sent go in as `failed` with the reason (and a message event), so they
    are claimed once and reported, not retried every run."""
    report = EnqueueReport(due=len(rows))
    if not rows:
        return report
    insert = insert_for(engine)
    with transaction(engine) as session:
        keys = [row["idempotency_key"] for row in rows]
        existing = set()
        for start in range(0, len(keys), 5000):
            existing |= set(
                session.scalars(
                    select(OutboxMessage.idempotency_key).where(
                        OutboxMessage.idempotency_key.in_(keys[start : start + 5000])
                    )
                )
            )
        fresh = [row for row in rows if row["idempotency_key"] not in existing]
        report.already_claimed = len(rows) - len(fresh)
        worker_ids = sorted({row["worker_id"] for row in fresh})
        workers = {}
        for start in range(0, len(worker_ids), 5000):
            for worker in session.scalars(
                select(Worker).where(Worker.id.in_(worker_ids[start : start + 5000]))
            ):
                workers[worker.id] = worker
        templates = set(
            session.execute(
                select(ContentVariant.organization_id, ContentVariant.template_sid).where(
                    ContentVariant.template_sid.is_not(None), ContentVariant.deleted_at.is_(None)
                )
            ).all()
        )
        sends = content_templates.sends_for(session, fresh)
        values, events = [], []
        for row in fresh:
            reason = rejection(row, workers, templates)
            variant = (
                row.get("content_id"),
                row.get("content_variant_key"),
                row.get("content_language"),
            )
            values.append(
                content_templates.apply(outbox_values(row, now, reason), sends.get(variant))
            )  # type: ignore[arg-type]
            if reason:
                events.append(_rejection_event(row, reason, now))
        inserted: set[str] = set()
        for start in range(0, len(values), 2000):
            statement = (
                insert(OutboxMessage)
                .values(values[start : start + 2000])
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(OutboxMessage.idempotency_key)
            )
            inserted |= set(session.scalars(statement))
        events = [e for e in events if e["payload"]["idempotency_key"] in inserted]
        if events:
            session.execute(insert(MessageEvent.__table__), events)
        report.rejected = len(events)
        report.claimed = len(inserted) - report.rejected
        report.assignments = _record_assignments(
            session, [r for r in fresh if r["idempotency_key"] in inserted], now
        )
    return report


def outbox_values(row: dict[str, Any], now: datetime, reason: str | None) -> dict[str, Any]:
    return {
        "id": new_id(),
        "organization_id": row["organization_id"],
        "idempotency_key": row["idempotency_key"],
        "worker_id": row["worker_id"],
        "enrollment_id": row.get("enrollment_id"),
        "touchpoint_id": row.get("touchpoint_id"),
        "experiment_variant_id": row.get("experiment_variant_id"),
        "is_follow_up": bool(row.get("is_follow_up")),
        "channel": row.get("channel") or "whatsapp",
        "to_number": row.get("to_number") or "",
        "body": row.get("body"),
        "template_sid": row.get("template_sid"),
        "template_variables": _safe_variables(row.get("template_variables")),
        "session_template_sid": None,
        "media_url": None,
        "field_values": _safe_variables(row.get("field_values")) or None,
        "status": OutboxStatus.FAILED if reason else OutboxStatus.PENDING,
        "last_error": reason,
        "due_at": _utc(row["due_at"]),
        "expires_at": _utc(row.get("expires_at")),
        "attempts": 0,
        "created_at": now,
        "updated_at": now,
        "created_by": ACTOR,
        "updated_by": ACTOR,
    }


def _safe_variables(raw: Any) -> dict[str, str]:
    try:
        return _template_variables(raw)
    except (ValueError, AttributeError):
        return {}


def _rejection_event(row: dict[str, Any], reason: str, now: datetime) -> dict[str, Any]:
    local_sid = "LO" + uuid.uuid5(uuid.NAMESPACE_URL, row["idempotency_key"]).hex
    number = row.get("to_number") or ""
    return {
        "organization_id": row["organization_id"],
        "event_key": f"{local_sid}:failed",
        "kind": EventKind.OUTBOUND,
        "message_sid": local_sid,
        "status": MessageStatus.FAILED,
        "error_code": 21211 if reason.startswith("invalid phone") else None,
        "channel": row.get("channel") or "whatsapp",
        "to_number": number if E164.match(number) else None,
        "worker_id": row.get("worker_id"),
        "enrollment_id": row.get("enrollment_id"),
        "touchpoint_id": row.get("touchpoint_id"),
        "experiment_variant_id": row.get("experiment_variant_id"),
        "is_follow_up": bool(row.get("is_follow_up")),
        "body": row.get("body"),
        "payload": {"idempotency_key": row["idempotency_key"], "rejected": reason},
        "occurred_at": now,
        "received_at": now,
    }


def _record_assignments(session: Any, rows: Iterable[dict[str, Any]], now: datetime) -> int:
    """Workers newly assigned by the current weights (dbt's `computed` rows, of either experiment
    tier) are recorded when their first message is claimed, so their variant never changes again
    (a variant already recorded is left as it is)."""
    computed = [
        r
        for r in rows
        if "computed" in (r.get("assignment_source"), r.get("program_assignment_source"))
    ]
    variant_ids = sorted(
        {
            v
            for r in computed
            for v in (r.get("experiment_variant_id"), r.get("program_variant_id"))
            if v
        }
    )
    if not variant_ids:
        return 0
    experiments = dict(
        session.execute(
            select(ExperimentVariant.id, ExperimentVariant.experiment_id).where(
                ExperimentVariant.id.in_(variant_ids)
            )
        ).all()
    )
    values = {}
    for row in computed:
        for variant_id in (row.get("experiment_variant_id"), row.get("program_variant_id")):
            experiment_id = experiments.get(variant_id)
            if experiment_id and (experiment_id, row["worker_id"]) not in values:
                values[(experiment_id, row["worker_id"])] = {
                    "id": new_id(),
                    "organization_id": row["organization_id"],
                    "experiment_id": experiment_id,
                    "variant_id": variant_id,
                    "worker_id": row["worker_id"],
                    "enrollment_id": row.get("enrollment_id"),
                    "assigned_at": now,
                    "created_at": now,
                    "updated_at": now,
                    "created_by": ACTOR,
                    "updated_by": ACTOR,
                }
    if not values:
        return 0
    insert = insert_for(session.get_bind())
    statement = (
        insert(ExperimentAssignment)
        .values(list(values.values()))
        .on_conflict_do_nothing(index_elements=["organization_id", "experiment_id", "worker_id"])
        .returning(ExperimentAssignment.id)
    )
    return len(list(session.scalars(statement)))


def expire(engine: Engine, now: datetime) -> int:
    """Rows past their cutoff are never sent late."""
    with transaction(engine) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.HELD]),
                OutboxMessage.expires_at <= now,
            )
            .values(status=OutboxStatus.EXPIRED, updated_at=now, updated_by=ACTOR)
        )
        return result.rowcount or 0


def allowances(engine: Engine, now: datetime) -> dict[str, Allowance]:
    """What each organization may still send this month (quota, grace, used so far)."""
    with transaction(engine) as session:
        return usage.allowances(session, now)


def is_urgent() -> Any:
    """Whether an outbox row's content is flagged urgent (rows without content are not)."""
    return func.coalesce(Content.is_urgent, False)


def with_content(statement: Any) -> Any:
    """`statement` joined to each outbox row's touchpoint and content, where it has them."""
    return statement.outerjoin(Touchpoint, Touchpoint.id == OutboxMessage.touchpoint_id).outerjoin(
        Content, Content.id == Touchpoint.content_id
    )


def urgent_touchpoints(session: Any, touchpoint_ids: Iterable[str]) -> set[str]:
    ids = sorted(set(touchpoint_ids))
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Touchpoint.id)
            .join(Content, Content.id == Touchpoint.content_id)
            .where(Touchpoint.id.in_(ids), Content.is_urgent)
        )
    )


def release_held(engine: Engine, left: dict[str, Allowance], now: datetime) -> int:
    """Held rows go back to pending, oldest first, as far as this month's allowance goes: urgent
    ones within the quota and the grace allowance, the others within the quota."""
    released = 0
    with transaction(engine) as session:
        for organization_id, allowance in left.items():
            if allowance.room(urgent=True) <= 0:
                continue
            held = with_content(
                select(OutboxMessage.id).where(
                    OutboxMessage.organization_id == organization_id,
                    OutboxMessage.status == OutboxStatus.HELD,
                )
            ).order_by(OutboxMessage.due_at)
            ids = list(session.scalars(held.where(is_urgent()).limit(allowance.room(urgent=True))))
            plain_room = allowance.left - len(ids)
            if plain_room > 0:
                ids += session.scalars(held.where(~is_urgent()).limit(plain_room))
            if ids:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.HELD)
                    .values(status=OutboxStatus.PENDING, updated_at=now, updated_by=ACTOR)
                )
                released += len(ids)
    return released


def claim(engine: Engine, sender: str, limit: int, now: datetime) -> list[OutboxMessage]:
    """Take up to `limit` due rows for this sender. The conditional UPDATE is the lock: a row
    another sender took in between no longer matches `status = pending` and is skipped. On
    PostgreSQL the candidates are also selected FOR UPDATE SKIP LOCKED, so concurrent senders take
    disjoint rows instead of colliding; on SQLite a claim that lost every race looks again."""
    token = f"{sender}:{uuid.uuid4().hex[:12]}"
    for _ in range(20):
        with transaction(engine) as session:
            query = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.due_at <= now,
                    (OutboxMessage.next_attempt_at.is_(None))
                    | (OutboxMessage.next_attempt_at <= now),
                )
                .order_by(OutboxMessage.due_at)
                .limit(limit)
            )
            if engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            candidates = list(session.scalars(query))
            if not candidates:
                return []
            taken = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_(candidates), OutboxMessage.status == OutboxStatus.PENDING
                )
                .values(
                    status=OutboxStatus.SENDING,
                    claimed_by=token,
                    claimed_at=now,
                    updated_at=now,
                    updated_by=ACTOR,
                )
            ).rowcount
        if taken:
            break
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(OutboxMessage).where(
                    and_(
                        OutboxMessage.claimed_by == token,
                        OutboxMessage.status == OutboxStatus.SENDING,
                    )
                )
            )
        )


def stale(engine: Engine, lease_seconds: float, now: datetime) -> list[OutboxMessage]:
    """Rows a sender claimed and never finished (it crashed, or Twilio never answered): to be
    reconciled with Twilio."""
    cutoff = now - timedelta(seconds=lease_seconds)
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.status == OutboxStatus.SENDING,
                    OutboxMessage.claimed_at.is_(None) | (OutboxMessage.claimed_at <= cutoff),
                )
            )
        )
