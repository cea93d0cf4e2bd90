"""What every request and response model shares: bounded and strict field types, and the
input/output bases (inputs forbid unknown fields; outputs never carry secrets)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)

from api.problems import NestedProblems
from coaching.segments.catalog import validate_rule
from coaching.segments.rules import MAX_RULE_DEPTH, Condition, SegmentRule

E164_PATTERN = r"^\+[1-9][0-9]{7,14}$"
E164 = Annotated[
    str, Field(pattern=E164_PATTERN, examples=["+254700000001"], description="E.164 phone")
]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$", examples=["en", "sw"])]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["KE"])]
# Text people type has no leading or trailing blanks: refused rather than silently trimmed, so
# what the schema publishes is exactly what is accepted (trimming broke its length bounds).
TRIMMED = r"^[^ \t\r\n]([^\r\n]*[^ \t\r\n])?$"
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=TRIMMED)]
Label = Annotated[str, Field(min_length=1, max_length=80, pattern=TRIMMED)]
# An address with one @ and a dot in its domain; deliverability is the mail server's to judge.
Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        # Explicit ranges, not \s: regex engines disagree on what Unicode calls a space.
        pattern=r"^[^@\x00-\x20\x7f]+@[^@\x00-\x20\x7f]+\.[^@\x00-\x20\x7f]+$",
        examples=["admin@coast-health.example.org"],
    ),
]


def _whole(value: Any) -> Any:
    """JSON integers only: `true` and "5" are not numbers, 5.0 is."""
    if isinstance(value, bool | str):
        raise ValueError("a whole number is required")
    return value


def _text(value: Any) -> Any:
    """Dates and times arrive as the ISO text the schema publishes, never as epoch numbers."""
    if isinstance(value, bool | int | float):
        raise ValueError("an ISO 8601 string is required")
    return value


# RFC 3339 date-times carry an offset; a naive one would be a guess about the zone.
Moment = Annotated[AwareDatetime, BeforeValidator(_text)]
Day = Annotated[date, BeforeValidator(_text)]


def whole(low: int, high: int) -> Any:
    """A JSON integer in [low, high] (bounds before the validator, so the schema shows them)."""
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_whole)]


def whole_weeks(low: int, high: int) -> Any:
    """A number of days that is a whole number of weeks, from `low` to `high` weeks."""
    return Annotated[int, Field(ge=7 * low, le=7 * high, multiple_of=7), BeforeValidator(_whole)]


Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,31}$")]
ContentSid = Annotated[str, Field(pattern=r"^HX[0-9a-f]{32}$", description="Twilio Content SID")]
_TIMEZONES = frozenset(available_timezones())


def _known_timezone(value: str) -> str:
    if value not in _TIMEZONES:
        raise ValueError(f"unknown IANA time zone {value!r}")
    return value


TimeZone = Annotated[
    str,
    Field(
        max_length=64,
        examples=["Africa/Nairobi"],
        json_schema_extra={"enum": sorted(_TIMEZONES)},  # exactly the zones accepted
    ),
    AfterValidator(_known_timezone),
]
# A reference to another row of the organization (a UUID; checked to exist by the route).
Ref = Annotated[str, Field(min_length=1, max_length=64)]


_WALL_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$")


def _wall_clock(value: Any) -> Any:
    """Only the text the schema publishes: no offset (the organization's or worker's zone
    applies), and none of the numbers-as-seconds Python would also take."""
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if not isinstance(value, str) or not _WALL_CLOCK.match(value):
        raise ValueError("a local time of day is HH:MM[:SS], with no offset")
    return value


# JSON Schema's `format: time` is RFC 3339's full-time, which requires an offset; a local time of
# day has none, so the schema says exactly what is sent and accepted instead.
WALL_CLOCK_SCHEMA = {
    "type": "string",
    "pattern": _WALL_CLOCK.pattern,
    "description": "A local time of day, HH:MM[:SS], with no offset.",
    "examples": ["09:00:00"],
}
WallClock = Annotated[time, WithJsonSchema(WALL_CLOCK_SCHEMA)]
LocalTime = Annotated[time, BeforeValidator(_wall_clock), WithJsonSchema(WALL_CLOCK_SCHEMA)]
# Strict: JSON `true` is not the number 1 nor "yes" a boolean, whatever Python would coerce.
Flag = Annotated[bool, Field(strict=True)]
# Free attributes: bounded keys and values, integers a JSON reader holds exactly, finite numbers.
AttributeValue = (
    Flag
    | whole(-(2**53), 2**53)
    | Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-1e15, le=1e15)]
    | Annotated[str, Field(max_length=500)]
    | None
)
Attributes = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=64)], AttributeValue], Field(max_length=50)
]


def _untyped_node(document: Any) -> str | None:
    """The path of the first node without `type` (code may omit it; documents may not)."""
    stack: list[tuple[Any, str]] = [
        (document.get("root") if isinstance(document, dict) else None, "root")
    ]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, dict):
            continue
        if "type" not in node:
            return path
        if isinstance(node.get("rules"), list):
            stack.extend((child, f"{path}.rules[{i}]") for i, child in enumerate(node["rules"]))
    return None


def _valid_rule(value: Any) -> SegmentRule:
    """Depth first (a hostile document may nest past any parser's patience), then the shape, then
    the catalog: the published schema is the shape; the catalog is GET /feature-catalog."""
    if isinstance(value, SegmentRule):
        value = value.model_dump(mode="json")
    if not isinstance(value, dict):  # null or a bare value: the field's own problem, no inner path
        raise ValueError("may not be null" if value is None else "a rule is an object with a root")
    if untyped := _untyped_node(value):
        raise ValueError(f"{untyped}: every group and condition names its type")
    rule, problems = validate_rule(value)
    if rule is None:
        raise NestedProblems([(p.path, p.reason) for p in problems])
    return rule


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its local `$defs` written in place (for nesting it by hand)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    return walk(schema)


def bounded_rule_schema(depth: int = MAX_RULE_DEPTH) -> dict[str, Any]:
    """The rule tree's schema unrolled to the depth the API accepts, instead of the model's
    recursive one: it says exactly what is accepted (no deeper tree), and a client or a fuzzer
    generating from it never recurses without end."""
    condition = _inlined(Condition.model_json_schema())
    group: dict[str, Any] | None = None
    for _ in range(depth):
        children = [condition] if group is None else [condition, group]
        group = {
            "type": "object",
            "additionalProperties": False,
            "required": ["type", "combinator", "rules"],
            "properties": {
                "type": {"const": "group"},
                "combinator": {"enum": ["and", "or"]},
                "rules": {"type": "array", "minItems": 1, "maxItems": 50,
                          "items": {"anyOf": children}},
            },
        }  # fmt: skip
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["root"],
        "properties": {"root": group},
    }


RuleDocument = Annotated[
    SegmentRule,
    BeforeValidator(_valid_rule),
    WithJsonSchema(bounded_rule_schema()),
    Field(
        description=f"A rule tree over the feature catalog (GET /feature-catalog), at most "
        f"{MAX_RULE_DEPTH} groups deep.",
        examples=[
            {
                "root": {
                    "type": "group",
                    "combinator": "and",
                    "rules": [
                        {
                            "type": "condition",
                            "feature": "region",
                            "operator": "eq",
                            "value": "Coast",
                        }
                    ],
                }
            }
        ],
    ),
]


PRESENT = {"not": {"type": "null"}}  # in a published cross-field rule: set, and not null


class Input(BaseModel):
    """A request body. In a PATCH, a field left out is left as it is; a field the store cannot
    hold empty is typed `X | MISSING` (absent, or a value), so an explicit null is refused with
    the field's path instead of reaching the row."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Stored(Output):
    id: str
    organization_id: str
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None
    updated_by: str | None = None
