"""Claiming notifications: each row of `notifications_due` becomes one `notifications` row (by its
key, so a second claim is a no-op) and one delivery per recipient and channel, in one transaction
per batch. The recipient is resolved here, against the store as it is now: a manager who left is
stood in for by the admins, and each user's preferences pick the channels.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from activation.notifications.templates import render
from activation.outbox import read_published
from coaching.duckdb_limits import DuckDBLimits
from coaching.notifications import (
    DeliveryStatus,
    Member,
    NotificationChannel,
    NotificationKind,
    Preference,
    channels_for,
    delivery_key,
    recipients,
    webhook_wants,
)
from coaching.store.engine import transaction
from coaching.store.tables import (
    Experiment,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    NotificationWebhook,
    Organization,
    Program,
    User,
    Worker,
)
from coaching.store.types import new_id

ACTOR = "notifier"
DUE = "notifications_due"
BATCH = 2_000


@dataclass
class ClaimReport:
    due: int = 0
    claimed: int = 0
    already_claimed: int = 0
    deliveries: Counter[str] = field(default_factory=Counter)
    stand_ins: int = 0  # deliveries to admins standing in for a recipient who left
    by_kind: Counter[str] = field(default_factory=Counter)


def read_due(lake_dir: Path, limits: DuckDBLimits | None = None) -> list[dict[str, Any]]:
    """The published notifications due, an organization at a time."""
    return read_published(lake_dir, DUE, "order by organization_id, notification_key", (), limits)


@dataclass
class OrgContext:
    """What claiming needs of one organization, read once per batch."""

    name: str
    members: list[Member]
    preferences: dict[str, dict[str, Preference]]
    webhooks: list[NotificationWebhook]


def members_of(session: Session, organization_ids: Iterable[str]) -> dict[str, list[Member]]:
    """The users of each organization as the store has them now (deleted ones are gone)."""
    members: dict[str, list[Member]] = defaultdict(list)
    for user in session.scalars(
        select(User).where(
            User.organization_id.in_(sorted(set(organization_ids))), User.deleted_at.is_(None)
        )
    ):
        members[user.organization_id].append(Member(user.id, user.email, user.role, user.is_active))
    return members


def _organizations(session: Session, ids: Iterable[str]) -> dict[str, OrgContext]:
    ids = sorted(set(ids))
    found: dict[str, OrgContext] = {}
    if not ids:
        return found
    names = dict(
        session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(ids))
        ).all()
    )
    members = members_of(session, ids)
    preferences: dict[str, dict[str, dict[str, Preference]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for row in session.scalars(
        select(NotificationPreference).where(
            NotificationPreference.organization_id.in_(ids),
            NotificationPreference.deleted_at.is_(None),
        )
    ):
        preferences[row.organization_id][row.user_id][row.kind] = Preference(
            tuple(row.channels or ()), row.muted
        )
    webhooks: dict[str, list[NotificationWebhook]] = defaultdict(list)
    for hook in session.scalars(
        select(NotificationWebhook).where(
            NotificationWebhook.organization_id.in_(ids),
            NotificationWebhook.deleted_at.is_(None),
            NotificationWebhook.is_active.is_(True),
        )
    ):
        webhooks[hook.organization_id].append(hook)
    for org in ids:
        found[org] = OrgContext(
            name=names.get(org, org),
            members=members[org],
            preferences=preferences[org],
            webhooks=webhooks[org],
        )
    return found


def _names(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Display names of the workers, programs and experiments the rows are about."""
    wanted: dict[type, set[str]] = defaultdict(set)
    for row in rows:
        if row.get("program_id"):
            wanted[Program].add(row["program_id"])
        kind = row["kind"]
        if kind == NotificationKind.WELLBEING_DECLINE:
            wanted[Worker].add(row["subject_id"])
        elif kind == NotificationKind.EXPERIMENT_DECISION:
            wanted[Experiment].add(row["subject_id"])
    names: dict[str, str] = {}
    for table, ids in wanted.items():
        label = table.display_name if table is Worker else table.name
        ordered = sorted(ids)
        for start in range(0, len(ordered), 5_000):
            chunk = ordered[start : start + 5_000]
            for id_, name in session.execute(select(table.id, label).where(table.id.in_(chunk))):
                names[id_] = name or id_
    return names


