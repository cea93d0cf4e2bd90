"""The small part of a world: organizations, users, segments, content, journeys, programs and
experiments, with the true effects planted in each experiment.

Everything here is a handful of rows per organization, so it is built whole; the large parts
(workers, enrollments, messages) stream from `population` and `behaviour`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import numpy as np

from coaching.domain import (
    TIER_MONTHLY_QUOTA,
    ApprovalStatus,
    ContentKind,
    ExperimentLevel,
    ExperimentStatus,
    JourneyStatus,
    OrganizationType,
    ProgramStatus,
    Role,
    SegmentKind,
    Tier,
    TouchpointKind,
)
from coaching.segments.rules import Condition, Group, Operator, SegmentRule
from coaching.simulator.catalog import (
    CHECK_IN_OPTION_TEXTS,
    COUNTRIES,
    MESSAGE_TEXT,
    QUIZ_OPTION_TEXTS,
    QUIZ_OPTIONS,
    SECTORS,
)
from coaching.simulator.config import SimulationConfig

ACTOR = "system:simulator"

# Client organizations cycle through these; the planted lifts are absolute changes in the
# probability that a delivered message gets a reply within 24 hours. A zero lift is planted on
# purpose: a readout must be able to say "no difference" as well as find a winner.
CLIENT_PROFILES = (
    ("NG", "health", "Lagos Community Health Alliance", Tier.STANDARD, 0.08),
    ("IN", "health", "Bihar Frontline Health Network", Tier.PREMIUM, 0.06),
    ("KE", "agriculture", "Kenya Agri Extension Cooperative", Tier.BASIC, 0.0),
    ("BR", "retail", "Mercado Bom Retail", Tier.STANDARD, 0.10),
)
EXPERT_PROFILES = (
    ("GB", "health", "Coaching Science Lab", Tier.PREMIUM, ApprovalStatus.APPROVED),
    ("US", "retail", "FieldSkills Academy", Tier.STANDARD, ApprovalStatus.PENDING),
)
# Program-level cadence experiment, planted in the first two client organizations: compressing
# the journey lowers the reply rate and doubles opt-outs (a guardrail should catch it).
CADENCE_LIFT = -0.05
CADENCE_OPT_OUT_MULTIPLIER = 2.5
CADENCE_FACTOR = 0.5

# (phase, kind, day offset, local send time, follow-up after days)
JOURNEY_TEMPLATE = (
    (0, TouchpointKind.MESSAGE, 0, time(9, 0), 0),
    (0, TouchpointKind.QUIZ, 1, time(12, 30), 2),
    (1, TouchpointKind.MESSAGE, 3, time(8, 30), 0),
    (1, TouchpointKind.CHECK_IN, 5, time(18, 0), 2),
    (1, TouchpointKind.MESSAGE, 7, time(9, 0), 0),
    (2, TouchpointKind.QUIZ, 10, time(12, 30), 2),
    (2, TouchpointKind.REFLECTION, 14, time(19, 0), 0),
    (2, TouchpointKind.CHECK_IN, 21, time(18, 0), 0),
)
PHASE_NAMES = ("Welcome", "Core skills", "Practice and reflect")
EXPERIMENT_TOUCHPOINT = 2  # index into JOURNEY_TEMPLATE: the day-3 message
COACH_KEYWORD = "COACH"  # a worker asking for a coach's call
PLANNED_DAYS = 42  # every simulated experiment's design


@dataclass(frozen=True)
class BranchTemplate:
    """A branch touchpoint of the journey, the rule on a main touchpoint that leads to it, and
    the main touchpoint it returns to (coaching.journey_rules)."""

    name: str
    source: int  # position of the main touchpoint carrying the rule
    when: dict[str, Any]
    after_days: int
    returns_to: int  # position of the main touchpoint that follows the branch
    send_at: time


BRANCH_TEMPLATES = (
    BranchTemplate(
        "Quiz 1 remedial", 1, {"kind": "quiz_answer", "correct": False}, 1, 2, time(10, 0)
    ),
    BranchTemplate(
        "Check-in support", 3, {"kind": "check_in_below", "score": 3}, 1, 4, time(10, 0)
    ),
    BranchTemplate("Re-engagement", 4, {"kind": "no_reply"}, 2, 5, time(9, 30)),
    BranchTemplate(
        "Coach callback",
        6,
        {"kind": "reply_keyword", "keywords": [COACH_KEYWORD]},
        1,
        7,
        time(11, 0),
    ),
)


def rng_uuid(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def rng_hex(rng: np.random.Generator, length: int) -> str:
    return rng.bytes((length + 1) // 2).hex()[:length]


@dataclass
class VariantSpec:
    id: str
    key: str
    weight: float
    is_control: bool
    reply_lift: float = 0.0
    opt_out_multiplier: float = 1.0
    cadence_factor: float = 1.0
    content_variant_key: str | None = None


@dataclass
class ExperimentSpec:
    id: str
    level: ExperimentLevel
    salt: str
    variants: list[VariantSpec]
    touchpoint_index: int | None = None  # journey-level: which touchpoint's content is tested

    @property
    def weights(self) -> list[float]:
        return [v.weight for v in self.variants]


@dataclass
class TouchpointSpec:
    id: str
    position: int
    kind: TouchpointKind
    day_offset: int
    send_minutes: int
    follow_up_after_days: int
    content_id: str
    correct_answer: str | None
    branch: bool = False
    flow_next: int = -1  # position the flow goes to when no rule matches; -1 ends the journey
    rule: BranchTemplate | None = None  # the rule this touchpoint carries, if any
    rule_target: int = -1  # position of the rule's target


@dataclass
class ProgramSpec:
    index: int
    id: str
    organization_index: int
    journey_id: str
    segment_rule: SegmentRule
    holdout_share: float
    enroll_window_days: int
    touchpoints: list[TouchpointSpec]
    journey_experiment: ExperimentSpec | None = None
    program_experiment: ExperimentSpec | None = None


@dataclass
class OrganizationSpec:
    index: int
    id: str
    slug: str
    code: str
    type: OrganizationType
    country: str
    sector: str
    timezone: str
    languages: tuple[str, ...]
    whatsapp_sender: str
    worker_share: float


@dataclass
class World:
    organizations: list[OrganizationSpec]
    programs: list[ProgramSpec]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Content variants left out on purpose: {content_id, organization_id, language}.
    language_gaps: list[dict[str, str]] = field(default_factory=list)

    @property
    def client_organizations(self) -> list[OrganizationSpec]:
        return [o for o in self.organizations if o.type is OrganizationType.CLIENT]

    def program_of(self, organization_index: int) -> ProgramSpec | None:
        return next((p for p in self.programs if p.organization_index == organization_index), None)


def _audit(created: datetime) -> dict[str, Any]:
    return {
        "created_at": created,
        "updated_at": created,
        "created_by": ACTOR,
        "updated_by": ACTOR,
        "deleted_at": None,
    }


def _slug(name: str) -> str:
    return "-".join(name.lower().split())


def _code(name: str) -> str:
    return "".join(word[0] for word in name.split()).upper()


def build_world(config: SimulationConfig) -> World:
    """Build the organization-level rows of the world, deterministically from the seed."""
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0]))
    start = datetime.combine(config.start_date, time(0), UTC)
    created = start - timedelta(days=30)
    rows: dict[str, list[dict[str, Any]]] = {
        name: []
        for name in (
            "organizations", "users", "segments", "content", "content_variants", "journeys",
            "journey_phases", "touchpoints", "programs", "experiments", "experiment_variants",
        )
    }  # fmt: skip
    organizations: list[OrganizationSpec] = []
    programs: list[ProgramSpec] = []

    client_weights = np.array([1.0 / (i + 1) for i in range(config.client_organizations)])
    client_weights /= client_weights.sum()

    for i in range(config.client_organizations + config.expert_organizations):
        is_client = i < config.client_organizations
        if is_client:
            country, sector, name, tier, lift = CLIENT_PROFILES[i % len(CLIENT_PROFILES)]
            approval = ApprovalStatus.APPROVED
            if i >= len(CLIENT_PROFILES):
                name = f"{name} {i // len(CLIENT_PROFILES) + 1}"
        else:
            j = i - config.client_organizations
            country, sector, name, tier, approval = EXPERT_PROFILES[j % len(EXPERT_PROFILES)]
            lift = 0.0
            if j >= len(EXPERT_PROFILES):
                name = f"{name} {j // len(EXPERT_PROFILES) + 1}"
        info = COUNTRIES[country]
        org = OrganizationSpec(
            index=i,
            id=rng_uuid(rng),
            slug=_slug(name),
            code=_code(name),
            type=OrganizationType.CLIENT if is_client else OrganizationType.EXPERT,
            country=country,
            sector=sector,
            timezone=info.timezone,
            languages=info.languages,
            whatsapp_sender=f"+{info.calling_code}{'5' * (info.national_digits - 3)}{i:03d}",
            worker_share=float(client_weights[i]) if is_client else 0.0,
        )
        organizations.append(org)
        rows["organizations"].append(
            {
                "id": org.id,
                "name": name,
                "slug": org.slug,
                "type": org.type.value,
                "tier": tier.value,
                "approval_status": approval.value,
                "country": country,
                "timezone": org.timezone,
                "quiet_hours_start": time(21, 0) if i % 2 == 0 else time(20, 0),
                "quiet_hours_end": time(7, 0) if i % 2 == 0 else time(8, 0),
                "monthly_message_quota": TIER_MONTHLY_QUOTA[tier],
                "whatsapp_sender": org.whatsapp_sender,
                "sms_sender": org.whatsapp_sender,
                "sms_fallback_enabled": tier is not Tier.BASIC,
                "experiment_defaults": {},
                **_audit(created),
            }
        )
        roles = list(Role) if is_client else [Role.ADMIN, Role.CONTENT_SPECIALIST]
        for role in roles:
            rows["users"].append(
                {
                    "id": rng_uuid(rng),
                    "organization_id": org.id,
                    "email": f"{role.value}@{org.slug}.example.org",
                    "full_name": f"{role.value.replace('_', ' ').title()} of {name}",
                    "role": role.value,
                    "password_hash": None,
                    "is_active": True,
                    "last_login_at": None,
                    **_audit(created),
                }
            )
        journey = _journey(rng, rows, org, name, created, listed=not is_client)
        if not is_client:
            continue
        segment_rule = _segments(rng, rows, org, created)
        program = _program(rng, rows, config, org, journey, segment_rule, lift, len(programs))
        programs.append(program)

    _weekly_digests(config, rows, organizations, created)
    gaps = _language_gap(rows, organizations)
    return World(organizations=organizations, programs=programs, rows=rows, language_gaps=gaps)


def _language_gap(
    rows: dict[str, list[dict[str, Any]]], organizations: list[OrganizationSpec]
) -> list[dict[str, str]]:
    """Planted: the first multilingual client organization's first quiz has no variant in its
    second language, so those workers get the journey's default language (and the marts count
    it). Rows are removed after the fact, so no random draw of the world changes."""
    org = next(
        (o for o in organizations if o.type is OrganizationType.CLIENT and len(o.languages) > 1),
        None,
    )
    if org is None:
        return []
    quiz = next(
        (
            row
            for row in rows["content"]
            if row["organization_id"] == org.id and row["key"].endswith("_quiz")
        ),
        None,
    )
    if quiz is None:
        return []
    language = org.languages[1]
    rows["content_variants"] = [
        row
        for row in rows["content_variants"]
        if not (row["content_id"] == quiz["id"] and row["language"] == language)
    ]
    return [{"content_id": quiz["id"], "organization_id": org.id, "language": language}]


DIGEST_TEXT = (
    "Hi {{1}}! Last week you earned {{2}} points, your streak is {{3}} days, and you rank "
    "#{{4}} of {{5}} in {{6}}. Keep going!"
)
DIGEST_VARIABLES = {
    "1": "first_name",
    "2": "week_points",
    "3": "streak_days",
    "4": "team_rank",
    "5": "team_size",
    "6": "team_name",
}


def _weekly_digests(
    config: SimulationConfig, rows: dict[str, list[dict[str, Any]]],
    organizations: list[OrganizationSpec], created: datetime,
) -> None:  # fmt: skip
    """Each client organization turns the weekly digest on (content keyed `weekly_digest`). Its
    own random stream, so every other draw of the world stays what it was."""
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 12]))
    for org in organizations:
        if org.type is not OrganizationType.CLIENT:
            continue
        content_id = rng_uuid(rng)
        rows["content"].append(
            {
                "id": content_id,
                "organization_id": org.id,
                "key": "weekly_digest",
                "kind": ContentKind.TEMPLATE.value,
                "description": "The weekly digest: points, streak and team rank",
                "correct_answer": None,
                "options": [],
                **_audit(created),
            }
        )
        rows["content_variants"].append(
            {
                "id": rng_uuid(rng),
                "organization_id": org.id,
                "content_id": content_id,
                "variant_key": "default",
                "language": "en",
                "body": DIGEST_TEXT,
                "template_sid": f"HX{rng_hex(rng, 32)}",
                "template_variables": dict(DIGEST_VARIABLES),
                **NO_MEDIA,
                **_audit(created),
            }
        )


def _segments(
    rng: np.random.Generator, rows: dict[str, list[dict[str, Any]]], org: OrganizationSpec,
    created: datetime,
) -> SegmentRule:  # fmt: skip
    """One segment of each kind; returns the rule of the program's target segment."""
    sector = SECTORS[org.sector]
    region = next(iter(COUNTRIES[org.country].regions))
    frontline = SegmentRule.all_of(
        Condition(feature="job_role", operator=Operator.IN, value=list(sector.job_roles[:3]))
    )
    definitions = (
        ("Frontline staff", SegmentKind.ORGANIZATIONAL, frontline),
        (
            f"Workers in {region}",
            SegmentKind.LOCATION,
            SegmentRule.all_of(Condition(feature="region", operator=Operator.EQ, value=region)),
        ),
        (
            "High performers",
            SegmentKind.PERFORMANCE,
            SegmentRule.all_of(
                Condition(feature="quality_score", operator=Operator.GTE, value=80),
                Condition(feature="attendance_rate", operator=Operator.GTE, value=0.9),
            ),
        ),
        (
            "Quiet responders",
            SegmentKind.BEHAVIORAL,
            SegmentRule(
                root=Group(
                    combinator="or",
                    rules=[
                        Condition(feature="reply_rate_30d", operator=Operator.LT, value=0.2),
                        Condition(feature="days_since_last_reply", operator=Operator.GT, value=14),
                    ],
                )
            ),
        ),
        (
            "New joiners",
            SegmentKind.TEMPORAL,
            SegmentRule.all_of(Condition(feature="tenure_days", operator=Operator.LT, value=180)),
        ),
    )
    for name, kind, rule in definitions:
        rows["segments"].append(
            {
                "id": rng_uuid(rng),
                "organization_id": org.id,
                "name": name,
                "description": f"{kind.value.title()} segment: {name.lower()}",
                "kind": kind.value,
                "rule": rule.to_json(),
                "is_active": True,
                **_audit(created),
            }
        )
    return frontline


