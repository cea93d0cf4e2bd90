"""The console's pages. Each reads what the JSON API reads, through the same tenant session (every
statement filtered to the caller's organization), the same role checks and the same mart reader,
and joins names to ids at this last step, so a program manager never reads a UUID to know what
a row is.

(No `from __future__ import annotations`: FastAPI reads the signatures' annotations.)
"""

import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, or_, select

from api import accounts
from api.console import formatting
from api.console.session import (
    COOKIE,
    PATH,
    ConsolePrincipal,
    ConsoleSession,
    safe_next,
    signed_in,
    signed_out,
    to_sign_in,
)
from api.crud import load
from api.deps import PlatformSessionDep, Principal, SettingsDep, may_read
from api.journey_structure import phases_with_touchpoints, structure_problems
from api.marts import marts_of
from api.problems import Problem
from api.resources import EXPERIMENTS, JOURNEYS, PROGRAMS, SEGMENTS, WORKERS
from api.routes.auth import client_address
from api.routes.delivery import MessagesQuery, worker_messages
from api.routes.notifications import InboxQuery, inbox
from api.routing import StoreRouter
from api.schemas.common import E164_PATTERN
from api.security import read_token
from coaching.domain import PROGRAM_ROLES
from coaching.journey_rules import describe_condition
from coaching.segments.rules import describe_rule
from coaching.store.tables import (
    Content,
    Enrollment,
    EnrollmentSync,
    Experiment,
    ExperimentVariant,
    Journey,
    Organization,
    Program,
    Segment,
    Touchpoint,
    User,
    UserSession,
    Worker,
)
from coaching.store.types import utcnow

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
formatting.install(templates.env)
router = StoreRouter(prefix=PATH, include_in_schema=False)
PAGE = 50  # rows per page of a list
PREVIEW = 25  # members shown on a segment's page


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    session: Any = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page in the console's frame: who is signed in, to which organization, unread notices."""
    frame: dict[str, Any] = {"principal": principal, "organization": None, "user": None}
    if principal is not None and session is not None:
        frame["organization"] = session.get(Organization, principal.organization_id)
        kind, _, user_id = principal.actor.partition(":")
        frame["user"] = session.get(User, user_id) if kind == "user" else None
    return templates.TemplateResponse(request, template, {**frame, **context}, status_code=status)


def error_page(request: Request, status: int, detail: str | None) -> Response | None:
    """The console's answer to a failure on one of its pages (None for any other path): signed
    out, the sign-in form; otherwise a page saying what went wrong, with the status."""
    if request.url.path != PATH and not request.url.path.startswith(f"{PATH}/"):
        return None
    if status == 401:  # a reason only for a session that ended, not for a first visit
        return to_sign_in(request, detail if COOKIE in request.cookies else None)
    return render(request, "error.html", None, status=status, status_code=status, detail=detail)


def mart_rows(
    request: Request,
    mart: str,
    principal: Principal,
    filters: dict[str, Any] | None = None,
    order: tuple[str, ...] = (),
    limit: int = 1000,
) -> tuple[list[dict[str, Any]], str | None]:
    """A mart's rows for the organization, and why there are none when it is not published yet
    (a page still shows what the store knows)."""
    try:
        page = marts_of(request).rows(
            mart, principal.organization_id, filters or {}, order, limit, None
        )
    except Problem as problem:
        if problem.status != 409:
            raise
        return [], problem.detail
    return page.items, None


# Signing in and out


@router.get("/login")
def login_form(request: Request, next: str | None = None, reason: str | None = None) -> Any:
    return render(request, "login.html", None, next=safe_next(next), reason=reason)


@router.post("/login")
def login(
    request: Request,
    session: PlatformSessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(min_length=1, max_length=254)],
    password: Annotated[str, Form(min_length=1, max_length=128)],
    next: Annotated[str, Form(max_length=2000)] = f"{PATH}/",
    otp: Annotated[str, Form(max_length=20)] = "",
) -> Any:
    state = request.app.state
    try:
        token = accounts.sign_in(
            session,
            settings,
            state.secret_key,
            email,
            password,
            otp.strip() or None,
            client_address(request),
            state.rate_limits,
        )
    except Problem as problem:
        return render(
            request,
            "login.html",
            None,
            status=problem.status,
            next=safe_next(next),
            reason=problem.detail,
            email=email,
        )
    secure = request.url.scheme == "https"
    return signed_in(safe_next(next), token.access_token, token.expires_in, secure)


