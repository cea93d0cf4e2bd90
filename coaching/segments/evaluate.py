"""Evaluate a rule tree over columns (Arrow arrays), with SQL's null semantics.

One evaluator serves the simulator (enrolling workers) and the warehouse (segment membership, a
dbt Python model): the rule's values are compared by Arrow compute kernels and never become
query text. Every comparison with a missing value is false, as in SQL, except `is_null`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from coaching.segments.rules import Condition, Operator, SegmentRule, fold

Column = pa.Array | pa.ChunkedArray | np.ndarray


def _arrow(column: Column) -> pa.Array | pa.ChunkedArray:
    if isinstance(column, pa.Array | pa.ChunkedArray):
        return column
    if column.dtype.kind == "f":
        return pa.array(column, from_pandas=True)  # NaN is missing
    return pa.array(column.tolist() if column.dtype.kind == "O" else column)


def _scalar(value: Any, column: pa.Array | pa.ChunkedArray) -> pa.Scalar:
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        return pa.scalar(float(value), pa.float64())
    return pa.scalar(value)


def numeric_as_float(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Integer features compare as floats (rule values are JSON numbers); cast once, not per rule."""
    return pc.cast(column, pa.float64()) if pa.types.is_integer(column.type) else column


def _condition(node: Condition, columns: Mapping[str, Column]) -> pa.Array:
    if node.feature not in columns:
        raise KeyError(f"unknown feature {node.feature!r}")
    column = numeric_as_float(_arrow(columns[node.feature]))
    op, value = node.operator, node.value
    if op in (Operator.IS_NULL, Operator.NOT_NULL):
        missing = pc.is_null(column, nan_is_null=True)
        return missing if op is Operator.IS_NULL else pc.invert(missing)
    if op in (Operator.IN, Operator.NOT_IN):
        assert isinstance(value, list)
        values = pa.array([float(v) for v in value] if pa.types.is_floating(column.type) else value)
        result = pc.is_in(column, value_set=values)
        if op is Operator.NOT_IN:
            result = pc.invert(result)
    elif op is Operator.BETWEEN:
        assert isinstance(value, list)
        low, high = (_scalar(v, column) for v in value)
        result = pc.and_(pc.greater_equal(column, low), pc.less_equal(column, high))
    elif op is Operator.CONTAINS:
        result = pc.match_substring(pc.cast(column, pa.string()), str(value))
    else:
        kernel = {
            Operator.EQ: pc.equal,
            Operator.NEQ: pc.not_equal,
            Operator.GT: pc.greater,
            Operator.GTE: pc.greater_equal,
            Operator.LT: pc.less,
            Operator.LTE: pc.less_equal,
        }[op]
        result = kernel(column, _scalar(value, column))
    if op in (Operator.NEQ, Operator.NOT_IN):
        # A missing value (null, or NaN from NumPy) is in no relation at all, as in SQL.
        result = pc.and_(result, pc.invert(pc.is_null(column, nan_is_null=True)))
    # Comparisons with null give null: false, as in a SQL WHERE.
    return pc.fill_null(result, False)


def condition_mask(node: Condition, values: Column) -> pa.Array:
    """One condition over one column of values: the meaning other engines are held to."""
    return _condition(node, {node.feature: values})


def evaluate_mask(rule: SegmentRule, columns: Mapping[str, Column]) -> pa.Array | pa.ChunkedArray:
    """Membership per row as an Arrow boolean array (no nulls), for filtering Arrow tables."""
    return fold(rule.root, lambda node: _condition(node, columns), pc.and_, pc.or_)


def evaluate(rule: SegmentRule, columns: Mapping[str, Column]) -> np.ndarray:
    """Boolean membership per row of `columns` (all columns have the same length)."""
    result = evaluate_mask(rule, columns)
    if isinstance(result, pa.ChunkedArray):
        result = result.combine_chunks()
    return result.to_numpy(zero_copy_only=False).astype(bool)