@dataclass
class _Journey:
    id: str
    touchpoints: list[TouchpointSpec]
    experiment_content_id: str


def _content(
    rng: np.random.Generator, rows: dict[str, list[dict[str, Any]]], org: OrganizationSpec,
    key: str, kind: TouchpointKind, variant_keys: tuple[str, ...], created: datetime,
) -> tuple[str, str | None]:  # fmt: skip
    content_id = rng_uuid(rng)
    correct = str(rng.choice(QUIZ_OPTIONS)) if kind is TouchpointKind.QUIZ else None
    rows["content"].append(
        {
            "id": content_id,
            "organization_id": org.id,
            "key": key,
            "kind": ContentKind.TEMPLATE.value,
            "description": f"{kind.value} content {key}",
            "correct_answer": correct,
            "options": answer_options(kind, correct),
            **_audit(created),
        }
    )
    for variant_key in variant_keys:
        for language in org.languages:
            rows["content_variants"].append(
                {
                    "id": rng_uuid(rng),
                    "organization_id": org.id,
                    "content_id": content_id,
                    "variant_key": variant_key,
                    "language": language,
                    "body": MESSAGE_TEXT.get(language, MESSAGE_TEXT["en"]),
                    "template_sid": f"HX{rng_hex(rng, 32)}",
                    "template_variables": {"1": "first_name", "2": f"{key}:{variant_key}"},
                    **(
                        reflection_media(org.slug)
                        if kind is TouchpointKind.REFLECTION
                        else NO_MEDIA
                    ),
                    **_audit(created),
                }
            )
    return content_id, correct