@router.post("/logout")
def logout(request: Request, session: PlatformSessionDep) -> Any:
    """Signed out here is signed out everywhere the session's tokens went."""
    claims = read_token(request.cookies.get(COOKIE, ""), request.app.state.secret_key)
    record = session.get(UserSession, claims.session_id) if claims and claims.session_id else None
    if record is not None:
        accounts.end_session(session, record, "logout", utcnow())
        session.commit()
    return signed_out()


@router.get("/")
def home() -> Any:
    return RedirectResponse(f"{PATH}/programs", status_code=303)


# Programs


def _enrollment_counts(session: Any, program_ids: list[str] | None = None) -> dict[str, Counter]:
    """Per program: enrollments by status, and the holdouts among the active ones."""
    statement = select(
        Enrollment.program_id, Enrollment.status, Enrollment.is_holdout, func.count()
    ).where(Enrollment.deleted_at.is_(None))
    if program_ids is not None:
        statement = statement.where(Enrollment.program_id.in_(program_ids))
    counts: dict[str, Counter] = defaultdict(Counter)
    for program_id, status, is_holdout, n in session.execute(
        statement.group_by(Enrollment.program_id, Enrollment.status, Enrollment.is_holdout)
    ):
        counts[program_id][status] += n
        counts[program_id]["all"] += n
        if is_holdout and status == "active":
            counts[program_id]["holdout"] += n
    return counts


def _programs(session: Any, *where: Any) -> list[tuple[Any, str | None, str | None]]:
    return list(
        session.execute(
            select(Program, Journey.name, Segment.name)
            .outerjoin(Journey, Journey.id == Program.journey_id)
            .outerjoin(Segment, Segment.id == Program.segment_id)
            .where(Program.deleted_at.is_(None), *where)
            .order_by(Program.starts_on.desc(), Program.name)
        ).all()
    )


@router.get("/programs")
def programs(request: Request, principal: ConsolePrincipal, session: ConsoleSession) -> Any:
    rows = _programs(session)
    progress, missing = mart_rows(request, "program_progress", principal, order=("program_id",))
    return render(
        request,
        "programs.html",
        principal,
        session,
        programs=rows,
        counts=_enrollment_counts(session),
        progress={row["program_id"]: row for row in progress},
        missing=missing,
    )


@router.get("/programs/{program_id}")
def program(
    request: Request, program_id: str, principal: ConsolePrincipal, session: ConsoleSession
) -> Any:
    found = load(session, PROGRAMS, program_id)
    _, journey_name, segment_name = _programs(session, Program.id == found.id)[0]
    manager = session.get(User, found.manager_id) if found.manager_id else None
    progress, missing = mart_rows(
        request, "program_progress", principal, {"program_id": found.id}, ("program_id",)
    )
    experiments = list(
        session.scalars(
            select(Experiment)
            .where(Experiment.program_id == found.id, Experiment.deleted_at.is_(None))
            .order_by(Experiment.name)
        )
    )
    syncs = list(
        session.scalars(
            select(EnrollmentSync)
            .where(EnrollmentSync.program_id == found.id)
            .order_by(EnrollmentSync.started_at.desc())
            .limit(5)
        )
    )
    return render(
        request,
        "program.html",
        principal,
        session,
        program=found,
        journey_name=journey_name,
        segment_name=segment_name,
        manager=manager,
        counts=_enrollment_counts(session, [found.id]).get(found.id, Counter()),
        progress=progress[0] if progress else None,
        missing=missing,
        experiments=experiments,
        syncs=syncs,
    )


# Segments


@router.get("/segments")
def segments(request: Request, principal: ConsolePrincipal, session: ConsoleSession) -> Any:
    rows = list(
        session.scalars(
            select(Segment).where(Segment.deleted_at.is_(None)).order_by(Segment.name, Segment.id)
        )
    )
    built, missing = mart_rows(request, "segments", principal, order=("segment_id",))
    return render(
        request,
        "segments.html",
        principal,
        session,
        segments=rows,
        built={row["segment_id"]: row for row in built},
        rules={row.id: describe_rule(row.rule) for row in rows},
        missing=missing,
    )


