"""Evaluate a rule tree over columns held in memory (NumPy arrays).

This is the reference implementation: the simulator uses it to enrol workers, and the warehouse's
set-based evaluator is tested against it. Missing values are None/NaN; every comparison with a
missing value is false, as in SQL, except `is_null`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from coaching.segments.rules import Condition, Group, Operator, SegmentRule


def _missing(column: np.ndarray) -> np.ndarray:
    if column.dtype.kind == "f":
        return np.isnan(column)
    if column.dtype.kind == "O":
        return np.array([v is None for v in column], dtype=bool)
    return np.zeros(column.shape, dtype=bool)


def _condition(node: Condition, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    if node.feature not in columns:
        raise KeyError(f"unknown feature {node.feature!r}")
    column = columns[node.feature]
    missing = _missing(column)
    op, value = node.operator, node.value
    if op is Operator.IS_NULL:
        return missing
    if op is Operator.NOT_NULL:
        return ~missing
    with np.errstate(invalid="ignore"):
        if op is Operator.EQ:
            result = column == value
        elif op is Operator.NEQ:
            result = column != value
        elif op is Operator.IN:
            result = np.isin(column, np.asarray(value, dtype=column.dtype))
        elif op is Operator.NOT_IN:
            result = ~np.isin(column, np.asarray(value, dtype=column.dtype))
        elif op is Operator.GT:
            result = column > value
        elif op is Operator.GTE:
            result = column >= value
        elif op is Operator.LT:
            result = column < value
        elif op is Operator.LTE:
            result = column <= value
        elif op is Operator.BETWEEN:
            low, high = value  # type: ignore[misc]
            result = (column >= low) & (column <= high)
        elif op is Operator.CONTAINS:
            needle = str(value)
            result = np.array([v is not None and needle in str(v) for v in column], dtype=bool)
        else:  # pragma: no cover - the enum is exhaustive
            raise ValueError(op)
    return np.asarray(result, dtype=bool) & ~missing


def _node(node: Condition | Group, columns: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    if isinstance(node, Condition):
        return _condition(node, columns)
    parts = [_node(child, columns, size) for child in node.rules]
    reducer = np.logical_and if node.combinator == "and" else np.logical_or
    return reducer.reduce(parts) if len(parts) > 1 else parts[0]


def evaluate(rule: SegmentRule, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Boolean membership per row of `columns` (all columns have the same length)."""
    size = len(next(iter(columns.values())))
    return _node(rule.root, columns, size)
