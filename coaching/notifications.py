"""What people inside an organization are told, and who hears of it: the vocabulary the warehouse,
the notifier and the API share. Pure: no I/O.

The warehouse decides what is due (`notifications_due`: one row per stable key, with a recipient
named by role or by assignment); activation resolves the recipient to real users at the last step,
because users, their addresses and their preferences live in the store, not the lake.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from coaching.domain import Role


class NotificationKind(StrEnum):
    QUOTA_WARNING = "quota_warning"  # 80% of the month's message quota used
    QUOTA_REACHED = "quota_reached"  # 100%: sends are held until the month turns
    WELLBEING_DECLINE = "wellbeing_decline"
    EXPERIMENT_DECISION = "experiment_decision"
    BULK_OPT_OUT = "bulk_opt_out"
    DELIVERY_FAILED = "delivery_failed"  # a notification could not be delivered (dead letter)
    RUN_FAILED = "run_failed"  # platform: a pipeline run failed (a failed blocking check too)
    CHECK_FAILED = "check_failed"  # platform: a blocking data check failed (and stopped its run)


class NotificationChannel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    WEBHOOK = "webhook"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"  # every attempt failed; an admin is told in the inbox


# What a user hears on when they have set nothing for a kind.
DEFAULT_CHANNELS = (NotificationChannel.INBOX, NotificationChannel.EMAIL)
# Channels a user chooses between (webhooks belong to the organization, not to a user).
USER_CHANNELS = frozenset({NotificationChannel.INBOX, NotificationChannel.EMAIL})

QUOTA_WARNING_SHARE = 0.8
# A program is told when more than this share of its enrollments opts out in one local day.
BULK_OPT_OUT_SHARE = 0.02


@dataclass(frozen=True)
class KindRule:
    """Who hears of a kind: `admin` (the organization's admins), `manager` (the program's manager,
    else the admins) or `platform` (the operators' channels from settings)."""

    subject_type: str
    severity: Severity
    recipient: str
    threshold: float | None = None


KIND_RULES: dict[NotificationKind, KindRule] = {
    NotificationKind.QUOTA_WARNING: KindRule(
        "organization", Severity.WARNING, "admin", QUOTA_WARNING_SHARE
    ),
    NotificationKind.QUOTA_REACHED: KindRule("organization", Severity.CRITICAL, "admin", 1.0),
    NotificationKind.WELLBEING_DECLINE: KindRule("worker", Severity.WARNING, "manager"),
    NotificationKind.EXPERIMENT_DECISION: KindRule("experiment", Severity.INFO, "manager"),
    NotificationKind.BULK_OPT_OUT: KindRule(
        "program", Severity.WARNING, "manager", BULK_OPT_OUT_SHARE
    ),
    NotificationKind.DELIVERY_FAILED: KindRule("notification", Severity.WARNING, "admin"),
    NotificationKind.RUN_FAILED: KindRule("run", Severity.CRITICAL, "platform"),
    NotificationKind.CHECK_FAILED: KindRule("check", Severity.CRITICAL, "platform"),
}


@dataclass(frozen=True)
class Recipient:
    """One user a notification goes to; `stand_in` says whom they stand in for, if anyone."""

    user_id: str
    email: str
    stand_in: str | None = None


@dataclass(frozen=True)
class Member:
    """A user of the organization as the store has them now."""

    id: str
    email: str
    role: str
    is_active: bool = True


def recipients(
    recipient_user_id: str | None, recipient_role: str | None, members: Iterable[Member]
) -> list[Recipient]:
    """The users a notification goes to: the named user while they are an active member, every
    active member of the named role, and the organization's admins when neither finds anyone
    (the manager left, the role is empty): a notice is never dropped for want of an addressee."""
    active = [m for m in members if m.is_active]
    if recipient_user_id is not None:
        named = [m for m in active if m.id == recipient_user_id]
        if named:
            return [Recipient(m.id, m.email) for m in named]
        stand_in = "the recipient left the organization"
    elif recipient_role is not None:
        holders = [m for m in active if m.role == recipient_role]
        if holders:
            return [Recipient(m.id, m.email) for m in holders]
        stand_in = f"the organization has no active {recipient_role}"
    else:
        stand_in = "no recipient was named"
    return [Recipient(m.id, m.email, stand_in) for m in active if m.role == Role.ADMIN]


@dataclass(frozen=True)
class Preference:
    channels: tuple[str, ...]
    muted: bool = False


def channels_for(kind: str, preferences: Mapping[str, Preference]) -> tuple[str, ...]:
    """The user channels one user hears of `kind` on: their preference, else the defaults."""
    preference = preferences.get(kind)
    if preference is None:
        return tuple(DEFAULT_CHANNELS)
    if preference.muted:
        return ()
    return tuple(c for c in NotificationChannel if c in preference.channels and c in USER_CHANNELS)


def webhook_wants(kinds: Iterable[str], kind: str) -> bool:
    """An organization's webhook receives the kinds it lists, or every kind if it lists none."""
    listed = list(kinds)
    return not listed or kind in listed


def delivery_key(notification_key: str, channel: str, destination_id: str) -> str:
    """The idempotency key of one delivery: a second claim of the same one is a no-op."""
    return f"{notification_key}|{channel}|{destination_id}"