# Every variant row names the media columns: the store's bulk insert takes its columns from a
# batch's first row.
NO_MEDIA: dict[str, Any] = {"media_url": None, "media_type": None, "media_bytes": None}


def reflection_media(slug: str) -> dict[str, Any]:
    """The picture a reflection asks the worker to look at (a JPEG under WhatsApp's 5 MB): sent
    with the text inside the window, as a media template outside it, as a link over SMS. Drawn
    from no random stream, so the rest of a world is the same with or without it."""
    return {
        "media_url": f"https://media.example.org/{slug}/reflection.jpg",
        "media_type": "image/jpeg",
        "media_bytes": 240_000,
    }


def answer_options(kind: TouchpointKind, correct: str | None) -> list[dict[str, Any]]:
    """What a worker can tap: a quiz's four lettered answers (one correct; three buttons would not
    hold them, so inside the window they are a list picker), a check-in's five scores."""
    if kind is TouchpointKind.QUIZ:
        return [
            {"payload": letter, "text": text, "correct": letter == correct}
            for letter, text in zip(QUIZ_OPTIONS, QUIZ_OPTION_TEXTS, strict=True)
        ]
    if kind is TouchpointKind.CHECK_IN:
        return [
            {"payload": str(score), "text": text, "score": score}
            for score, text in enumerate(CHECK_IN_OPTION_TEXTS, start=1)
        ]
    return []


