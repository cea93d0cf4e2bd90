"""Compile a validated rule tree to a SQL predicate whose values are bound parameters.

Column names come from the feature catalog (never from the rule's text: a feature is looked up
and its catalog name is what is quoted), operators from a fixed table, and every value the user
typed travels as a query parameter. So a rule can filter rows but never change a query's shape,
and the warehouse evaluates it at its own speed.
"""

from __future__ import annotations

from typing import Any

from coaching.segments.catalog import CATALOG, Feature
from coaching.segments.rules import Condition, Group, Operator, SegmentRule

COMPARISONS = {
    Operator.EQ: "=",
    Operator.NEQ: "<>",
    Operator.GT: ">",
    Operator.GTE: ">=",
    Operator.LT: "<",
    Operator.LTE: "<=",
}


def _column(feature: Feature) -> str:
    return '"' + feature.name.replace('"', '""') + '"'


def to_sql(rule: SegmentRule, catalog: dict[str, Feature] = CATALOG) -> tuple[str, list[Any]]:
    """(predicate with `?` placeholders, parameters in order)."""
    params: list[Any] = []

    def node(item: Condition | Group) -> str:
        if isinstance(item, Group):
            joiner = " and " if item.combinator == "and" else " or "
            return "(" + joiner.join(node(child) for child in item.rules) + ")"
        feature = catalog[item.feature]
        column = _column(feature)
        numeric = feature.type == "number"
        op, value = item.operator, item.value
        if op is Operator.IS_NULL:
            return f"({column} is null)"
        if op is Operator.NOT_NULL:
            return f"({column} is not null)"
        if op in COMPARISONS:
            params.append(float(value) if numeric else value)  # type: ignore[arg-type]
            return f"({column} {COMPARISONS[op]} ?)"
        if op is Operator.BETWEEN:
            low, high = value  # type: ignore[misc]
            params.extend([float(low), float(high)])
            return f"({column} between ? and ?)"
        if op in (Operator.IN, Operator.NOT_IN):
            values = [float(v) for v in value] if numeric else [str(v) for v in value]  # type: ignore[union-attr]
            params.append(values)
            cast = "double[]" if numeric else "varchar[]"
            found = f"list_contains(cast(? as {cast}), {column})"
            return f"({found})" if op is Operator.IN else f"({column} is not null and not {found})"
        if op is Operator.CONTAINS:
            params.append(str(value))
            return f"contains(cast({column} as varchar), ?)"
        raise ValueError(f"operator {op} has no SQL form")

    return node(rule.root), params
