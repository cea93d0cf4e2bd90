"""What each tenant resource is: its models, who writes it, how it is listed, and the invariants
that need the store. The generic routes of api.crud serve them all."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import schemas as s
from api.crud import Resource
from api.deps import Principal
from api.journey_structure import content_problems, structure_problems, variant_problems
from api.problems import field_problem, field_problems
from api.schemas.notifications import WebhookCreate, WebhookRead, WebhookUpdate
from api.security import hash_password
from coaching import entitlements, interactive
from coaching.domain import (
    ADMINS,
    CONTENT_ROLES,
    PROGRAM_ROLES,
    ContentKind,
    ExperimentLevel,
    ExperimentStatus,
    JourneyStatus,
    ProgramStatus,
    Role,
)
from coaching.rendering import FIELDS, unmapped
from coaching.stats.decision import Thresholds
from coaching.store.tables import (
    ApiKey,
    Content,
    ContentVariant,
    Enrollment,
    Experiment,
    ExperimentVariant,
    Journey,
    NotificationWebhook,
    Organization,
    Program,
    Segment,
    Touchpoint,
    User,
    Worker,
)
from coaching.store.types import utcnow


def _live(model: Any) -> Any:
    return select(func.count()).select_from(model).where(model.deleted_at.is_(None))


def _user_values(values: dict[str, Any]) -> dict[str, Any]:
    """Emails are compared lower-cased; the password is stored only as its hash."""
    if values.get("email"):
        values["email"] = str(values["email"]).lower()
    if "password" in values:
        password = values.pop("password")
        values["password_hash"] = hash_password(password) if password is not None else None
    return values


def _check_user(session: Session, principal: Principal, user: User) -> None:
    session.flush()
    active = session.scalar(_live(User).where(User.is_active))
    if refusal := entitlements.active_users_refusal(principal.tier, active):
        raise field_problem("body", refusal, 403)
    admins = session.scalar(_live(User).where(User.is_active, User.role == Role.ADMIN))
    if refusal := entitlements.admins_refusal(admins):
        raise field_problem("body.role", refusal)


def _check_content(session: Session, _: Principal, content: Content) -> None:
    """Options WhatsApp would refuse, or that are ambiguous, with the path of each."""
    found = interactive.option_problems(interactive.parse_options(content.options), "body.options")
    if found:
        raise field_problems([(problem.path, problem.reason) for problem in found])


def _check_variant(session: Session, _: Principal, variant: ContentVariant) -> None:
    content = session.get(Content, variant.content_id)
    if content is not None:
        found = variant_problems(content, variant, "body")
        if found:
            raise field_problems([(problem.path, problem.reason) for problem in found])
    if content is not None and content.kind == ContentKind.TEMPLATE and not variant.template_sid:
        raise field_problem("body.template_sid", "template content needs a template_sid")
    if content is not None and content.kind == ContentKind.TEXT and not variant.body:
        raise field_problem("body.body", "text content needs a body")
    if missing := unmapped(variant.body, variant.template_variables):
        names = ", ".join("{{" + name + "}}" for name in missing)
        raise field_problem(
            "body.template_variables",
            f"the body's placeholders {names} have no mapping (map each to a field such as "
            f"{', '.join(sorted(FIELDS))}, or to literal text)",
        )


def _check_journey(session: Session, principal: Principal, journey: Journey) -> None:

    if journey.status == JourneyStatus.PUBLISHED:
        session.flush()
        found = [
            ("body.status", f"cannot publish: {p}") for p in structure_problems(session, journey)
        ]
        found += [(p.path, p.reason) for p in content_problems(session, journey)]
        if found:
            raise field_problems(found)
    if journey.is_marketplace_listed:
        if principal.organization_type != "expert":
            raise field_problem(
                "body.is_marketplace_listed", "only expert organizations list journeys", 403
            )
        if journey.status != JourneyStatus.PUBLISHED:
            raise field_problem("body.is_marketplace_listed", "only published journeys are listed")


def _check_program(session: Session, principal: Principal, program: Program) -> None:
    if program.ends_on is not None and program.ends_on < program.starts_on:
        raise field_problem("body.ends_on", "a program cannot end before it starts")
    if program.status == ProgramStatus.ACTIVE:
        journey = session.get(Journey, program.journey_id)
        if journey is None or journey.status != JourneyStatus.PUBLISHED:
            raise field_problem("body.status", "only a program on a published journey can run")
        session.flush()
        running = session.scalar(_live(Program).where(Program.status == ProgramStatus.ACTIVE))
        if refusal := entitlements.active_programs_refusal(principal.tier, running):
            raise field_problem("body.status", refusal, 403)


def _check_experiment(session: Session, principal: Principal, experiment: Experiment) -> None:
    if refusal := entitlements.adaptive_refusal(principal.tier, experiment.is_adaptive):
        raise field_problem("body.is_adaptive", refusal, 403)
    _check_experiment_reach(session, experiment)
    if experiment.planned_days is not None:
        organization = session.get(Organization, experiment.organization_id)
        held_to = Thresholds.from_layers(
            organization.experiment_defaults if organization else None,
            experiment.decision_settings,
        )
        if experiment.planned_days < held_to.min_days:
            raise field_problem(
                "body.planned_days",
                f"{experiment.planned_days} planned days end before the {held_to.min_days} "
                "days the experiment must run before any decision",
            )
    if experiment.status == ExperimentStatus.RUNNING:
        session.flush()
        variants = list(
            session.scalars(
                select(ExperimentVariant).where(
                    ExperimentVariant.experiment_id == experiment.id,
                    ExperimentVariant.deleted_at.is_(None),
                )
            )
        )
        controls = sum(v.is_control for v in variants)
        total = sum(v.weight for v in variants)
        if len(variants) < 2 or controls != 1:
            raise field_problem(
                "body.status", "a running experiment needs one control and a variant"
            )
        if abs(total - 1.0) > 1e-6:
            raise field_problem("body.status", f"variant weights sum to {total:g}, not 1")


def _check_experiment_reach(session: Session, experiment: Experiment) -> None:
    """Refuse an experiment that could never assign anyone, saying why."""
    program = session.get(Program, experiment.program_id) if experiment.program_id else None
    if program is not None and program.status == ProgramStatus.COMPLETED:
        raise field_problem(
            "body.program_id", "the program has ended: nobody new could be assigned"
        )
    if experiment.level == ExperimentLevel.PROGRAM:
        if experiment.touchpoint_id is not None:
            raise field_problem(
                "body.touchpoint_id",
                "a program-level experiment tests the program's implementation, not a touchpoint "
                "(a journey-level experiment tests a touchpoint's content)",
            )
        return
    touchpoint = session.get(Touchpoint, experiment.touchpoint_id)
    if touchpoint is None or touchpoint.deleted_at is not None:
        return  # the reference check reports it
    if program is not None:
        if program.journey_id != touchpoint.journey_id:
            raise field_problem(
                "body.touchpoint_id",
                "the touchpoint is not in the journey this program runs: nobody could be assigned",
            )
        return
    runs = session.scalar(
        _live(Program).where(
            Program.journey_id == touchpoint.journey_id,
            Program.status != ProgramStatus.COMPLETED,
        )
    )
    if not runs:
        raise field_problem(
            "body.touchpoint_id",
            "no program runs this touchpoint's journey, so nobody could be assigned: name a "
            "program (program_id) or create one for the journey first",
        )


def _check_experiment_variant(session: Session, _: Principal, variant: ExperimentVariant) -> None:
    """Content variants belong to journey-level experiments, settings to program-level ones."""
    experiment = session.get(Experiment, variant.experiment_id)
    if experiment is None:
        return
    if experiment.level == ExperimentLevel.JOURNEY and variant.settings:
        raise field_problem(
            "body.settings",
            "a journey-level experiment tests a touchpoint's content (content_variant_key); "
            "settings change a program's implementation, in a program-level experiment",
        )
    if experiment.level == ExperimentLevel.PROGRAM and variant.content_variant_key:
        raise field_problem(
            "body.content_variant_key",
            "a program-level experiment changes the implementation (settings); content variants "
            "are tested by a journey-level experiment",
        )


def _variant_values(values: dict[str, Any]) -> dict[str, Any]:
    """Settings are stored as the JSON the warehouse reads, without the ones left out."""
    if isinstance(values.get("settings"), dict):
        values["settings"] = without_nones(values["settings"])
    return values


def without_nones(document: dict[str, Any]) -> dict[str, Any]:
    """A settings document as stored: the settings left out are absent, times are ISO text."""
    cleaned: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            value = without_nones(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        if value is not None and value != {}:
            cleaned[key] = value
    return cleaned


def _experiment_values(values: dict[str, Any]) -> dict[str, Any]:
    """A new experiment's assignment salt (never changed afterwards, so assignment is stable),
    and its decision settings stored without the ones left to the defaults."""
    if "level" in values:  # a create, not an update
        values.setdefault("salt", secrets.token_hex(8))
    if isinstance(values.get("decision_settings"), dict):
        values["decision_settings"] = without_nones(values["decision_settings"])
    return values


def _program_values(values: dict[str, Any]) -> dict[str, Any]:
    """Objectives are stored as the targets that were set (an unset one is no key, not null)."""
    if values.get("objectives") is not None:
        values["objectives"] = {k: v for k, v in values["objectives"].items() if v is not None}
    return values


def _webhook_values(values: dict[str, Any]) -> dict[str, Any]:
    """Kinds are stored as the plain names the notifier compares."""
    if values.get("kinds") is not None:
        values["kinds"] = sorted({str(kind) for kind in values["kinds"]})
    return values


def _enrolled_now(values: dict[str, Any]) -> dict[str, Any]:
    if "program_id" in values and values.get("enrolled_at") is None:
        values["enrolled_at"] = utcnow()
    return values


USERS = Resource(
    name="users",
    label="user",
    model=User,
    read=s.UserRead,
    create=s.UserCreate,
    update=s.UserUpdate,
    writers=ADMINS,
    filters=("role", "is_active", "email"),
    sorts=("created_at", "email", "full_name"),
    prepare=_user_values,
    check=_check_user,
)

API_KEYS = Resource(
    name="api-keys",
    label="API key",
    model=ApiKey,
    read=s.ApiKeyRead,
    create=s.ApiKeyCreate,
    update=s.ApiKeyUpdate,
    writers=ADMINS,
    readers=ADMINS,
    filters=("role",),
    sorts=("created_at", "name"),
    creatable=False,  # api.routes.api_keys creates them: the secret is shown once
)

WORKERS = Resource(
    name="workers",
    label="worker",
    model=Worker,
    read=s.WorkerRead,
    create=s.WorkerCreate,
    update=s.WorkerUpdate,
    writers=PROGRAM_ROLES,
    filters=("team", "region", "district", "language", "job_role", "external_id", "phone_e164"),
    # The phone is sealed in the store: found by its keyed hash, and no order to sort by.
    lookups={"phone_e164": "phone_lookup"},
    sorts=("created_at", "updated_at"),
)

SEGMENTS = Resource(
    name="segments",
    label="segment",
    model=Segment,
    read=s.SegmentRead,
    create=s.SegmentCreate,
    update=s.SegmentUpdate,
    writers=PROGRAM_ROLES,
    filters=("kind", "is_active", "name"),
    sorts=("created_at", "name"),
)

CONTENT = Resource(
    name="content",
    label="content",
    model=Content,
    read=s.ContentRead,
    create=s.ContentCreate,
    update=s.ContentUpdate,
    writers=CONTENT_ROLES,
    filters=("kind", "key"),
    sorts=("created_at", "key"),
    check=_check_content,
)

CONTENT_VARIANTS = Resource(
    name="content-variants",
    label="content variant",
    model=ContentVariant,
    read=s.ContentVariantRead,
    create=s.ContentVariantCreate,
    update=s.ContentVariantUpdate,
    writers=CONTENT_ROLES,
    filters=("content_id", "language", "variant_key"),
    sorts=("created_at",),
    references={"content_id": Content},
    check=_check_variant,
)

JOURNEYS = Resource(
    name="journeys",
    label="journey",
    model=Journey,
    read=s.JourneyRead,
    create=s.JourneyCreate,
    update=s.JourneyUpdate,
    writers=CONTENT_ROLES,
    filters=("status", "is_marketplace_listed"),
    sorts=("created_at", "name"),
    check=_check_journey,
)

PROGRAMS = Resource(
    name="programs",
    label="program",
    model=Program,
    read=s.ProgramRead,
    create=s.ProgramCreate,
    update=s.ProgramUpdate,
    writers=PROGRAM_ROLES,
    filters=("status", "journey_id", "segment_id", "channel"),
    sorts=("created_at", "name", "starts_on"),
    references={"journey_id": Journey, "segment_id": Segment},
    prepare=_program_values,
    check=_check_program,
)

ENROLLMENTS = Resource(
    name="enrollments",
    label="enrollment",
    model=Enrollment,
    read=s.EnrollmentRead,
    create=s.EnrollmentCreate,
    update=s.EnrollmentUpdate,
    writers=PROGRAM_ROLES,
    filters=("program_id", "worker_id", "status", "is_holdout"),
    sorts=("enrolled_at", "created_at"),
    references={"program_id": Program, "worker_id": Worker},
    prepare=_enrolled_now,
)

EXPERIMENTS = Resource(
    name="experiments",
    label="experiment",
    model=Experiment,
    read=s.ExperimentRead,
    create=s.ExperimentCreate,
    update=s.ExperimentUpdate,
    writers=PROGRAM_ROLES,
    filters=("status", "level", "program_id", "is_adaptive"),
    sorts=("created_at", "name"),
    references={"program_id": Program, "touchpoint_id": Touchpoint, "segment_id": Segment},
    prepare=_experiment_values,
    check=_check_experiment,
)

EXPERIMENT_VARIANTS = Resource(
    name="experiment-variants",
    label="experiment variant",
    model=ExperimentVariant,
    read=s.ExperimentVariantRead,
    create=s.ExperimentVariantCreate,
    update=s.ExperimentVariantUpdate,
    writers=PROGRAM_ROLES,
    filters=("experiment_id", "is_control", "key"),
    sorts=("created_at", "key"),
    references={"experiment_id": Experiment},
    prepare=_variant_values,
    check=_check_experiment_variant,
)

NOTIFICATION_WEBHOOKS = Resource(
    name="notification-webhooks",
    label="notification webhook",
    model=NotificationWebhook,
    read=WebhookRead,
    create=WebhookCreate,
    update=WebhookUpdate,
    writers=ADMINS,
    readers=ADMINS,  # they name where the organization's notices go
    filters=("is_active",),
    sorts=("created_at", "name"),
    prepare=_webhook_values,
)

# Every tenant resource, in the order the API documents them.
RESOURCES: tuple[Resource, ...] = (
    USERS,
    API_KEYS,
    WORKERS,
    SEGMENTS,
    CONTENT,
    CONTENT_VARIANTS,
    JOURNEYS,
    PROGRAMS,
    ENROLLMENTS,
    EXPERIMENTS,
    EXPERIMENT_VARIANTS,
    NOTIFICATION_WEBHOOKS,
)
