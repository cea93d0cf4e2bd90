"""A journey's structure (phases and touchpoints) as one document, its rules, and copying a
journey between organizations (the marketplace import).

Rows are matched by position when a structure is replaced: the phase or touchpoint at position n
keeps its id (experiments and message events point at touchpoints), positions no longer used are
soft-deleted, and a soft-deleted row is revived if its position comes back.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.problems import FieldProblem, Problem
from api.schemas import JourneyStructure
from api.schemas.journeys import InSegment, TouchpointSpec
from coaching import interactive
from coaching.journey_rules import StepSpec, graph_problems
from coaching.store.tables import (
    Content,
    ContentVariant,
    Journey,
    JourneyPhase,
    Segment,
    Touchpoint,
)
from coaching.store.types import utcnow


def _rows(session: Session, model: Any, journey_id: str, *, live: bool = True) -> list[Any]:
    statement = select(model).where(model.journey_id == journey_id).order_by(model.position)
    if live:
        statement = statement.where(model.deleted_at.is_(None))
    return list(session.scalars(statement))


def phases_with_touchpoints(session: Session, journey: Journey) -> list[dict[str, Any]]:
    touchpoints = _rows(session, Touchpoint, journey.id)
    return [
        {
            "id": phase.id,
            "position": phase.position,
            "name": phase.name,
            "description": phase.description,
            "touchpoints": [t for t in touchpoints if t.phase_id == phase.id],
        }
        for phase in _rows(session, JourneyPhase, journey.id)
    ]


def _languages_by_content(session: Session, content_ids: Iterable[str]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    ids = sorted(set(content_ids))
    if not ids:
        return found
    for content_id, language in session.execute(
        select(ContentVariant.content_id, ContentVariant.language).where(
            ContentVariant.content_id.in_(ids), ContentVariant.deleted_at.is_(None)
        )
    ):
        found.setdefault(content_id, set()).add(language)
    return found


def structure_problems(session: Session, journey: Journey) -> list[str]:
    """Why the stored structure cannot be published; empty when it can."""
    touchpoints = _rows(session, Touchpoint, journey.id)
    if not touchpoints:
        return ["the journey has no touchpoints"]
    needed = {t.content_id for t in touchpoints} | {
        t.follow_up["content_id"] for t in touchpoints if t.follow_up
    }
    languages = _languages_by_content(session, needed)
    problems = _foreign_segment_rules(session, touchpoints)
    for touchpoint in touchpoints:
        contents = [touchpoint.content_id]
        if touchpoint.follow_up:
            contents.append(touchpoint.follow_up["content_id"])
        for content_id in contents:
            missing = sorted(set(journey.languages) - languages.get(content_id, set()))
            if missing:
                problems.append(
                    f"touchpoint {touchpoint.position} ({touchpoint.name}): content "
                    f"{content_id} has no variant in {', '.join(missing)}"
                )
    return problems


def variant_problems(
    content: Content, variant: ContentVariant, path: str
) -> list[interactive.Problem]:
    """What WhatsApp would refuse of one variant of `content`: option labels that name no option
    or do not fit, media of a type or size it does not take, a body too long above buttons."""
    options = interactive.parse_options(content.options)
    found = interactive.translation_problems(
        options, variant.option_texts or {}, f"{path}.option_texts"
    )
    found += interactive.media_problems(
        variant.media_url, variant.media_type, variant.media_bytes, path
    )
    if options and variant.body and len(variant.body) > interactive.INTERACTIVE_BODY:
        found.append(
            interactive.Problem(
                f"{path}.body",
                f"at most {interactive.INTERACTIVE_BODY} characters above options",
            )
        )
    return found


def content_problems(session: Session, journey: Journey) -> list[interactive.Problem]:
    """Every touchpoint's content checked against the channel's limits before it is published,
    each problem with its path in the journey: `touchpoints[2].content[quiz_1].options[0].text`;
    a quiz needs one correct option, a check-in a score on each."""
    found: list[interactive.Problem] = []
    for touchpoint in _rows(session, Touchpoint, journey.id):
        sent = [(touchpoint.content_id, True)]
        if touchpoint.follow_up:
            sent.append((touchpoint.follow_up["content_id"], False))
        for content_id, main in sent:
            content = session.get(Content, content_id)
            if content is None:
                continue
            at = f"touchpoints[{touchpoint.position}].content[{content.key}]"
            options = interactive.parse_options(content.options)
            found += interactive.option_problems(options, f"{at}.options")
            if main:
                found += interactive.kind_problems(touchpoint.kind, options, f"{at}.options")
            for variant in session.scalars(
                select(ContentVariant).where(
                    ContentVariant.content_id == content.id, ContentVariant.deleted_at.is_(None)
                )
            ):
                where = f"{at}.variants[{variant.variant_key}:{variant.language}]"
                found += variant_problems(content, variant, where)
    return found


def _touchpoints(structure: JourneyStructure) -> list[tuple[str, TouchpointSpec]]:
    """Every touchpoint in journey order with its path in the request."""
    return [
        (f"body.phases[{p}].touchpoints[{t}]", touchpoint)
        for p, phase in enumerate(structure.phases)
        for t, touchpoint in enumerate(phase.touchpoints)
    ]


def _live_ids(session: Session, model: Any, ids: Iterable[str]) -> set[str]:
    """Which of `ids` are live rows of `model` the session can see (its organization's)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    return set(
        session.scalars(select(model.id).where(model.id.in_(wanted), model.deleted_at.is_(None)))
    )


