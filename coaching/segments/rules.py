"""The shape of a segment rule: an AND/OR tree of conditions over named worker features.

A rule is data a person builds in the admin UI, so it is validated here and later evaluated by
code that never splices its text into SQL. The same model is used by the API (validation), the
simulator (to enrol workers) and the warehouse (evaluation over the feature catalog).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

FEATURE_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
MAX_RULE_DEPTH = 5  # nested groups; deeper trees are unreadable and expensive to evaluate


def group_depth(document: Any) -> int:
    """How many groups deep a raw rule document nests (iterative: a hostile document may be
    deeper than Python's recursion limit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [
        (document.get("root") if isinstance(document, dict) else None, 1)
    ]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict) and isinstance(node.get("rules"), list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node["rules"])
    return deepest


class Operator(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    CONTAINS = "contains"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"


# Values are bounded like every input: JSON-safe integers, finite numbers, short strings.
Scalar = (
    Annotated[str, Field(max_length=200)]
    | Annotated[int, Field(ge=-(2**53), le=2**53)]
    | Annotated[float, Field(allow_inf_nan=False)]
    | bool
)

LIST_OPERATORS = {Operator.IN, Operator.NOT_IN}
UNARY_OPERATORS = {Operator.IS_NULL, Operator.NOT_NULL}


class Condition(BaseModel):
    # `type` is required in documents (the tree's discriminator reads it) though code may omit it.
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"required": ["type", "feature", "operator"]}
    )

    type: Literal["condition"] = "condition"
    feature: Annotated[str, Field(pattern=FEATURE_NAME_PATTERN)]
    operator: Operator
    value: Scalar | Annotated[list[Scalar], Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Condition:
        op, value = self.operator, self.value
        if op in UNARY_OPERATORS:
            if value is not None:
                raise ValueError(f"operator {op} takes no value")
        elif op in LIST_OPERATORS:
            if not isinstance(value, list) or not value:
                raise ValueError(f"operator {op} needs a non-empty list")
        elif op is Operator.BETWEEN:
            if not isinstance(value, list) or len(value) != 2:
                raise ValueError("operator between needs [low, high]")
            low, high = value
            if isinstance(low, str) or isinstance(high, str) or low > high:
                raise ValueError("operator between needs numbers with low <= high")
        elif value is None or isinstance(value, list):
            raise ValueError(f"operator {op} needs one value")
        return self


class Group(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"required": ["type", "combinator", "rules"]}
    )

    type: Literal["group"] = "group"
    combinator: Literal["and", "or"]
    rules: Annotated[list[Rule], Field(min_length=1, max_length=50)]


Rule = Annotated[Condition | Group, Field(discriminator="type")]
Group.model_rebuild()


T = TypeVar("T")


def conditions(node: Condition | Group) -> Iterator[Condition]:
    """Every condition of a tree, in order."""
    if isinstance(node, Condition):
        yield node
        return
    for child in node.rules:
        yield from conditions(child)


def fold(
    node: Condition | Group,
    condition: Callable[[Condition], T],
    both: Callable[[T, T], T],
    either: Callable[[T, T], T],
) -> T:
    """A tree reduced to one value: each condition's, joined by its group's combinator (how
    every engine evaluates a rule, whatever a condition's value is to it)."""
    if isinstance(node, Condition):
        return condition(node)
    join = both if node.combinator == "and" else either
    parts = [fold(child, condition, both, either) for child in node.rules]
    result = parts[0]
    for part in parts[1:]:
        result = join(result, part)
    return result


class SegmentRule(BaseModel):
    """The root of a segment's rule tree, as stored in `segments.rule`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    root: Group

    def features(self) -> set[str]:
        return {condition.feature for condition in conditions(self.root)}

    @classmethod
    def all_of(cls, *conditions: Condition | Group) -> SegmentRule:
        return cls(root=Group(combinator="and", rules=list(conditions)))

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


_OPERATOR_WORDS = {
    Operator.EQ: "is",
    Operator.NEQ: "is not",
    Operator.IN: "is one of",
    Operator.NOT_IN: "is none of",
    Operator.GT: ">",
    Operator.GTE: "≥",
    Operator.LT: "<",
    Operator.LTE: "≤",
    Operator.CONTAINS: "contains",
    Operator.IS_NULL: "is unknown",
    Operator.NOT_NULL: "is known",
}


def _value_words(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value_words(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _node_words(node: Condition | Group, nested: bool) -> str:
    if isinstance(node, Condition):
        feature = node.feature.replace("_", " ")
        if node.operator is Operator.BETWEEN:
            low, high = node.value  # type: ignore[misc]
            return f"{feature} between {_value_words(low)} and {_value_words(high)}"
        words = f"{feature} {_OPERATOR_WORDS[node.operator]}"
        return words if node.value is None else f"{words} {_value_words(node.value)}"
    text = f" {node.combinator} ".join(_node_words(child, True) for child in node.rules)
    return f"({text})" if nested and len(node.rules) > 1 else text


def describe_rule(document: Any) -> str:
    """A stored rule in words ("tenure days ≥ 90 and (region is Coast or team is A)") for people
    reading a segment; a document no reader expects says so instead of failing the page."""
    try:
        rule = SegmentRule.model_validate(document)
    except ValueError as error:
        return f"(a rule this version cannot read: {str(error).splitlines()[0]})"
    return _node_words(rule.root, nested=False)
