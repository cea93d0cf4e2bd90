"""Admin reads of delivery and usage: what was sent to a worker and what became of it, and how
much of the month's quota is used. Read from the store (the operational truth, current to the
second), not from the marts, which are as fresh as the last pipeline run.

(No `from __future__ import annotations`: FastAPI reads the query models in the signatures.)
"""

from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_, select

from api.crud import CURSOR_PATTERN, load
from api.deps import Principal, RowId, TenantSessionDep, reader
from api.problems import RESPONSES, Problem
from api.resources import WORKERS
from api.routing import StoreRouter
from api.schemas.delivery import Usage, WorkerMessagePage
from coaching import clock
from coaching.domain import PROGRAM_ROLES, STATUS_RANK, TWILIO_ERRORS, EventKind, MessageStatus
from coaching.quota import Allowance
from coaching.store import usage
from coaching.store.tables import (
    Enrollment,
    InboundMedia,
    MessageEvent,
    Organization,
    OutboxMessage,
    Program,
    Touchpoint,
)

router = StoreRouter(responses=RESPONSES)
Manager = Annotated[Principal, reader(PROGRAM_ROLES, "message history and usage")]


class MessagesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = Field(default=None, pattern=CURSOR_PATTERN)
    limit: int = Field(default=50, ge=1, le=200)


def _rank(status: str | None) -> int:
    try:
        return STATUS_RANK[MessageStatus(status)]
    except (ValueError, KeyError):
        return -1  # an unknown status (webhooks store what Twilio sent) never wins


