"""The feature catalog segments are written against, and validation of rules against it.

Each feature has a name, a type, a kind (organizational, location, performance, behavioral,
temporal), a description and the operators its type allows. The warehouse computes one column per
feature (`worker_features`), the API serves the catalog, and a rule naming an unknown feature or
an operator its type does not allow is rejected with the path to the condition and the reason.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from coaching.segments.rules import (
    MAX_RULE_DEPTH,
    Condition,
    Group,
    Operator,
    SegmentRule,
    group_depth,
)

COMMON = (Operator.IS_NULL, Operator.NOT_NULL)
OPERATORS_BY_TYPE: dict[str, tuple[Operator, ...]] = {
    "string": (Operator.EQ, Operator.NEQ, Operator.IN, Operator.NOT_IN, Operator.CONTAINS, *COMMON),
    "number": (
        Operator.EQ, Operator.NEQ, Operator.GT, Operator.GTE, Operator.LT, Operator.LTE,
        Operator.BETWEEN, Operator.IN, Operator.NOT_IN, *COMMON,
    ),
    "boolean": (Operator.EQ, Operator.NEQ, *COMMON),
}  # fmt: skip


@dataclass(frozen=True)
class Feature:
    name: str
    type: str  # string | number | boolean
    kind: str  # organizational | location | performance | behavioral | temporal
    description: str

    @property
    def operators(self) -> tuple[Operator, ...]:
        return OPERATORS_BY_TYPE[self.type]


def _f(name: str, type_: str, kind: str, description: str) -> Feature:
    return Feature(name, type_, kind, description)


FEATURES: tuple[Feature, ...] = (
    _f("team", "string", "organizational", "The worker's team."),
    _f("job_role", "string", "organizational", "The worker's job role."),
    _f("employment_type", "string", "organizational", "full_time, part_time or volunteer (HR)."),
    _f("language", "string", "organizational", "Language code the worker is coached in."),
    _f("country", "string", "location", "ISO country code."),
    _f("region", "string", "location", "Region (state, province, county)."),
    _f("district", "string", "location", "District within the region."),
    _f("quality_score", "number", "performance", "Latest monthly HR quality score (0-100)."),
    _f(
        "quality_score_trend",
        "number",
        "performance",
        "Latest quality score minus the month before.",
    ),
    _f("attendance_rate", "number", "performance", "Latest monthly HR attendance rate (0-1)."),
    _f(
        "attendance_rate_trend",
        "number",
        "performance",
        "Latest attendance rate minus the month before.",
    ),
    _f(
        "output_volume",
        "number",
        "performance",
        "Latest monthly output (visits, farmers visited or sales).",
    ),
    _f("messages_received_7d", "number", "behavioral", "Messages delivered in the last 7 days."),
    _f("messages_received_30d", "number", "behavioral", "Messages delivered in the last 30 days."),
    _f("messages_received_90d", "number", "behavioral", "Messages delivered in the last 90 days."),
    _f("replies_7d", "number", "behavioral", "Messages replied to within 24 h, last 7 days."),
    _f("replies_30d", "number", "behavioral", "Messages replied to within 24 h, last 30 days."),
    _f("replies_90d", "number", "behavioral", "Messages replied to within 24 h, last 90 days."),
    _f(
        "reply_rate_7d",
        "number",
        "behavioral",
        "Replies / messages delivered, last 7 days (null without messages).",
    ),
    _f("reply_rate_30d", "number", "behavioral", "Replies / messages delivered, last 30 days."),
    _f("reply_rate_90d", "number", "behavioral", "Replies / messages delivered, last 90 days."),
    _f("quiz_score_30d", "number", "behavioral", "Share of quiz answers correct, last 30 days."),
    _f("check_ins_30d", "number", "behavioral", "Wellbeing check-ins answered, last 30 days."),
    _f(
        "days_since_last_reply",
        "number",
        "behavioral",
        "Days since the last reply (null if never).",
    ),
    _f("reply_streak", "number", "behavioral", "Messages replied to in a row, up to the latest."),
    _f("tenure_days", "number", "temporal", "Days since hire."),
    _f(
        "days_since_enrollment",
        "number",
        "temporal",
        "Days since the latest enrollment (null if none).",
    ),
    _f(
        "local_day_of_week",
        "number",
        "temporal",
        "Day of week today in the worker's timezone (0 = Sunday).",
    ),
    _f("is_opted_out", "boolean", "temporal", "Whether the worker opted out of WhatsApp."),
)
CATALOG: dict[str, Feature] = {f.name: f for f in FEATURES}


@dataclass(frozen=True)
class RuleProblem:
    path: str  # e.g. "root.rules[1].operator"
    reason: str


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("condition", "group"):  # pydantic's discriminator tags, not a path step
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "root"


def _check_value(feature: Feature, condition: Condition) -> str | None:
    values = condition.value if isinstance(condition.value, list) else [condition.value]
    if condition.operator in COMMON:
        return None
    for value in values:
        if feature.type == "number" and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            return f"{feature.name} is a number: {value!r} is not"
        if feature.type == "boolean" and not isinstance(value, bool):
            return f"{feature.name} is true or false: {value!r} is not"
        if feature.type == "string" and not isinstance(value, str):
            return f"{feature.name} is text: {value!r} is not"
    return None


def validate_rule(
    document: Any, catalog: dict[str, Feature] = CATALOG
) -> tuple[SegmentRule | None, list[RuleProblem]]:
    """Parse a stored rule and check it against the catalog; problems carry their path."""
    if (depth := group_depth(document)) > MAX_RULE_DEPTH:
        return None, [
            RuleProblem("root", f"groups nest {depth} deep; at most {MAX_RULE_DEPTH} are allowed")
        ]
    try:
        rule = SegmentRule.model_validate(document)
    except ValidationError as exc:
        return None, [RuleProblem(_path(e["loc"]), e["msg"]) for e in exc.errors()]
    problems: list[RuleProblem] = []

    def walk(node: Condition | Group, path: str) -> None:
        if isinstance(node, Group):
            for i, child in enumerate(node.rules):
                walk(child, f"{path}.rules[{i}]")
            return
        feature = catalog.get(node.feature)
        if feature is None:
            problems.append(RuleProblem(f"{path}.feature", f"unknown feature {node.feature!r}"))
        elif node.operator not in feature.operators:
            problems.append(
                RuleProblem(
                    f"{path}.operator",
                    f"{node.operator.value} is not allowed for {feature.type} feature {feature.name}",
                )
            )
        elif reason := _check_value(feature, node):
            problems.append(RuleProblem(f"{path}.value", reason))

    walk(rule.root, "root")
    return (rule if not problems else None), problems


def catalog_csv() -> str:
    """The catalog as the dbt seed `feature_catalog` holds it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["feature", "type", "kind", "operators", "description"])
    for f in FEATURES:
        writer.writerow(
            [f.name, f.type, f.kind, " ".join(o.value for o in f.operators), f.description]
        )
    return buffer.getvalue()