def _journey(
    rng: np.random.Generator, rows: dict[str, list[dict[str, Any]]], org: OrganizationSpec,
    org_name: str, created: datetime, *, listed: bool,
) -> _Journey:  # fmt: skip
    journey_id = rng_uuid(rng)
    rows["journeys"].append(
        {
            "id": journey_id,
            "organization_id": org.id,
            "name": f"{SECTORS[org.sector].name.title()} onboarding",
            "description": f"Eight touchpoints over three weeks, with remedial, support, "
            f"re-engagement and coach branches, designed by {org_name}.",
            "status": JourneyStatus.PUBLISHED.value,
            "languages": list(org.languages),
            "is_marketplace_listed": listed,
            "source_journey_id": None,
            **_audit(created),
        }
    )
    phase_ids = []
    for position, phase_name in enumerate(PHASE_NAMES):
        phase_ids.append(rng_uuid(rng))
        rows["journey_phases"].append(
            {
                "id": phase_ids[-1],
                "organization_id": org.id,
                "journey_id": journey_id,
                "position": position,
                "name": phase_name,
                "description": None,
                **_audit(created),
            }
        )
    nudge_id, _ = _content(
        rng, rows, org, "nudge_reminder", TouchpointKind.MESSAGE, ("default",), created
    )
    touchpoints = []
    experiment_content_id = ""
    for position, (phase, kind, offset, at, follow_after) in enumerate(JOURNEY_TEMPLATE):
        variants = ("default", "B") if position == EXPERIMENT_TOUCHPOINT else ("default",)
        content_id, correct = _content(
            rng, rows, org, f"tp{position + 1}_{kind.value}", kind, variants, created
        )
        if position == EXPERIMENT_TOUCHPOINT:
            experiment_content_id = content_id
        spec = TouchpointSpec(
            id=rng_uuid(rng),
            position=position,
            kind=kind,
            day_offset=offset,
            send_minutes=at.hour * 60 + at.minute,
            follow_up_after_days=follow_after,
            content_id=content_id,
            correct_answer=correct,
        )
        touchpoints.append(spec)
        rows["touchpoints"].append(
            {
                "id": spec.id,
                "organization_id": org.id,
                "journey_id": journey_id,
                "phase_id": phase_ids[phase],
                "position": position,
                "name": f"Day {offset} {kind.value.replace('_', ' ')}",
                "kind": kind.value,
                "day_offset": offset,
                "local_send_time": at,
                "content_id": content_id,
                "follow_up": (
                    {"after_days": follow_after, "content_id": nudge_id, "max_nudges": 1}
                    if follow_after
                    else None
                ),
                "branch": False,
                "next_name": None,
                "next_position": None,
                "rules": [],
                **_audit(created),
            }
        )
    _add_branches(org, rows, touchpoints, phase_ids[-1], journey_id, created)
    return _Journey(journey_id, touchpoints, experiment_content_id)


