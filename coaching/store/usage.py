"""The month's message use, counted in the store the one way the sender and the API share: a
message counts once it was handed to Twilio (sending or sent) in the month it was claimed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.domain import OutboxStatus
from coaching.quota import Allowance, month_start
from coaching.store.tables import Organization, OutboxMessage

SPENT = (OutboxStatus.SENT, OutboxStatus.SENDING)


def used_by_channel(
    session: Session, now: datetime, organization_ids: Iterable[str] | None = None
) -> dict[tuple[str, str], int]:
    """(organization, channel) → messages spent this month."""
    statement = (
        select(OutboxMessage.organization_id, OutboxMessage.channel, func.count())
        .where(OutboxMessage.status.in_(SPENT), OutboxMessage.claimed_at >= month_start(now))
        .group_by(OutboxMessage.organization_id, OutboxMessage.channel)
    )
    if organization_ids is not None:
        statement = statement.where(OutboxMessage.organization_id.in_(list(organization_ids)))
    return {(org, channel): n for org, channel, n in session.execute(statement)}


def allowances(
    session: Session, now: datetime, organization_ids: Iterable[str] | None = None
) -> dict[str, Allowance]:
    """Each organization's allowance for the month, with what it has used so far."""
    ids = None if organization_ids is None else list(organization_ids)
    statement = select(Organization.id, Organization.tier, Organization.monthly_message_quota)
    if ids is not None:
        statement = statement.where(Organization.id.in_(ids))
    used: dict[str, int] = {}
    for (org, _), n in used_by_channel(session, now, ids).items():
        used[org] = used.get(org, 0) + n
    return {
        org: Allowance.for_tier(tier, quota, used.get(org, 0))
        for org, tier, quota in session.execute(statement)
    }


def held(session: Session, organization_id: str) -> int:
    return session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.organization_id == organization_id,
            OutboxMessage.status == OutboxStatus.HELD,
        )
    )
