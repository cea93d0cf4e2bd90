"""Analysts' figures over the published marts, and the feature catalog segments are built from.

(No `from __future__ import annotations`: the query models are built at import time and FastAPI
must see real classes in the route signatures.)
"""

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from api.crud import load
from api.deps import Principal, PrincipalDep, RowId, TenantSessionDep, reader
from api.marts import CURSOR_PATTERN, marts_of
from api.names import with_names
from api.problems import RESPONSES, Problem
from api.resources import SEGMENTS
from api.routing import StoreRouter
from api.schemas import SegmentPreview, SegmentPreviewRequest
from api.schemas.experiments import ExperimentPlan, ExperimentPlanRequest
from coaching.domain import (
    EXPERIMENT_DECISIONS,
    EXPERIMENT_DIMENSIONS,
    EXPERIMENT_METRICS,
    JOURNEY_TRANSITIONS,
    PROGRAM_ROLES,
    PROGRESS_STATES,
    ProgramStatus,
    Role,
    TouchpointKind,
)
from coaching.journey_rules import RuleKind
from coaching.segments.catalog import FEATURES
from coaching.segments.rules import SegmentRule
from coaching.segments.sql import to_sql

router = StoreRouter(responses=RESPONSES)


class MartRows(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None = None
    published_at: datetime = Field(description="When the pipeline published these figures.")


class FeatureRead(BaseModel):
    name: str
    type: str
    kind: str
    operators: list[str]
    description: str


@dataclass(frozen=True)
class MartRead:
    path: str
    mart: str
    order: tuple[str, ...]  # a leading '-' sorts that column descending
    filters: tuple[str, ...]
    summary: str
    readers: frozenset[Role] | None = None  # None: every role of the organization
    # Filters that are not free text: (name, type); a value outside a vocabulary answers 422
    # (a typo must not read as "no rows").
    types: tuple[tuple[str, Any], ...] = ()


READS = (
    MartRead(
        "/reads/worker-progress",
        "worker_progress",
        ("enrollment_id",),
        ("program_id", "worker_id", "state"),
        "Each enrollment's progress through its journey",
        types=(("state", Literal[PROGRESS_STATES]),),
    ),
    MartRead(
        "/reads/journey-states",
        "journey_states",
        ("enrollment_id",),
        ("program_id", "worker_id", "transition", "rule_kind"),
        "Where each enrollment stands in its journey, the rule that moved it, and what comes next",
        types=(("transition", Literal[JOURNEY_TRANSITIONS]), ("rule_kind", RuleKind)),
    ),
    MartRead(
        "/reads/program-progress",
        "program_progress",
        ("program_id",),
        ("program_id", "status"),
        "Each program against its objectives: completion share and reply rate",
        types=(("status", ProgramStatus),),
    ),
    MartRead(
        "/reads/cohort-metrics",
        "cohort_metrics",
        ("program_id", "cohort_week", "weeks_since_enrollment"),
        ("program_id",),
        "Weekly cohorts: retention, reply rate, completion",
    ),
    MartRead(
        "/reads/leaderboards",
        "team_leaderboards",
        ("-week_start", "team", "rank_in_team", "worker_id"),
        ("team", "week_start", "worker_id"),
        "Weekly team leaderboards: each worker's points and rank in the team, latest week first",
        PROGRAM_ROLES,
        (("week_start", date),),
    ),
    MartRead(
        "/reads/engagement",
        "worker_engagement",
        ("-points_7d", "worker_id"),
        ("team", "worker_id"),
        "Each worker's points (all time, last 7 days) and streaks, most points first",
        PROGRAM_ROLES,
    ),
    MartRead(
        "/reads/wellbeing",
        "wellbeing_checkins",
        ("trend", "worker_id"),
        ("worker_id", "is_declining"),
        "Wellbeing check-ins per worker: latest score, the average before it and the trend, "
        "steepest decline first (is_declining=true for the ones worth a conversation)",
        PROGRAM_ROLES,
        (("is_declining", bool),),
    ),
    MartRead(
        "/reads/question-answers",
        "question_answers",
        ("program_id", "touchpoint_id", "option_position", "answer_payload"),
        ("program_id", "touchpoint_id", "touchpoint_kind"),
        "Quizzes and check-ins per question: how the answers spread over the options, tapped or "
        "typed, and the share answered correctly",
        PROGRAM_ROLES,
        (("touchpoint_kind", TouchpointKind),),
    ),
    MartRead(
        "/reads/quiz-scores",
        "worker_quiz_scores",
        ("worker_id", "-week_start"),
        ("worker_id", "week_start"),
        "Each worker's quiz score and check-ins week by week, latest week first",
        PROGRAM_ROLES,
        (("week_start", date),),
    ),
    MartRead(
        "/reads/language-fallbacks",
        "language_fallbacks",
        ("program_id", "touchpoint_id", "worker_language"),
        ("program_id", "touchpoint_id", "worker_language"),
        "Scheduled sends whose content has no variant in the worker's language (the journey's "
        "default went instead): the translations missing",
        PROGRAM_ROLES,
    ),
    MartRead(
        "/reads/experiment-results",
        "experiment_results",
        ("experiment_id", "metric", "dimension", "dimension_value", "variant_key"),
        ("experiment_id", "metric", "dimension", "decision"),
        "Bayesian results per experiment, metric and breakdown, with the decision and why",
        types=(
            ("metric", Literal[EXPERIMENT_METRICS]),
            ("dimension", Literal[EXPERIMENT_DIMENSIONS]),
            ("decision", Literal[EXPERIMENT_DECISIONS]),
        ),
    ),
)


def _page_fields() -> dict[str, Any]:
    return {
        "cursor": (str | None, Field(default=None, pattern=CURSOR_PATTERN)),
        "limit": (int, Field(default=100, ge=1, le=1000)),
    }


def _add_read(spec: MartRead) -> None:
    types = dict(spec.types)
    fields = {
        name: (types[name] | None, Field(default=None))
        if name in types
        else (str | None, Field(default=None, max_length=120))
        for name in spec.filters
    }
    Query_ = create_model(
        f"{spec.mart}_query", __config__=ConfigDict(extra="forbid"), **fields, **_page_fields()
    )

    @router.get(spec.path, response_model=MartRows, tags=["reads"], summary=spec.summary)
    def read(
        request: Request,
        query: Annotated[Query_, Query()],  # type: ignore[valid-type]
        principal: Annotated[Principal, reader(spec.readers, spec.path.removeprefix("/reads/"))],
        session: TenantSessionDep,
    ) -> Any:
        values = query.model_dump()
        cursor, limit = values.pop("cursor"), values.pop("limit")
        filters = {k: v for k, v in values.items() if v is not None}
        page = marts_of(request).rows(
            spec.mart, principal.organization_id, filters, spec.order, limit, cursor
        )
        return replace(page, items=with_names(session, page.items))


for _spec in READS:
    _add_read(_spec)


MembersQuery = create_model(
    "segment_members_query", __config__=ConfigDict(extra="forbid"), **_page_fields()
)


@router.get(
    "/segments/{row_id}/members",
    response_model=MartRows,
    tags=["segments"],
    summary="A segment's members as of the last pipeline run",
)
def segment_members(
    request: Request,
    row_id: RowId,
    query: Annotated[MembersQuery, Query()],  # type: ignore[valid-type]
    principal: PrincipalDep,
    session: TenantSessionDep,
) -> Any:
    load(session, SEGMENTS, row_id)  # 404 for another organization's segment
    page = marts_of(request).rows(
        "segment_membership",
        principal.organization_id,
        {"segment_id": row_id},
        ("worker_id",),
        query.limit,
        query.cursor,
    )
    return replace(page, items=with_names(session, page.items))


@router.post(
    "/segments/preview",
    response_model=SegmentPreview,
    tags=["segments"],
    summary="How many workers a rule would select today",
    description="Evaluated over the published worker features with the same parameterized SQL "
    "the pipeline uses; nothing is stored.",
)
def preview_segment(request: Request, body: SegmentPreviewRequest, principal: PrincipalDep) -> Any:
    predicate, params = to_sql(SegmentRule.model_validate(body.rule))
    members, workers, as_of = marts_of(request).count(
        "worker_features", principal.organization_id, predicate, params
    )
    return SegmentPreview(members=members, workers=workers, as_of=as_of.isoformat())


@router.get(
    "/feature-catalog",
    response_model=list[FeatureRead],
    tags=["segments"],
    summary="The features segment rules may use, with their operators",
)
def feature_catalog(_: PrincipalDep) -> Any:
    return [
        FeatureRead(
            name=f.name,
            type=f.type,
            kind=f.kind,
            operators=[o.value for o in f.operators],
            description=f.description,
        )
        for f in FEATURES
    ]


@router.post(
    "/experiments/plan",
    response_model=ExperimentPlan,
    tags=["experiments"],
    summary="How long an experiment needs (power calculator)",
)
def plan_experiment(
    request: Request,
    body: ExperimentPlanRequest,
    principal: PrincipalDep,
    session: TenantSessionDep,
) -> Any:
    """Days until a lift ships with the given power, read every day (always-valid) and with one
    look at a pre-set end, at the organization's current volume unless one is given."""
    from coaching.stats.decision import Thresholds
    from coaching.stats.planning import days_needed
    from coaching.store.tables import Organization

    base_rate, volume, source = body.base_rate, body.daily_exposures_per_arm, "given"
    if base_rate is None or volume is None:
        daily, reply_rate = marts_of(request).message_volume(principal.organization_id)
        if volume is None:
            volume = daily / body.arms
            source = "the organization's delivered messages per day over its last 28 days"
        if base_rate is None:
            base_rate = reply_rate
    if not base_rate or not volume:
        raise Problem(
            422, "the organization has no delivered messages yet: give base_rate and "
            "daily_exposures_per_arm",
        )  # fmt: skip
    organization = session.get(Organization, principal.organization_id)
    thresholds = Thresholds.from_layers(
        organization.experiment_defaults if organization else None,
        body.decision_settings.model_dump(exclude_none=True),
    )
    plan = days_needed(
        base_rate, body.relative_lift, volume, body.power, thresholds, arms=body.arms
    )
    return {
        "days_always_valid": plan.days_always_valid,
        "days_fixed_horizon": plan.days_fixed_horizon,
        "per_arm_always_valid": plan.per_arm_always_valid,
        "min_days": plan.min_days,
        "base_rate": base_rate,
        "daily_exposures_per_arm": volume,
        "volume_source": source,
    }
