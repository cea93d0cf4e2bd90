"""Running the notifier: one pass (the Dagster asset, `coach notify`) or a loop (`--loop`) claims
what `notifications_due` says, then delivers what is pending; platform notices (a failed run or
blocking check) are raised directly by Dagster's sensors through `raise_platform_notice`."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from activation.notifications.claim import ClaimReport, claim, new_delivery, read_due
from activation.notifications.deliver import LEASE, Deliverer, DeliveryReport
from activation.notifications.templates import render
from coaching.clock import now as clock_now
from coaching.notifications import KIND_RULES, NotificationChannel
from coaching.settings import Settings
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import Notification, NotificationDelivery
from coaching.store.types import new_id


@dataclass
class NotifyReport:
    claimed: ClaimReport = field(default_factory=ClaimReport)
    delivered: DeliveryReport = field(default_factory=DeliveryReport)

    def counts(self) -> dict[str, int]:
        c, d = self.claimed, self.delivered
        return {
            "due": c.due,
            "claimed": c.claimed,
            "already_claimed": c.already_claimed,
            "stand_ins": c.stand_ins,
            **{f"claimed_{k}": v for k, v in sorted(c.by_kind.items())},
            **{f"{k}_deliveries": v for k, v in sorted(c.deliveries.items())},
            **{f"sent_{k}": v for k, v in sorted(d.sent.items())},
            **{f"retrying_{k}": v for k, v in sorted(d.retrying.items())},
            **{f"dead_{k}": v for k, v in sorted(d.dead.items())},
            "reconciled": d.reconciled,
        }


def describe(report: NotifyReport) -> str:
    c, d = report.claimed, report.delivered

    def listed(counts: Counter[str]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"

    return (
        f"notifications: {c.claimed} claimed of {c.due} due ({listed(c.by_kind)}); "
        f"sent {listed(d.sent)}; retrying {listed(d.retrying)}; dead {listed(d.dead)}; "
        f"{c.stand_ins} to admins standing in"
    )


def notify_once(
    settings: Settings,
    engine: Engine,
    deliverer: Deliverer,
    clock: Callable[[], datetime] = clock_now,
    lease: timedelta = LEASE,
) -> NotifyReport:
    rows = read_due(settings.lake_dir or "", settings.duckdb_limits)
    claimed = claim(engine, rows, clock(), email_enabled=deliverer.email.enabled)
    return NotifyReport(claimed, deliverer.run(lease))


def notify(
    settings: Settings,
    *,
    passes: int | None = 1,
    interval: float = 30.0,
    progress: Callable[[NotifyReport], None] | None = None,
    lease: timedelta = LEASE,
) -> NotifyReport:
    """Passes of the notifier: claim what is due, deliver what is pending."""
    engine = store_engine(settings)
    deliverer = Deliverer(settings, engine)
    total = NotifyReport()
    done = 0
    try:
        while passes is None or done < passes:
            report = notify_once(settings, engine, deliverer, lease=lease)
            _add(total, report)
            done += 1
            if progress:
                progress(report)
            if passes is None or done < passes:
                time.sleep(interval)
    finally:
        deliverer.webhooks.close()
        engine.dispose()
    return total


def _add(total: NotifyReport, report: NotifyReport) -> None:
    c, t = report.claimed, total.claimed
    t.due += c.due
    t.claimed += c.claimed
    t.already_claimed += c.already_claimed
    t.stand_ins += c.stand_ins
    t.deliveries.update(c.deliveries)
    t.by_kind.update(c.by_kind)
    d, u = report.delivered, total.delivered
    u.sent.update(d.sent)
    u.retrying.update(d.retrying)
    u.dead.update(d.dead)
    u.reconciled += d.reconciled


def raise_platform_notice(
    settings: Settings, kind: str, subject_id: str, period: str, variables: dict[str, Any]
) -> bool:
    """A notice for the platform's operators (no organization): to every address of
    COACH_OPS_EMAILS and to COACH_OPS_WEBHOOK_URL, once per key. False if already raised or
    if no operator channel is configured."""
    destinations = [(NotificationChannel.EMAIL, address) for address in settings.ops_emails]
    if settings.ops_webhook_url:
        destinations.append((NotificationChannel.WEBHOOK, settings.ops_webhook_url))
    if not destinations:
        return False
    key = f"{kind}:{subject_id}:{period}"
    title, body = render(kind, variables)
    engine = store_engine(settings)
    try:
        with transaction(engine) as session:
            if session.scalar(select(func.count()).where(Notification.key == key)):
                return False
            notice = Notification(
                id=new_id(),
                organization_id=None,
                key=key,
                kind=kind,
                subject_type=KIND_RULES[kind].subject_type,
                subject_id=subject_id,
                period=period,
                severity=KIND_RULES[kind].severity,
                title=title,
                body=body,
                data={k: str(v) for k, v in variables.items()},
                created_by="dagster",
                updated_by="dagster",
            )
            session.add(notice)
            now = clock_now()
            for channel, destination in destinations:
                session.add(new_delivery(notice, channel, now, destination=destination))
        deliverer = Deliverer(settings, engine)
        try:
            deliverer.run()
        finally:
            deliverer.webhooks.close()
    finally:
        engine.dispose()
    return True


def delivery_counts(engine: Engine) -> Counter[tuple[str, str, str]]:
    """(kind, channel, status) → deliveries: what admins and the demo read of delivery state."""
    with transaction(engine) as session:
        rows = session.execute(
            select(
                Notification.kind,
                NotificationDelivery.channel,
                NotificationDelivery.status,
                func.count(),
            )
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .group_by(Notification.kind, NotificationDelivery.channel, NotificationDelivery.status)
        ).all()
    return Counter({(k, c, s): n for k, c, s, n in rows})