@router.get("/segments/{segment_id}")
def segment(
    request: Request, segment_id: str, principal: ConsolePrincipal, session: ConsoleSession
) -> Any:
    found = load(session, SEGMENTS, segment_id)
    built, missing = mart_rows(
        request, "segments", principal, {"segment_id": found.id}, ("segment_id",)
    )
    members, _ = mart_rows(
        request,
        "segment_membership",
        principal,
        {"segment_id": found.id},
        ("worker_id",),
        PREVIEW,
    )
    ids = [row["worker_id"] for row in members]
    workers = (
        list(session.scalars(select(Worker).where(Worker.id.in_(ids)).order_by(Worker.id)))
        if ids
        else []
    )
    return render(
        request,
        "segment.html",
        principal,
        session,
        segment=found,
        rule=describe_rule(found.rule),
        built=built[0] if built else None,
        missing=missing,
        workers=workers,
        programs=_programs(session, Program.segment_id == found.id),
    )


# Journeys


@router.get("/journeys")
def journeys(request: Request, principal: ConsolePrincipal, session: ConsoleSession) -> Any:
    rows = list(
        session.scalars(
            select(Journey).where(Journey.deleted_at.is_(None)).order_by(Journey.name, Journey.id)
        )
    )
    touchpoints = dict(
        session.execute(
            select(Touchpoint.journey_id, func.count())
            .where(Touchpoint.deleted_at.is_(None))
            .group_by(Touchpoint.journey_id)
        ).all()
    )
    running: dict[str, list[str]] = defaultdict(list)
    for program_row, _, _ in _programs(session):
        running[program_row.journey_id].append(program_row.name)
    return render(
        request,
        "journeys.html",
        principal,
        session,
        journeys=rows,
        touchpoints=touchpoints,
        running=running,
    )


@router.get("/journeys/{journey_id}")
def journey(
    request: Request, journey_id: str, principal: ConsolePrincipal, session: ConsoleSession
) -> Any:
    found = load(session, JOURNEYS, journey_id)
    phases = phases_with_touchpoints(session, found)
    content_ids = {t.content_id for phase in phases for t in phase["touchpoints"]}
    content = (
        {c.id: c for c in session.scalars(select(Content).where(Content.id.in_(content_ids)))}
        if content_ids
        else {}
    )
    rules = {
        t.id: [
            (describe_condition(r.get("when", {}), int(r.get("after_days", 1))), r.get("goto"))
            for r in (t.rules or [])
            if isinstance(r, dict) and isinstance(r.get("when"), dict) and "kind" in r["when"]
        ]
        for phase in phases
        for t in phase["touchpoints"]
    }
    return render(
        request,
        "journey.html",
        principal,
        session,
        journey=found,
        phases=phases,
        content=content,
        rules=rules,
        problems=structure_problems(session, found),
        programs=_programs(session, Program.journey_id == found.id),
    )


# Workers

PHONE = re.compile(E164_PATTERN)  # what the store holds: only a whole, valid number can match