def _add_branches(
    org: OrganizationSpec, rows: dict[str, list[dict[str, Any]]],
    touchpoints: list[TouchpointSpec], phase_id: str, journey_id: str, created: datetime,
) -> None:  # fmt: skip
    """The journey's branch touchpoints after its main flow, and the rules leading to them.

    They draw from their own random stream (seeded by the organization's id), so the rest of the
    world is the same as before journeys had rules."""
    rng = np.random.default_rng(uuid.UUID(org.id).int)
    main_rows = rows["touchpoints"][-len(touchpoints) :]
    for spec in touchpoints:
        spec.flow_next = spec.position + 1 if spec.position + 1 < len(touchpoints) else -1
    for template in BRANCH_TEMPLATES:
        source, returns_to = touchpoints[template.source], touchpoints[template.returns_to]
        content_id, _ = _content(
            rng, rows, org, f"branch_{_slug(template.name).replace('-', '_')}",
            TouchpointKind.MESSAGE, ("default",), created,
        )  # fmt: skip
        spec = TouchpointSpec(
            id=rng_uuid(rng),
            position=len(touchpoints),
            kind=TouchpointKind.MESSAGE,
            day_offset=source.day_offset + template.after_days,
            send_minutes=template.send_at.hour * 60 + template.send_at.minute,
            follow_up_after_days=0,
            content_id=content_id,
            correct_answer=None,
            branch=True,
            flow_next=returns_to.position,
        )
        source.rule, source.rule_target = template, spec.position
        main_rows[template.source]["rules"] = [
            {
                "when": template.when,
                "goto": template.name,
                "goto_position": spec.position,
                "after_days": template.after_days,
            }
        ]
        touchpoints.append(spec)
        rows["touchpoints"].append(
            {
                "id": spec.id,
                "organization_id": org.id,
                "journey_id": journey_id,
                "phase_id": phase_id,
                "position": spec.position,
                "name": template.name,
                "kind": spec.kind.value,
                "day_offset": spec.day_offset,
                "local_send_time": template.send_at,
                "content_id": content_id,
                "follow_up": None,
                "branch": True,
                "next_name": main_rows[template.returns_to]["name"],
                "next_position": returns_to.position,
                "rules": [],
                **_audit(created),
            }
        )