def _foreign_segment_rules(session: Session, touchpoints: list[Touchpoint]) -> list[str]:
    """Segment rules naming a segment this organization does not have (a marketplace copy keeps
    the original's rules, and its segments stay with the original's organization)."""
    named = {
        (touchpoint.position, touchpoint.name, rule["when"]["segment_id"])
        for touchpoint in touchpoints
        for rule in touchpoint.rules or []
        if rule["when"].get("segment_id")
    }
    found = _live_ids(session, Segment, {segment_id for _, _, segment_id in named})
    return [
        f"touchpoint {position} ({name}): a rule names segment {segment_id}, which is not "
        "a segment of this organization"
        for position, name, segment_id in sorted(named)
        if segment_id not in found
    ]


def check_structure(session: Session, structure: JourneyStructure) -> None:
    """Reject a structure whose content or segments are not the organization's, whose main-flow
    days run backwards, or whose rules do not form a journey (coaching.journey_rules)."""
    errors: list[FieldProblem] = []
    wanted: dict[str, str] = {}
    segments: dict[str, str] = {}
    previous_day = -1
    touchpoints = _touchpoints(structure)
    for path, touchpoint in touchpoints:
        wanted[touchpoint.content_id] = f"{path}.content_id"
        if touchpoint.follow_up:
            wanted[touchpoint.follow_up.content_id] = f"{path}.follow_up.content_id"
        for r, rule in enumerate(touchpoint.rules):
            if isinstance(rule.when, InSegment):
                segments[rule.when.segment_id] = f"{path}.rules[{r}].when.segment_id"
        if touchpoint.branch:
            continue  # a branch is timed by the rule leading to it
        if touchpoint.day_offset < previous_day:
            errors.append(
                FieldProblem(
                    path=f"{path}.day_offset",
                    reason=f"day {touchpoint.day_offset} comes before the previous "
                    f"touchpoint's day {previous_day}",
                )
            )
        previous_day = touchpoint.day_offset
    errors += [
        FieldProblem(path=f"body.{problem.path}", reason=problem.reason)
        for problem in graph_problems(_steps(touchpoints))
    ]
    for model, named, what in ((Content, wanted, "content"), (Segment, segments, "segment")):
        found = _live_ids(session, model, named)
        errors += [
            FieldProblem(path=path, reason=f"no such {what} in this organization")
            for row_id, path in named.items()
            if row_id not in found
        ]
    if errors:
        raise Problem(422, "; ".join(f"{e.path}: {e.reason}" for e in errors[:5]), errors)


def _steps(touchpoints: list[tuple[str, TouchpointSpec]]) -> list[StepSpec]:
    return [
        StepSpec(
            path=path.removeprefix("body."),
            name=touchpoint.name,
            kind=touchpoint.kind,
            branch=touchpoint.branch,
            next=touchpoint.next,
            rules=[rule.model_dump(mode="json") for rule in touchpoint.rules],
        )
        for path, touchpoint in touchpoints
    ]


def _reuse(existing: dict[int, Any], position: int, model: Any, **values: Any) -> Any:
    row = existing.pop(position, None)
    if row is None:
        return model(position=position, **values)
    for name, value in values.items():
        setattr(row, name, value)
    row.deleted_at = None
    return row