def variables(row: dict[str, Any], organization: str, names: dict[str, str]) -> dict[str, Any]:
    """What a notification's template may say: the row, with names beside the ids."""
    program = row.get("program_id")
    return {
        **row,
        "organization": organization,
        "program": names.get(program, program) if program else None,
        "worker": names.get(row["subject_id"], "a worker"),
        "experiment": names.get(row["subject_id"], row["subject_id"]),
    }


def claim(
    engine: Engine, rows: Sequence[dict[str, Any]], now: datetime, email_enabled: bool
) -> ClaimReport:
    """Claim due rows by key: the notification and its deliveries, or nothing if already there."""
    report = ClaimReport(due=len(rows))
    for start in range(0, len(rows), BATCH):
        _claim_batch(engine, rows[start : start + BATCH], now, email_enabled, report)
    return report


def _claim_batch(
    engine: Engine,
    rows: Sequence[dict[str, Any]],
    now: datetime,
    email_enabled: bool,
    report: ClaimReport,
) -> None:
    with transaction(engine) as session:
        keys = [row["notification_key"] for row in rows]
        existing = set(session.scalars(select(Notification.key).where(Notification.key.in_(keys))))
        fresh = [row for row in rows if row["notification_key"] not in existing]
        report.already_claimed += len(rows) - len(fresh)
        if not fresh:
            return
        organizations = _organizations(session, (row["organization_id"] for row in fresh))
        names = _names(session, fresh)
        for row in fresh:
            org = organizations[row["organization_id"]]
            title, body = render(row["kind"], variables(row, org.name, names))
            notification = Notification(
                id=new_id(),  # known before the flush, so one flush serves the whole batch
                organization_id=row["organization_id"],
                key=row["notification_key"],
                kind=row["kind"],
                subject_type=row["subject_type"],
                subject_id=row["subject_id"],
                period=row["period"],
                severity=row["severity"],
                title=title,
                body=body,
                data=_data(row),
                created_by=ACTOR,
                updated_by=ACTOR,
            )
            session.add(notification)
            for delivery in deliveries_for(notification, row, org, email_enabled, now):
                session.add(delivery)
                report.deliveries[delivery.channel] += 1
                report.stand_ins += delivery.note is not None
            report.claimed += 1
            report.by_kind[row["kind"]] += 1


def deliveries_for(
    notification: Notification,
    row: dict[str, Any],
    org: OrgContext,
    email_enabled: bool,
    now: datetime,
) -> list[NotificationDelivery]:
    """One delivery per recipient and chosen channel, and one per webhook that wants the kind."""
    out = []
    for person in recipients(row.get("recipient_user_id"), row.get("recipient_role"), org.members):
        for channel in channels_for(notification.kind, org.preferences.get(person.user_id, {})):
            if channel == NotificationChannel.EMAIL and not email_enabled:
                continue
            out.append(
                new_delivery(
                    notification,
                    channel,
                    now,
                    user_id=person.user_id,
                    destination=person.email if channel == NotificationChannel.EMAIL else "inbox",
                    note=person.stand_in,
                )
            )
    for hook in org.webhooks:
        if webhook_wants(hook.kinds or (), notification.kind):
            out.append(
                new_delivery(
                    notification,
                    NotificationChannel.WEBHOOK,
                    now,
                    webhook_id=hook.id,
                    destination=hook.url,
                )
            )
    return out


def new_delivery(
    notification: Notification,
    channel: str,
    now: datetime,
    *,
    user_id: str | None = None,
    webhook_id: str | None = None,
    destination: str,
    note: str | None = None,
) -> NotificationDelivery:
    inbox = channel == NotificationChannel.INBOX
    return NotificationDelivery(
        organization_id=notification.organization_id,
        notification_id=notification.id,
        idempotency_key=delivery_key(
            notification.key, channel, user_id or webhook_id or destination
        ),
        channel=channel,
        user_id=user_id,
        webhook_id=webhook_id,
        destination=destination,
        # Written to the inbox is delivered to the inbox.
        status=DeliveryStatus.SENT if inbox else DeliveryStatus.PENDING,
        sent_at=now if inbox else None,
        next_attempt_at=None if inbox else now,
        note=note,
        created_by=ACTOR,
        updated_by=ACTOR,
    )


def _data(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("program_id", "measured", "reference", "detail", "recipient_user_id", "recipient_role")
    return {k: row.get(k) for k in keep if row.get(k) is not None}