def _experiment_rows(
    rows: dict[str, list[dict[str, Any]]], org: OrganizationSpec, spec: ExperimentSpec,
    name: str, hypothesis: str, program_id: str, touchpoint_id: str | None, start: datetime,
    adaptive: bool = False,
) -> None:  # fmt: skip
    rows["experiments"].append(
        {
            "id": spec.id,
            "organization_id": org.id,
            "name": name,
            "level": spec.level.value,
            "hypothesis": hypothesis,
            "program_id": program_id,
            "touchpoint_id": touchpoint_id,
            "segment_id": None,
            "status": ExperimentStatus.RUNNING.value,
            "salt": spec.salt,
            "primary_metric": "reply_rate_24h",
            "guardrail_metrics": ["opt_out_rate", "delivery_failure_rate"],
            # Premium organizations run their content tests adaptively (a premium feature).
            "is_adaptive": spec.level is ExperimentLevel.JOURNEY and adaptive,
            "starts_at": start,
            "ends_at": None,
            # Planned for six weeks, held to the organization's and the platform's defaults.
            "planned_days": PLANNED_DAYS,
            "decision_settings": {},
            **_audit(start),
        }
    )
    for variant in spec.variants:
        rows["experiment_variants"].append(
            {
                "id": variant.id,
                "organization_id": org.id,
                "experiment_id": spec.id,
                "key": variant.key,
                "name": variant.key.replace("_", " ").title(),
                "is_control": variant.is_control,
                "weight": variant.weight,
                "content_variant_key": variant.content_variant_key,
                "settings": (
                    {"cadence_factor": variant.cadence_factor}
                    if spec.level is ExperimentLevel.PROGRAM
                    else {}
                ),
                **_audit(start),
            }
        )


