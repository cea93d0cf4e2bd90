"""People's side of notifications: the caller's inbox, how they want to hear of each kind, and
the delivery state admins watch. Notifications are raised by the pipeline and delivered by the
notifier (`coach notify`); the API only reads them and records what a person did (read, muted).

(No `from __future__ import annotations`: FastAPI reads the query models in the signatures.)
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from api.crud import CURSOR_PATTERN
from api.deps import Principal, PrincipalDep, RowId, TenantSessionDep, reader
from api.problems import RESPONSES, Problem, not_found
from api.routing import StoreRouter
from api.schemas.notifications import (
    DeliveryRead,
    InboxItem,
    MarkedRead,
    PreferenceRead,
    PreferenceUpdate,
)
from coaching.domain import ADMINS
from coaching.notifications import (
    DEFAULT_CHANNELS,
    DeliveryStatus,
    NotificationChannel,
    NotificationKind,
)
from coaching.store.tables import Notification, NotificationDelivery, NotificationPreference

router = StoreRouter(tags=["notifications"], responses=RESPONSES)


def user_of(principal: Principal) -> str:
    """The signed-in user's id: an inbox and preferences belong to a person, not an API key."""
    kind, _, user_id = principal.actor.partition(":")
    if kind != "user":
        raise Problem(403, "an API key has no inbox or preferences: sign in as a user")
    return user_id


class InboxPage(BaseModel):
    items: list[InboxItem]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page.")
    unread: int = Field(description="Unread notifications in the whole inbox, not this page.")


class InboxQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unread: bool | None = Field(default=None, description="Only unread (true) or read (false).")
    kind: NotificationKind | None = None
    cursor: str | None = Field(default=None, pattern=CURSOR_PATTERN)
    limit: int = Field(default=50, ge=1, le=200)


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None = None


class DeliveryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: DeliveryStatus | None = None
    channel: NotificationChannel | None = None
    kind: NotificationKind | None = None
    user_id: str | None = Field(default=None, max_length=64)
    cursor: str | None = Field(default=None, pattern=CURSOR_PATTERN)
    limit: int = Field(default=50, ge=1, le=200)