@router.get(
    "/workers/{row_id}/messages",
    response_model=WorkerMessagePage,
    tags=["workers"],
    summary="What was sent to a worker, what became of it, and the replies",
    description="Newest first: every message activation handled for the worker (sent, held, "
    "skipped, failed...), Twilio's status callbacks with the final status and error, and what "
    "the worker wrote back before the next message.",
)
def worker_messages(
    row_id: RowId,
    query: Annotated[MessagesQuery, Query()],
    _: Manager,
    session: TenantSessionDep,
) -> Any:
    load(session, WORKERS, row_id)  # 404 for another organization's worker
    statement = (
        select(OutboxMessage, Program.id, Program.name, Touchpoint.name)
        .outerjoin(Enrollment, Enrollment.id == OutboxMessage.enrollment_id)
        .outerjoin(Program, Program.id == Enrollment.program_id)
        .outerjoin(Touchpoint, Touchpoint.id == OutboxMessage.touchpoint_id)
        .where(OutboxMessage.worker_id == row_id)
    )
    newer_sent: datetime | None = None
    if query.cursor:
        anchor = session.get(OutboxMessage, query.cursor)
        if anchor is None or anchor.worker_id != row_id:
            raise Problem(404, "no message of this worker has the cursor's id")
        newer_sent = anchor.sent_at
        statement = statement.where(
            or_(
                OutboxMessage.due_at < anchor.due_at,
                and_(OutboxMessage.due_at == anchor.due_at, OutboxMessage.id < anchor.id),
            )
        )
    rows = list(
        session.execute(
            statement.order_by(OutboxMessage.due_at.desc(), OutboxMessage.id.desc()).limit(
                query.limit + 1
            )
        )
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    messages = [row[0] for row in rows]
    statuses = _statuses(session, [m.message_sid for m in messages if m.message_sid])
    replies = _replies(session, row_id, messages, newer_sent)
    items = []
    for message, program_id, program_name, touchpoint_name in rows:
        changes = statuses.get(message.message_sid or "", [])
        final = max(changes, key=lambda c: (_rank(c["status"]), c["at"]), default=None)
        code = (final or {}).get("error_code") or message.last_error_code
        items.append(
            {
                "id": message.id,
                "due_at": message.due_at,
                "sent_at": message.sent_at,
                "channel": message.channel,
                "program_id": program_id,
                "program_name": program_name,
                "touchpoint_id": message.touchpoint_id,
                "touchpoint_name": touchpoint_name,
                "is_follow_up": message.is_follow_up,
                "body": message.body,
                "template_sid": message.template_sid,
                "media_url": message.media_url,
                "status": message.status,
                "delivery_status": final["status"] if final else None,
                "error_code": code,
                "error": message.last_error or (TWILIO_ERRORS.get(code) if code else None),
                "attempts": message.attempts,
                "message_sid": message.message_sid,
                "statuses": changes,
                "replies": replies.get(message.id, []),
            }
        )
    return {"items": items, "next_cursor": messages[-1].id if more else None}


def _statuses(session: Any, sids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each message's status callbacks in the order they happened (duplicates collapsed)."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not sids:
        return found
    seen = set()
    for sid, status, code, at in session.execute(
        select(
            MessageEvent.message_sid,
            MessageEvent.status,
            MessageEvent.error_code,
            MessageEvent.occurred_at,
        )
        .where(MessageEvent.kind == EventKind.STATUS, MessageEvent.message_sid.in_(sids))
        .order_by(MessageEvent.occurred_at, MessageEvent.id)
    ):
        if (sid, status) in seen:
            continue
        seen.add((sid, status))
        found[sid].append({"status": status, "at": at, "error_code": code})
    return found


def _replies(
    session: Any, worker_id: str, messages: list[OutboxMessage], newer_sent: datetime | None
) -> dict[str, list[dict[str, Any]]]:
    """The worker's inbound messages, each under the last message sent before it."""
    sent = sorted((m.sent_at, m.id) for m in messages if m.sent_at is not None)
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if not sent:
        return found
    statement = select(
        MessageEvent.id,
        MessageEvent.occurred_at,
        MessageEvent.body,
        MessageEvent.channel,
        MessageEvent.button_payload,
    ).where(
        MessageEvent.kind == EventKind.INBOUND,
        MessageEvent.worker_id == worker_id,
        MessageEvent.occurred_at >= sent[0][0],
    )
    if newer_sent is not None:
        statement = statement.where(MessageEvent.occurred_at < newer_sent)
    events = list(session.execute(statement.order_by(MessageEvent.occurred_at)))
    files: dict[int, list[dict[str, str]]] = defaultdict(list)
    if events:
        for event_id, url, content_type in session.execute(
            select(InboundMedia.message_event_id, InboundMedia.url, InboundMedia.content_type)
            .where(InboundMedia.message_event_id.in_([event[0] for event in events]))
            .order_by(InboundMedia.message_event_id, InboundMedia.position)
        ):
            files[event_id].append({"url": url, "content_type": content_type})
    for event_id, at, body, channel, button_payload in events:
        owner = [message_id for sent_at, message_id in sent if sent_at <= at][-1]
        found[owner].append(
            {
                "at": at,
                "body": body,
                "channel": channel,
                "button_payload": button_payload,
                "media": files.get(event_id, []),
            }
        )
    return found


@router.get(
    "/usage",
    response_model=Usage,
    tags=["organizations"],
    summary="This month's messages against the quota and the grace allowance",
)
def month_usage(principal: Manager, session: TenantSessionDep) -> Any:
    now = clock.now()
    organization = session.get(Organization, principal.organization_id)
    by_channel = usage.used_by_channel(session, now, [principal.organization_id])
    allowance = Allowance.for_tier(
        organization.tier, organization.monthly_message_quota, sum(by_channel.values())
    )
    return Usage(
        month=now.strftime("%Y-%m"),
        tier=organization.tier,
        monthly_quota=allowance.quota,
        used=allowance.used,
        used_by_channel={channel: n for (_, channel), n in sorted(by_channel.items())},
        share_used=allowance.used / allowance.quota if allowance.quota else 1.0,
        left=allowance.left,
        held=usage.held(session, principal.organization_id),
        grace_allowance=allowance.grace,
        grace_used=allowance.grace_used,
        grace_left=allowance.room(urgent=True) - allowance.left,
    )