def _program(
    rng: np.random.Generator, rows: dict[str, list[dict[str, Any]]], config: SimulationConfig,
    org: OrganizationSpec, journey: _Journey, segment_rule: SegmentRule, lift: float, index: int,
) -> ProgramSpec:  # fmt: skip
    start = datetime.combine(config.start_date, time(0), UTC)
    program_id = rng_uuid(rng)
    target = next(
        r["id"] for r in rows["segments"] if r["organization_id"] == org.id
    )  # the first segment of the organization is its frontline target
    holdout = 0.1 if org.index % 2 else 0.05
    last_offset = max(t.day_offset for t in journey.touchpoints)
    rows["programs"].append(
        {
            "id": program_id,
            "organization_id": org.id,
            "name": f"{org.code} onboarding {config.start_date.year}",
            "journey_id": journey.id,
            "segment_id": target,
            "status": ProgramStatus.ACTIVE.value,
            "starts_on": config.start_date,
            "ends_on": config.end_date + timedelta(days=last_offset + 7),
            "holdout_share": holdout,
            "channel": "whatsapp",
            "manager_id": next(
                r["id"]
                for r in rows["users"]
                if r["organization_id"] == org.id and r["role"] == Role.PROGRAM_MANAGER.value
            ),
            **_audit(start),
        }
    )
    journey_experiment = ExperimentSpec(
        id=rng_uuid(rng),
        level=ExperimentLevel.JOURNEY,
        salt=rng_hex(rng, 16),
        touchpoint_index=EXPERIMENT_TOUCHPOINT,
        variants=[
            VariantSpec(rng_uuid(rng), "control", 0.5, True, content_variant_key="default"),
            VariantSpec(
                rng_uuid(rng), "story", 0.5, False, reply_lift=lift, content_variant_key="B"
            ),
        ],
    )
    tp = journey.touchpoints[EXPERIMENT_TOUCHPOINT]
    tier = next(r["tier"] for r in rows["organizations"] if r["id"] == org.id)
    _experiment_rows(
        rows, org, journey_experiment, "Day-3 message: tip vs story",
        "A short worker story gets more replies than a plain tip.", program_id, tp.id, start,
        adaptive=tier == Tier.PREMIUM.value,
    )  # fmt: skip
    program_experiment = None
    if org.index < 2:
        program_experiment = ExperimentSpec(
            id=rng_uuid(rng),
            level=ExperimentLevel.PROGRAM,
            salt=rng_hex(rng, 16),
            variants=[
                VariantSpec(rng_uuid(rng), "standard_cadence", 0.5, True),
                VariantSpec(
                    rng_uuid(rng), "compressed_cadence", 0.5, False,
                    reply_lift=CADENCE_LIFT, opt_out_multiplier=CADENCE_OPT_OUT_MULTIPLIER,
                    cadence_factor=CADENCE_FACTOR,
                ),
            ],
        )  # fmt: skip
        _experiment_rows(
            rows, org, program_experiment, "Cadence: standard vs compressed",
            "Sending the journey in half the time keeps workers engaged.", program_id, None, start,
        )  # fmt: skip
    return ProgramSpec(
        index=index,
        id=program_id,
        organization_index=org.index,
        journey_id=journey.id,
        segment_rule=segment_rule,
        holdout_share=holdout,
        enroll_window_days=max(1, int(config.days * 0.7)),
        touchpoints=journey.touchpoints,
        journey_experiment=journey_experiment,
        program_experiment=program_experiment,
    )
