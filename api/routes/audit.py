"""The audit log: who changed what, newest first."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.deps import Principal, TenantSessionDep, reader
from api.problems import RESPONSES
from api.routing import StoreRouter
from api.schemas import AuditEntryRead
from coaching.domain import ADMINS
from coaching.store.tables import AuditEntry

router = StoreRouter(prefix="/audit-log", tags=["audit"], responses=RESPONSES)


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for older entries; absent on the last page."
    )


class AuditQuery(BaseModel):
    model_config = {"extra": "forbid"}
    entity: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    actor: str | None = Field(default=None, max_length=120)
    cursor: str | None = Field(
        default=None, pattern=r"^[0-9]{1,18}$", description="`next_cursor` of a page."
    )
    limit: int = Field(default=50, ge=1, le=200)


@router.get("", response_model=AuditPage, summary="Read the audit log (admins)")
def audit_log(
    query: Annotated[AuditQuery, Query()],
    principal: Annotated[Principal, reader(ADMINS, "the audit log")],
    session: TenantSessionDep,
) -> Any:
    statement = select(AuditEntry)
    for name in ("entity", "entity_id", "actor"):
        if (value := getattr(query, name)) is not None:
            statement = statement.where(getattr(AuditEntry, name) == value)
    if query.cursor is not None:
        statement = statement.where(AuditEntry.id < int(query.cursor))
    rows = list(session.scalars(statement.order_by(AuditEntry.id.desc()).limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return {"items": rows, "next_cursor": str(rows[-1].id) if more else None}
