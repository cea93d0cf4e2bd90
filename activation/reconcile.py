"""After a crash or an unanswered request: ask Twilio about rows left `sending` past their lease,
before anything is resent. A message Twilio accepted is recorded as sent (with its outbound
event); one it never saw goes back to pending."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from twilio.rest import Client

from activation import outbox
from activation.decision import Action, Plan, whatsapp
from activation.recording import PassOutcome, insert_events, outbound_event
from coaching.domain import Channel, OutboxStatus
from coaching.store.engine import transaction
from coaching.store.tables import Organization, OutboxMessage


def _still_sending(row: OutboxMessage):  # type: ignore[no-untyped-def]
    return update(OutboxMessage).where(
        OutboxMessage.id == row.id, OutboxMessage.status == OutboxStatus.SENDING
    )


async def reconcile(
    engine: Engine, client: Client, lease_seconds: float, now: datetime
) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    rows = outbox.stale(engine, lease_seconds, now)
    if not rows:
        return outcomes
    with transaction(engine) as session:
        orgs = {
            o.id: o
            for o in session.scalars(
                select(Organization).where(Organization.id.in_({r.organization_id for r in rows}))
            )
        }
    for row in rows:
        org = orgs[row.organization_id]
        is_whatsapp = row.channel != Channel.SMS
        to = whatsapp(row.to_number) if is_whatsapp else row.to_number
        ours = whatsapp(org.whatsapp_sender or "") if is_whatsapp else (org.sms_sender or "")
        since = (row.claimed_at or now) - timedelta(seconds=5)
        found = None
        for message in await client.messages.list_async(to=to, date_sent_after=since, limit=50):
            if message.from_ != ours:
                continue
            if (row.body and message.body == row.body) or (not row.body or not message.body):
                found = message
                break
        stamp = {"updated_at": now, "updated_by": outbox.ACTOR}
        with transaction(engine) as session:
            if found is not None:
                session.execute(
                    _still_sending(row).values(
                        status=OutboxStatus.SENT, message_sid=found.sid, sent_at=now, **stamp
                    )
                )
                plan = Plan(Action.SEND, params={"from_": ours, "body": found.body or None})
                insert_events(
                    session, engine, [outbound_event(row, plan, found.sid, "queued", None, now)]
                )
                outcomes[PassOutcome.RECONCILED_SENT] += 1
            else:
                session.execute(
                    _still_sending(row).values(
                        status=OutboxStatus.PENDING, next_attempt_at=None, **stamp
                    )
                )
                outcomes[PassOutcome.RECONCILED_REQUEUED] += 1
    return outcomes