@router.get("/workers")
def workers(
    request: Request,
    principal: ConsolePrincipal,
    session: ConsoleSession,
    q: Annotated[str, Query(max_length=120)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    statement = select(Worker).where(Worker.deleted_at.is_(None))
    if q.strip():
        like = f"%{q.strip().lower()}%"
        matches = [
            func.lower(Worker.display_name).like(like),
            func.lower(Worker.team).like(like),
            func.lower(Worker.external_id).like(like),
        ]
        phone = re.sub(r"[\s().-]", "", q)
        if PHONE.match(phone):  # sealed in the store: found whole, by its keyed hash
            matches.append(Worker.phone_lookup == phone)
        statement = statement.where(or_(*matches))
    rows = list(
        session.scalars(
            statement.order_by(Worker.display_name, Worker.id).offset(offset).limit(PAGE + 1)
        )
    )
    return render(
        request,
        "workers.html",
        principal,
        session,
        workers=rows[:PAGE],
        q=q,
        offset=offset,
        more=len(rows) > PAGE,
        page=PAGE,
    )


@router.get("/workers/{worker_id}")
def worker(
    request: Request,
    worker_id: str,
    principal: ConsolePrincipal,
    session: ConsoleSession,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    found = load(session, WORKERS, worker_id)
    enrollments = session.execute(
        select(Enrollment, Program.name)
        .join(Program, Program.id == Enrollment.program_id)
        .where(Enrollment.worker_id == found.id, Enrollment.deleted_at.is_(None))
        .order_by(Enrollment.enrolled_at.desc())
    ).all()
    states, _ = mart_rows(
        request, "journey_states", principal, {"worker_id": found.id}, ("enrollment_id",)
    )
    steps = {row[k] for row in states for k in ("current_touchpoint_id", "next_touchpoint_id")}
    steps.discard(None)
    touchpoints = (
        dict(
            session.execute(
                select(Touchpoint.id, Touchpoint.name).where(Touchpoint.id.in_(steps))
            ).all()
        )
        if steps
        else {}
    )
    messages: dict[str, Any] | None = None
    refused: str | None = None
    try:
        may_read(principal, PROGRAM_ROLES, "message history")
        messages = worker_messages(found.id, MessagesQuery(cursor=cursor), principal, session)
    except Problem as problem:
        if problem.status != 403:
            raise
        refused = problem.detail
    history, history_missing = mart_rows(
        request, "messages", principal, {"worker_id": found.id}, ("-sent_at",), PAGE
    )
    programs_by_id = dict(session.execute(select(Program.id, Program.name)).all())
    return render(
        request,
        "worker.html",
        principal,
        session,
        worker=found,
        enrollments=enrollments,
        states={row["enrollment_id"]: row for row in states},
        touchpoints=touchpoints,
        messages=messages,
        refused=refused,
        history=history if refused is None else [],
        history_missing=history_missing,
        program_names=programs_by_id,
    )


# Experiments


def _decisions(
    request: Request, principal: Principal, experiments: list[Any]
) -> dict[str, dict[str, Any]]:
    """Each experiment's readout of its primary metric over everyone (the decision's row)."""
    rows, _ = mart_rows(
        request,
        "experiment_results",
        principal,
        {"dimension": "all"},
        ("experiment_id", "metric", "variant_key"),
        10_000,
    )
    primary = {e.id: e.primary_metric for e in experiments}
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        if primary.get(row["experiment_id"]) == row["metric"]:
            found.setdefault(row["experiment_id"], row)
    return found


@router.get("/experiments")
def experiments(request: Request, principal: ConsolePrincipal, session: ConsoleSession) -> Any:
    rows = session.execute(
        select(Experiment, Program.name)
        .outerjoin(Program, Program.id == Experiment.program_id)
        .where(Experiment.deleted_at.is_(None))
        .order_by(Experiment.name, Experiment.id)
    ).all()
    return render(
        request,
        "experiments.html",
        principal,
        session,
        experiments=rows,
        decisions=_decisions(request, principal, [experiment for experiment, _ in rows]),
    )


@router.get("/experiments/{experiment_id}")
def experiment(
    request: Request, experiment_id: str, principal: ConsolePrincipal, session: ConsoleSession
) -> Any:
    found = load(session, EXPERIMENTS, experiment_id)
    program_row = session.get(Program, found.program_id) if found.program_id else None
    touchpoint = session.get(Touchpoint, found.touchpoint_id) if found.touchpoint_id else None
    variants = list(
        session.scalars(
            select(ExperimentVariant)
            .where(
                ExperimentVariant.experiment_id == found.id,
                ExperimentVariant.deleted_at.is_(None),
            )
            .order_by(ExperimentVariant.is_control.desc(), ExperimentVariant.key)
        )
    )
    rows, missing = mart_rows(
        request,
        "experiment_results",
        principal,
        {"experiment_id": found.id, "dimension": "all"},
        ("metric", "variant_key"),
    )
    metrics = [found.primary_metric, *found.guardrail_metrics]
    metrics += sorted({row["metric"] for row in rows} - set(metrics))
    readout = {m: [row for row in rows if row["metric"] == m] for m in metrics}
    return render(
        request,
        "experiment.html",
        principal,
        session,
        experiment=found,
        program=program_row,
        touchpoint=touchpoint,
        variants=variants,
        names={v.key: v.name for v in variants},
        control=next((v for v in variants if v.is_control), None),
        readout={m: r for m, r in readout.items() if r},
        decision=(readout.get(found.primary_metric) or [None])[0],
        missing=missing,
    )


# Notifications


@router.get("/notifications")
def notifications(
    request: Request,
    principal: ConsolePrincipal,
    session: ConsoleSession,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    page = inbox(InboxQuery(cursor=cursor), principal, session)
    return render(request, "notifications.html", principal, session, page=page)
