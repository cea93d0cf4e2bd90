"""The marketplace: expert organizations' published journeys, browsed and imported by clients.

Listings are public to every signed-in organization, so they are read through a platform session
restricted to listed, published, live journeys of approved expert organizations; that filter is
the only path by which one tenant sees another's rows. An import copies into the importer's own
tenant session, so the copy is theirs and the original stays read-only to them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import (
    PlatformSessionDep,
    Principal,
    PrincipalDep,
    RowId,
    TenantSessionDep,
    writer,
)
from api.journey_structure import copy_journey, phases_with_touchpoints
from api.problems import RESPONSES, not_found
from api.routing import StoreRouter
from api.schemas import JourneyRead, PhaseRead
from coaching.domain import CONTENT_ROLES, ApprovalStatus, JourneyStatus, OrganizationType
from coaching.store.tables import Journey, Organization

router = StoreRouter(prefix="/marketplace", tags=["marketplace"], responses=RESPONSES)


class Listing(BaseModel):
    id: str
    name: str
    description: str | None
    languages: list[str]
    publisher: str = Field(description="The expert organization's name.")


class ListingDetail(Listing):
    phases: list[PhaseRead]


def _listed() -> Any:
    return (
        select(Journey, Organization.name)
        .join(Organization, Organization.id == Journey.organization_id)
        .where(
            Journey.is_marketplace_listed,
            Journey.status == JourneyStatus.PUBLISHED,
            Journey.deleted_at.is_(None),
            Organization.type == OrganizationType.EXPERT,
            Organization.approval_status == ApprovalStatus.APPROVED,
            Organization.deleted_at.is_(None),
        )
    )


def _listing(session: Session, journey_id: str) -> tuple[Journey, str]:
    found = session.execute(_listed().where(Journey.id == journey_id)).first()
    if found is None:
        raise not_found("listed journey")
    return found[0], found[1]


def _as_listing(journey: Journey, publisher: str) -> dict[str, Any]:
    return {
        "id": journey.id,
        "name": journey.name,
        "description": journey.description,
        "languages": journey.languages,
        "publisher": publisher,
    }


@router.get("/journeys", response_model=list[Listing], summary="Browse listed journeys")
def browse(
    _: PrincipalDep,
    session: PlatformSessionDep,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    rows = session.execute(_listed().order_by(Journey.name, Journey.id)).all()
    listings = [
        _as_listing(journey, publisher)
        for journey, publisher in rows
        if language is None or language in journey.languages
    ]
    return listings[:limit]


@router.get("/journeys/{journey_id}", response_model=ListingDetail, summary="A listed journey")
def listing(journey_id: RowId, _: PrincipalDep, session: PlatformSessionDep) -> Any:
    journey, publisher = _listing(session, journey_id)
    return {**_as_listing(journey, publisher), "phases": phases_with_touchpoints(session, journey)}


@router.post(
    "/journeys/{journey_id}/import",
    response_model=JourneyRead,
    status_code=201,
    summary="Import a copy of a listed journey, with its content, as a draft",
)
def import_journey(
    journey_id: RowId,
    principal: Annotated[Principal, writer(CONTENT_ROLES, "journeys")],
    platform: PlatformSessionDep,
    session: TenantSessionDep,
) -> Any:
    journey, _ = _listing(platform, journey_id)
    copy = copy_journey(platform, session, journey)
    session.commit()
    return copy