def replace_structure(session: Session, journey: Journey, structure: JourneyStructure) -> None:
    phases = {row.position: row for row in _rows(session, JourneyPhase, journey.id, live=False)}
    touchpoints = {row.position: row for row in _rows(session, Touchpoint, journey.id, live=False)}
    positions = {spec.name: i for i, (_, spec) in enumerate(_touchpoints(structure), start=1)}
    position = 0
    for p, spec in enumerate(structure.phases, start=1):
        phase = _reuse(
            phases,
            p,
            JourneyPhase,
            journey_id=journey.id,
            name=spec.name,
            description=spec.description,
        )
        session.add(phase)
        session.flush()  # the phase id is needed by its touchpoints
        for touchpoint in spec.touchpoints:
            position += 1
            values = touchpoint.model_dump(mode="python", exclude={"next", "rules"})
            if touchpoint.follow_up is not None:
                values["follow_up"] = touchpoint.follow_up.model_dump()
            values["next_name"] = touchpoint.next
            values["next_position"] = positions.get(touchpoint.next or "")
            values["rules"] = [
                {
                    **rule.model_dump(mode="json"),
                    "goto_position": positions.get(rule.goto or ""),
                }
                for rule in touchpoint.rules
            ]
            session.add(
                _reuse(
                    touchpoints,
                    position,
                    Touchpoint,
                    journey_id=journey.id,
                    phase_id=phase.id,
                    **values,
                )
            )
    now = utcnow()
    for row in (*touchpoints.values(), *phases.values()):
        if row.deleted_at is None:
            row.deleted_at = now
    session.flush()


def copy_journey(source: Session, target: Session, journey: Journey) -> Journey:
    """Copy a listed journey, its structure and its content into the target's organization.

    `source` reads the original (a platform session: the original belongs to another tenant);
    `target` is the importer's tenant session, so every copied row is theirs and audited.
    """
    touchpoints = _rows(source, Touchpoint, journey.id)
    content_ids = {t.content_id for t in touchpoints} | {
        t.follow_up["content_id"] for t in touchpoints if t.follow_up
    }
    contents = list(source.scalars(select(Content).where(Content.id.in_(sorted(content_ids)))))
    variants = list(
        source.scalars(
            select(ContentVariant).where(
                ContentVariant.content_id.in_(sorted(content_ids)),
                ContentVariant.deleted_at.is_(None),
            )
        )
    )
    suffix = secrets.token_hex(3)  # keys are unique per organization; a re-import must not clash
    content_map: dict[str, str] = {}
    for content in contents:
        copy = Content(
            key=f"{content.key}-{suffix}"[:120],
            kind=content.kind,
            description=content.description,
            correct_answer=content.correct_answer,
        )
        target.add(copy)
        target.flush()
        content_map[content.id] = copy.id
    for variant in variants:
        target.add(
            ContentVariant(
                content_id=content_map[variant.content_id],
                variant_key=variant.variant_key,
                language=variant.language,
                body=variant.body,
                template_sid=variant.template_sid,
                template_variables=dict(variant.template_variables),
            )
        )
    copy = Journey(
        name=journey.name,
        description=journey.description,
        status="draft",
        languages=list(journey.languages),
        is_marketplace_listed=False,
        source_journey_id=journey.id,
    )
    target.add(copy)
    target.flush()
    phase_map: dict[str, str] = {}
    for phase in _rows(source, JourneyPhase, journey.id):
        new_phase = JourneyPhase(
            journey_id=copy.id,
            position=phase.position,
            name=phase.name,
            description=phase.description,
        )
        target.add(new_phase)
        target.flush()
        phase_map[phase.id] = new_phase.id
    for touchpoint in touchpoints:
        follow_up = None
        if touchpoint.follow_up:
            follow_up = {
                **touchpoint.follow_up,
                "content_id": content_map[touchpoint.follow_up["content_id"]],
            }
        target.add(
            Touchpoint(
                journey_id=copy.id,
                phase_id=phase_map[touchpoint.phase_id],
                position=touchpoint.position,
                name=touchpoint.name,
                kind=touchpoint.kind,
                day_offset=touchpoint.day_offset,
                local_send_time=touchpoint.local_send_time,
                content_id=content_map[touchpoint.content_id],
                follow_up=follow_up,
                branch=touchpoint.branch,
                next_name=touchpoint.next_name,
                next_position=touchpoint.next_position,
                # Segment rules still name the original's segments: structure_problems asks the
                # importer to replace them before the copy can be published.
                rules=list(touchpoint.rules or []),
            )
        )
    target.flush()
    return copy