def _newest_first(
    session: Session, statement: Select[Any], cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """A page of (delivery, notification) rows, newest first; the cursor is the last row's id."""
    if cursor:
        anchor = session.get(NotificationDelivery, cursor)
        if anchor is None:
            raise Problem(404, "no row of this organization has the cursor's id")
        statement = statement.where(
            or_(
                NotificationDelivery.created_at < anchor.created_at,
                and_(
                    NotificationDelivery.created_at == anchor.created_at,
                    NotificationDelivery.id < anchor.id,
                ),
            )
        )
    ordered = statement.order_by(
        NotificationDelivery.created_at.desc(), NotificationDelivery.id.desc()
    )
    rows = list(session.execute(ordered.limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1][0].id if more else None)


def _inbox_item(delivery: NotificationDelivery, notification: Notification) -> InboxItem:
    return InboxItem(
        id=delivery.id,
        notification_id=notification.id,
        kind=notification.kind,
        severity=notification.severity,
        title=notification.title,
        body=notification.body,
        subject_type=notification.subject_type,
        subject_id=notification.subject_id,
        period=notification.period,
        data=notification.data or {},
        note=delivery.note,
        created_at=delivery.created_at,
        read_at=delivery.read_at,
    )


def _inbox(user_id: str) -> Select[Any]:
    return (
        select(NotificationDelivery, Notification)
        .join(Notification, Notification.id == NotificationDelivery.notification_id)
        .where(
            NotificationDelivery.user_id == user_id,
            NotificationDelivery.channel == NotificationChannel.INBOX,
        )
    )


@router.get("/notifications", response_model=InboxPage, summary="Read your notifications")
def inbox(
    query: Annotated[InboxQuery, Query()], principal: PrincipalDep, session: TenantSessionDep
) -> Any:
    user_id = user_of(principal)
    statement = _inbox(user_id)
    if query.unread is not None:
        read = NotificationDelivery.read_at
        statement = statement.where(read.is_(None) if query.unread else read.is_not(None))
    if query.kind is not None:
        statement = statement.where(Notification.kind == query.kind)
    rows, next_cursor = _newest_first(session, statement, query.cursor, query.limit)
    unread = session.scalar(
        _inbox(user_id)
        .where(NotificationDelivery.read_at.is_(None))
        .with_only_columns(func.count(NotificationDelivery.id))
    )
    return InboxPage(
        items=[_inbox_item(d, n) for d, n in rows], next_cursor=next_cursor, unread=unread
    )


@router.post(
    "/notifications/{row_id}/read",
    response_model=InboxItem,
    summary="Mark one of your notifications read",
    description="Idempotent: a notification read before keeps its first read time.",
)
def mark_read(row_id: RowId, principal: PrincipalDep, session: TenantSessionDep) -> Any:
    user_id = user_of(principal)
    found = session.execute(_inbox(user_id).where(NotificationDelivery.id == row_id)).first()
    if found is None:
        raise not_found("notification")
    delivery, notification = found
    if delivery.read_at is None:
        delivery.read_at = datetime.now(UTC)
        session.commit()
    return _inbox_item(delivery, notification)


@router.post(
    "/notifications/read-all", response_model=MarkedRead, summary="Mark all your notifications read"
)
def mark_all_read(principal: PrincipalDep, session: TenantSessionDep) -> Any:
    user_id = user_of(principal)
    result = session.execute(
        update(NotificationDelivery)
        .where(
            NotificationDelivery.user_id == user_id,
            NotificationDelivery.channel == NotificationChannel.INBOX,
            NotificationDelivery.read_at.is_(None),
        )
        .values(read_at=datetime.now(UTC))
    )
    session.commit()
    return MarkedRead(marked=result.rowcount or 0)


def _preferences(session: Session, user_id: str) -> dict[str, NotificationPreference]:
    rows = session.scalars(
        select(NotificationPreference).where(
            NotificationPreference.user_id == user_id, NotificationPreference.deleted_at.is_(None)
        )
    )
    return {row.kind: row for row in rows}


def _preference_read(kind: str, row: NotificationPreference | None) -> PreferenceRead:
    if row is None:
        return PreferenceRead(
            kind=kind, channels=list(DEFAULT_CHANNELS), muted=False, is_default=True
        )
    return PreferenceRead(kind=kind, channels=row.channels, muted=row.muted, is_default=False)


@router.get(
    "/notifications/preferences",
    response_model=list[PreferenceRead],
    summary="How you hear of each kind of notification",
)
def preferences(principal: PrincipalDep, session: TenantSessionDep) -> Any:
    mine = _preferences(session, user_of(principal))
    return [_preference_read(kind, mine.get(kind)) for kind in NotificationKind]


@router.put(
    "/notifications/preferences",
    response_model=PreferenceRead,
    summary="Choose how you hear of one kind: its channels, or mute it",
)
def set_preference(
    body: PreferenceUpdate, principal: PrincipalDep, session: TenantSessionDep
) -> Any:
    user_id = user_of(principal)
    row = _preferences(session, user_id).get(body.kind)
    if row is None:
        row = NotificationPreference(user_id=user_id, kind=body.kind)
        session.add(row)
    row.channels = [str(channel) for channel in body.channels]
    row.muted = body.muted
    session.commit()
    return _preference_read(body.kind, row)


@router.get(
    "/notification-deliveries",
    response_model=DeliveryPage,
    summary="Delivery state of the organization's notifications (admins)",
    description="Every delivery on every channel, newest first: pending and retried ones with "
    "their next attempt and last error, dead letters, and when inbox items were read.",
)
def deliveries(
    query: Annotated[DeliveryQuery, Query()],
    _: Annotated[Principal, reader(ADMINS, "notification deliveries")],
    session: TenantSessionDep,
) -> Any:
    statement = select(NotificationDelivery, Notification).join(
        Notification, Notification.id == NotificationDelivery.notification_id
    )
    for name in ("status", "channel", "user_id"):
        if (value := getattr(query, name)) is not None:
            statement = statement.where(getattr(NotificationDelivery, name) == value)
    if query.kind is not None:
        statement = statement.where(Notification.kind == query.kind)
    rows, next_cursor = _newest_first(session, statement, query.cursor, query.limit)
    items = [
        DeliveryRead.model_validate({**_columns(d), "kind": n.kind, "title": n.title})
        for d, n in rows
    ]
    return DeliveryPage(items=items, next_cursor=next_cursor)


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
