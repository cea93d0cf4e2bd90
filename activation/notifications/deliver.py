"""Delivering claimed notifications by email and webhook: the outbox machinery of activation, for
people. Every state change is its own short transaction, so a notifier killed at any instant leaves
each delivery in a state the next one resumes from:

    pending ──claim──▶ sending ──accepted──▶ sent
       ▲                  ├──retryable──▶ pending (next_attempt_at, backoff) ──last try──▶ dead
       │                  └──refused for good──▶ dead ──▶ an inbox notice to the admins
       └── sending longer than the lease (the notifier crashed): resent, same Message-ID
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from activation.notifications.channels import EmailChannel, SendResult, WebhookChannel
from activation.notifications.claim import members_of, new_delivery
from activation.notifications.templates import render
from activation.policy import backoff
from coaching.clock import now as clock_now
from coaching.notifications import (
    DeliveryStatus,
    NotificationChannel,
    NotificationKind,
    recipients,
)
from coaching.settings import Settings
from coaching.store.engine import transaction
from coaching.store.tables import Notification, NotificationDelivery, NotificationWebhook
from coaching.store.types import new_id

LEASE = timedelta(minutes=5)
BATCH = 100
OUTGOING = (NotificationChannel.EMAIL, NotificationChannel.WEBHOOK)


@dataclass
class DeliveryReport:
    sent: Counter[str] = field(default_factory=Counter)
    retrying: Counter[str] = field(default_factory=Counter)
    dead: Counter[str] = field(default_factory=Counter)
    reconciled: int = 0


def reconcile(engine: Engine, now: datetime, lease: timedelta = LEASE) -> int:
    """Deliveries left `sending` by a notifier that died go back to pending."""
    with transaction(engine) as session:
        result = session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.status == DeliveryStatus.SENDING,
                NotificationDelivery.claimed_at < now - lease,
            )
            .values(status=DeliveryStatus.PENDING, next_attempt_at=now, updated_by="reconcile")
        )
        return result.rowcount or 0


def _claim(engine: Engine, now: datetime, worker: str, limit: int) -> list[str]:
    """Due pending deliveries, each moved to `sending` by this notifier (a row another notifier
    took first is skipped)."""
    with transaction(engine) as session:
        ids = list(
            session.scalars(
                select(NotificationDelivery.id)
                .where(
                    NotificationDelivery.status == DeliveryStatus.PENDING,
                    NotificationDelivery.next_attempt_at <= now,
                    NotificationDelivery.channel.in_(OUTGOING),
                )
                .order_by(NotificationDelivery.next_attempt_at)
                .limit(limit)
            )
        )
    claimed = []
    with transaction(engine) as session:
        for id_ in ids:
            result = session.execute(
                update(NotificationDelivery)
                .where(
                    NotificationDelivery.id == id_,
                    NotificationDelivery.status == DeliveryStatus.PENDING,
                )
                .values(status=DeliveryStatus.SENDING, claimed_by=worker, claimed_at=now)
            )
            if result.rowcount:
                claimed.append(id_)
    return claimed


class Deliverer:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        email: EmailChannel | None = None,
        webhooks: WebhookChannel | None = None,
        clock: Callable[[], datetime] | None = None,
        worker: str = "notifier",
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.email = email or EmailChannel(settings)
        self.webhooks = webhooks or WebhookChannel()
        self.clock = clock or clock_now
        self.worker = worker
        self.rng = rng or random.Random()

    def run(self, lease: timedelta = LEASE) -> DeliveryReport:
        report = DeliveryReport(reconciled=reconcile(self.engine, self.clock(), lease))
        try:
            while ids := _claim(self.engine, self.clock(), self.worker, BATCH):
                for delivery, notification, secret in self._load(ids):
                    result = self._send(delivery, notification, secret)
                    self._record(delivery, notification, result, report)
        finally:
            self.email.close()
        return report

    def _load(self, ids: list[str]) -> list[tuple[NotificationDelivery, Notification, str | None]]:
        """The claimed deliveries with their notifications and webhook secrets, in one read
        (the operators' webhook, which has no row, signs with the secret from settings)."""
        with transaction(self.engine) as session:
            rows = session.execute(
                select(NotificationDelivery, Notification, NotificationWebhook.secret)
                .join(Notification, Notification.id == NotificationDelivery.notification_id)
                .outerjoin(
                    NotificationWebhook, NotificationWebhook.id == NotificationDelivery.webhook_id
                )
                .where(NotificationDelivery.id.in_(ids))
            ).all()
            session.expunge_all()
        return [
            (delivery, notification, secret or self.settings.ops_webhook_secret)
            for delivery, notification, secret in rows
        ]

    def _send(
        self, delivery: NotificationDelivery, notification: Notification, secret: str | None
    ) -> SendResult:
        key = delivery.idempotency_key
        if delivery.channel == NotificationChannel.EMAIL:
            if not self.email.enabled:
                return SendResult(False, True, "no SMTP server is configured (COACH_SMTP_HOST)")
            return self.email.send(key, delivery.destination, notification.title, notification.body)
        if not secret:
            return SendResult(False, False, "the webhook has no signing secret")
        return self.webhooks.send(
            key, delivery.destination, secret, payload(delivery, notification)
        )

    def _record(
        self,
        delivery: NotificationDelivery,
        notification: Notification,
        result: SendResult,
        report: DeliveryReport,
    ) -> None:
        now = self.clock()
        attempts = delivery.attempts + 1
        values: dict[str, object] = {"attempts": attempts, "updated_by": self.worker}
        if result.ok:
            values |= {"status": DeliveryStatus.SENT, "sent_at": now, "last_error": None}
            report.sent[delivery.channel] += 1
        elif result.retryable and attempts < self.settings.notification_attempts:
            delay = backoff(
                attempts, self.rng, base=self.settings.notification_backoff_seconds, cap=3600
            )
            values |= {
                "status": DeliveryStatus.PENDING,
                "next_attempt_at": now + delay,
                "last_error": result.error,
            }
            report.retrying[delivery.channel] += 1
        else:
            values |= {"status": DeliveryStatus.DEAD, "last_error": result.error}
            report.dead[delivery.channel] += 1
        with transaction(self.engine) as session:
            recorded = session.execute(
                update(NotificationDelivery)
                .where(
                    NotificationDelivery.id == delivery.id,
                    NotificationDelivery.status == DeliveryStatus.SENDING,
                    NotificationDelivery.claimed_by == self.worker,
                )
                .values(**values)
            )
            if recorded.rowcount and values["status"] == DeliveryStatus.DEAD:
                dead_letter(session, delivery, notification, attempts, result.error, now)


def payload(delivery: NotificationDelivery, notification: Notification) -> dict[str, object]:
    """What a webhook receives: the notification, under the delivery's stable id."""
    return {
        "delivery_id": delivery.id,
        "notification": {
            "key": notification.key,
            "organization_id": notification.organization_id,
            "kind": notification.kind,
            "severity": notification.severity,
            "subject_type": notification.subject_type,
            "subject_id": notification.subject_id,
            "period": notification.period,
            "title": notification.title,
            "body": notification.body,
            "created_at": notification.created_at.isoformat(),
        },
    }


def dead_letter(
    session: Session,
    delivery: NotificationDelivery,
    notification: Notification,
    attempts: int,
    error: str | None,
    now: datetime,
) -> None:
    """Tell the organization's admins, in the inbox only (the failing channel may be the one
    that would carry the news), that a delivery was given up. Platform deliveries have no
    organization: their dead letters stay visible in the deliveries table and the logs."""
    if (
        notification.organization_id is None
        or notification.kind == NotificationKind.DELIVERY_FAILED
    ):
        return
    members = members_of(session, [notification.organization_id])
    title, body = render(
        NotificationKind.DELIVERY_FAILED,
        {
            "channel": delivery.channel,
            "title": notification.title,
            "destination": delivery.destination,
            "attempts": attempts,
            "error": error or "unknown error",
        },
    )
    notice = Notification(
        id=new_id(),
        organization_id=notification.organization_id,
        key=f"{NotificationKind.DELIVERY_FAILED}:{delivery.id}:dead",
        kind=NotificationKind.DELIVERY_FAILED,
        subject_type="notification",
        subject_id=notification.id,
        period="dead",
        severity="warning",
        title=title,
        body=body,
        data={"delivery_id": delivery.id, "channel": delivery.channel},
        created_by="notifier",
        updated_by="notifier",
    )
    session.add(notice)
    for person in recipients(None, "admin", members[notification.organization_id]):
        session.add(
            new_delivery(
                notice, NotificationChannel.INBOX, now, user_id=person.user_id, destination="inbox"
            )
        )
