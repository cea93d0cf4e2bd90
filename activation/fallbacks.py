"""Failures Twilio reported later, by status callback, that deserve one more try another way:
63016 (the 24-hour window closed) once more as a template; 30007/30008 (filtered, unknown) by
SMS where the organization allows it (a file it carried as a link). Each fallback is its own outbox row with a derived
idempotency key, so it is queued once however often this runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, select

from activation import outbox
from coaching import interactive
from coaching.domain import Channel, EventKind, MessageStatus, OutboxStatus
from coaching.store.engine import transaction
from coaching.store.tables import MessageEvent, Organization, OutboxMessage

FALLBACK_CODES = {63016: "template", 30007: "sms", 30008: "sms"}


def queue_fallbacks(engine: Engine, now: datetime) -> int:
    with transaction(engine) as session:
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
            possible = (kind == "template" and row.template_sid) or (
                kind == "sms" and org.sms_fallback_enabled and org.sms_sender and row.body
            )
            if not possible:
                continue
            values.append(
                outbox.outbox_values(
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
                        # Over SMS a file goes as a link.
                        "body": (
                            None
                            if kind == "template"
                            else interactive.sms_text(row.body or "", [], None, row.media_url)
                        ),
                        "template_sid": row.template_sid if kind == "template" else None,
                        "template_variables": row.template_variables,
                        "due_at": now,
                        "expires_at": row.expires_at,
                    },
                    now,
                    None,
                )
            )
        if not values:
            return 0
        statement = (
            outbox.insert_for(engine)(OutboxMessage)
            .values(values)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(OutboxMessage.id)
        )
        return len(list(session.scalars(statement)))
