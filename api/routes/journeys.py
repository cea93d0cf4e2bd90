"""A journey's structure: phases and touchpoints read and replaced as one validated document."""

from __future__ import annotations

from typing import Annotated, Any

from api.crud import load
from api.deps import Principal, PrincipalDep, RowId, TenantSessionDep, writer
from api.journey_structure import (
    check_structure,
    phases_with_touchpoints,
    replace_structure,
    structure_problems,
)
from api.problems import RESPONSES, Problem
from api.resources import JOURNEYS
from api.routing import StoreRouter
from api.schemas import JourneyStructure, JourneyStructureRead
from coaching.domain import CONTENT_ROLES, JourneyStatus

router = StoreRouter(prefix="/journeys", tags=["journeys"], responses=RESPONSES)


def _read(session: Any, journey: Any) -> dict[str, Any]:
    return {
        "journey_id": journey.id,
        "phases": phases_with_touchpoints(session, journey),
        "problems": structure_problems(session, journey),
    }


@router.get(
    "/{row_id}/structure", response_model=JourneyStructureRead, summary="Phases and touchpoints"
)
def read_structure(row_id: RowId, _: PrincipalDep, session: TenantSessionDep) -> Any:
    return _read(session, load(session, JOURNEYS, row_id))


@router.put(
    "/{row_id}/structure",
    response_model=JourneyStructureRead,
    summary="Replace the phases and touchpoints of a draft journey",
    description="Positions follow the order of the document. Content must belong to the "
    "organization and day offsets must not run backwards. A published journey is not edited in "
    "place: set it back to draft first.",
)
def put_structure(
    row_id: RowId,
    body: JourneyStructure,
    principal: Annotated[Principal, writer(CONTENT_ROLES, "journeys")],
    session: TenantSessionDep,
) -> Any:
    journey = load(session, JOURNEYS, row_id)
    if journey.status != JourneyStatus.DRAFT:
        raise Problem(409, f"the journey is {journey.status}; only a draft's structure changes")
    check_structure(session, body)
    replace_structure(session, journey, body)
    session.commit()
    return _read(session, journey)
