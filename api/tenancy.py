"""Tenant isolation, in one place.

A request's session is bound to the caller's organization (`tenant_session`). Two session events
then do the scoping for every route, so no route has to remember it:

- every ORM SELECT, UPDATE and DELETE gets `organization_id = :caller` on every tenant entity it
  touches (and `id = :caller` on organizations), joins and relationship loads included;
- every flush checks that new rows belong to the caller (filling the organization in) and that no
  row moves to another organization, and writes an audit entry for each change.

On PostgreSQL each transaction also switches to the `coach_api` role and names the organization in
`app.organization_id`, so the row-level security policies of migration 0002 hold even for a query
that bypasses the ORM. Platform sessions (`platform_session`) are unscoped and used only where the
caller is not known yet or the data is public: login, API-key lookup, registration, webhooks
(found by the receiving number) and marketplace listings.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.orm import Session, with_loader_criteria

from coaching.errors import CoachError
from coaching.store.tables import (
    AuditEntry,
    MessageEvent,
    Notification,
    NotificationDelivery,
    Organization,
    SenderNumber,
    TenantOwned,
    WebhookReceipt,
)
from coaching.store.types import new_id, utcnow

ORGANIZATION = "organization_id"
ACTOR = "actor"
API_ROLE = "coach_api"
SECRET_COLUMNS = frozenset(
    {"password_hash", "key_hash", "secret", "totp_secret", "token_hash", "code_hash"}
)
# Tables outside TenantOwned that still carry an organization_id (notifications: NULL for the
# platform's own notices, which no tenant session ever sees).
_TENANT_ROWS = (
    MessageEvent,
    AuditEntry,
    WebhookReceipt,
    SenderNumber,
    Notification,
    NotificationDelivery,
)


class CrossTenantWrite(CoachError):
    """A write tried to place a row in another organization: a bug, never a user error."""


def tenant_session(engine: Engine, organization_id: str, actor: str) -> Session:
    return Session(
        engine, expire_on_commit=False, info={ORGANIZATION: organization_id, ACTOR: actor}
    )


def platform_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


@event.listens_for(Session, "do_orm_execute")
def _scope_statements(state: Any) -> None:
    organization_id = state.session.info.get(ORGANIZATION)
    if organization_id is None or not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(*_criteria(organization_id))


@functools.lru_cache(maxsize=4096)
def _criteria(organization_id: str) -> tuple[Any, ...]:
    """The loader criteria that scope a statement to one organization, built once per
    organization: building them for every statement cost a read by id a third of its time.
    Lambdas, so SQLAlchemy caches each criterion's SQL and binds the organization as a value."""
    return (
        with_loader_criteria(
            TenantOwned, lambda cls: cls.organization_id == organization_id, include_aliases=True
        ),
        with_loader_criteria(Organization, lambda cls: cls.id == organization_id),
        *(
            with_loader_criteria(model, lambda cls: cls.organization_id == organization_id)
            for model in _TENANT_ROWS
        ),
    )


@event.listens_for(Session, "after_begin")
def _second_wall(session: Session, _transaction: Any, connection: Any) -> None:
    organization_id = session.info.get(ORGANIZATION)
    if organization_id is None or connection.dialect.name != "postgresql":
        return
    connection.execute(text(f"SET LOCAL ROLE {API_ROLE}"))
    connection.execute(
        text("SELECT set_config('app.organization_id', :org, true)"), {"org": organization_id}
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _changes(row: Any, *, only_modified: bool) -> dict[str, Any]:
    state = inspect(row)
    changes: dict[str, Any] = {}
    for attribute in state.mapper.column_attrs:
        key = attribute.key
        if key in SECRET_COLUMNS:
            if not only_modified or state.attrs[key].history.has_changes():
                changes[key] = "(changed)"
            continue
        history = state.attrs[key].history
        if only_modified and not history.has_changes():
            continue
        value = history.added[0] if history.added else getattr(row, key)
        changes[key] = _jsonable(value)
    return changes


@event.listens_for(Session, "before_flush")
def _guard_and_audit(session: Session, _context: Any, _instances: Any) -> None:
    organization_id = session.info.get(ORGANIZATION)
    if organization_id is None:
        return
    actor = session.info.get(ACTOR, "unknown")
    entries: list[AuditEntry] = []
    for row in list(session.new):
        if isinstance(row, TenantOwned):
            if row.organization_id is None:
                row.organization_id = organization_id
            if row.organization_id != organization_id:
                raise CrossTenantWrite(f"refused to create a {type(row).__name__} elsewhere")
            row.id = row.id or new_id()
            row.created_by = row.updated_by = actor
            entries.append(_entry(row, "create", actor, _changes(row, only_modified=False)))
        elif isinstance(row, _TENANT_ROWS) and row.organization_id != organization_id:
            raise CrossTenantWrite(f"refused to write a {type(row).__name__} elsewhere")
    for row in list(session.dirty):
        if not isinstance(row, TenantOwned | Organization) or not session.is_modified(row):
            continue
        owner = row.id if isinstance(row, Organization) else row.organization_id
        history = inspect(row).attrs["id" if isinstance(row, Organization) else ORGANIZATION]
        if owner != organization_id or history.history.deleted:
            raise CrossTenantWrite(f"refused to move a {type(row).__name__} between organizations")
        changes = _changes(row, only_modified=True)
        action = "delete" if changes.get("deleted_at") else "update"
        row.updated_by = actor
        row.updated_at = utcnow()
        entries.append(_entry(row, action, actor, changes))
    session.add_all(entries)


def _entry(row: Any, action: str, actor: str, changes: dict[str, Any]) -> AuditEntry:
    organization_id = row.id if isinstance(row, Organization) else row.organization_id
    return AuditEntry(
        organization_id=organization_id,
        actor=actor,
        action=action,
        entity=row.__tablename__,
        entity_id=str(row.id),
        changes=changes,
        at=utcnow(),
    )
