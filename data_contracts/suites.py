"""Great-expectations suites built from the contracts, to audit what landed in bronze.

The DuckDB validator decides which rows land; the suite re-checks the landed rows with an
independent engine. A failing suite means the two disagree (a validator bug or a contract change
that missed one side), which is exactly what an asset check should make loud.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data_contracts.contract import Contract

if TYPE_CHECKING:
    import great_expectations as gx

logging.getLogger("great_expectations").setLevel(logging.WARNING)


@dataclass(frozen=True)
class SuiteResult:
    success: bool
    evaluated: int
    failed: list[dict[str, Any]]


@lru_cache(maxsize=1)
def _great_expectations() -> Any:
    """great-expectations, imported on first use (it takes over 4 s to import, which every
    command loading the Dagster definitions, a build, a sync, the API, would pay without ever
    running a suite), with its batch fingerprints off."""
    module = importlib.import_module("great_expectations")
    # great-expectations fingerprints every batch under 1 GB, hashing each of its rows, for a
    # marker this project never reads: two-thirds of a suite's time over a day of events (727k
    # rows: 3.9 s, 1.4 s without). The verdicts do not depend on it.
    engine = importlib.import_module("great_expectations.execution_engine.pandas_execution_engine")
    engine.HASH_THRESHOLD = 0
    return module


@lru_cache(maxsize=1)
def _context() -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(),
    )
    return _great_expectations().get_context(mode="ephemeral", project_config=config)


def build_suite(contract: Contract, partition: str | None = None) -> gx.ExpectationSuite:
    """The contract as expectations. Keys are unique within a partition (a day of events, one HR
    export), which is where the contract deduplicates: with `partition` naming the frame's
    partition column, uniqueness is checked per partition, as the contract holds it."""
    _context()  # great-expectations builds suites only inside an active context
    gx = _great_expectations()
    suite = gx.ExpectationSuite(name=f"{contract.table}_contract")
    suite.add_expectation(
        gx.expectations.ExpectTableColumnsToMatchSet(column_set=contract.names, exact_match=False)
    )
    for column in contract.columns:
        if column.required:
            suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=column.name))
        if column.allowed:
            suite.add_expectation(
                gx.expectations.ExpectColumnValuesToBeInSet(
                    column=column.name, value_set=list(column.allowed)
                )
            )
        if column.pattern:
            suite.add_expectation(
                gx.expectations.ExpectColumnValuesToMatchRegex(
                    column=column.name, regex=column.pattern
                )
            )
        if column.is_text:
            suite.add_expectation(
                gx.expectations.ExpectColumnValueLengthsToBeBetween(
                    column=column.name, max_value=column.length_limit
                )
            )
            suite.add_expectation(
                gx.expectations.ExpectColumnValuesToNotMatchRegex(
                    column=column.name, regex=column.forbidden_characters
                )
            )
        if column.minimum is not None or column.maximum is not None:
            suite.add_expectation(
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column=column.name, min_value=column.minimum, max_value=column.maximum
                )
            )
    key = [*contract.key, *([partition] if partition else [])]
    if key:
        suite.add_expectation(
            gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=key)
            if len(key) > 1
            else gx.expectations.ExpectColumnValuesToBeUnique(column=key[0])
        )
    return suite


def _distinct(values: pd.Series) -> pd.DataFrame:
    """A column's distinct values (null once) in the column's own type, hashed by Arrow: pandas'
    `drop_duplicates` took three times as long on text."""
    unique = pc.unique(pa.array(values))  # text columns come as Arrow's own chunks, uncopied
    return pd.DataFrame({values.name: unique.to_pandas().astype(values.dtype)})


def run_suite(contract: Contract, frame: pd.DataFrame, partition: str | None = None) -> SuiteResult:
    """Validate landed rows; an empty frame passes trivially.

    Every expectation but the key's judges each value on its own (null, in a set, a pattern, a
    length, a range), so each column is validated over its distinct values, and the key's
    uniqueness over the key's columns alone. The same expectations, the same verdicts: on a day
    of events, most columns hold a few thousand distinct values among a million rows, and
    great-expectations copied and fingerprinted the whole frame for every run. Runs are
    pass/fail only; a failing expectation is run again over its column's rows, for the count of
    rows that broke it.
    """
    if frame.empty:
        return SuiteResult(True, 0, [])
    suite = build_suite(contract, partition)
    key = [*contract.key, *([partition] if partition else [])]
    groups: dict[tuple[str, ...], list[Any]] = {}
    for expectation in suite.expectations:
        column = getattr(expectation, "column", None)
        columns = tuple(getattr(expectation, "column_list", None) or ([column] if column else []))
        # A column the frame lacks fails where the table's columns are judged, on one row.
        groups.setdefault(columns if set(columns) <= set(frame.columns) else (), []).append(
            expectation
        )
    context = _context()
    name = f"{contract.table}_{id(frame)}"
    source = context.data_sources.add_or_update_pandas(name)
    asset = source.add_dataframe_asset(contract.table)
    definition = asset.add_batch_definition_whole_dataframe("landed")

    def batch(data: pd.DataFrame) -> Any:
        return definition.get_batch(batch_parameters={"dataframe": data})

    results: list[Any] = []
    failed: list[dict[str, Any]] = []
    try:
        for columns, expectations in groups.items():
            if not columns:  # the table's columns
                rows = data = frame.iloc[:1]
            elif len(columns) > 1 or list(columns) == key:  # the key: every row
                rows = data = frame[list(columns)]
            else:
                rows = frame[list(columns)]
                data = _distinct(rows[columns[0]])
            judged = batch(data)
            for expectation in expectations:
                result = judged.validate(expectation, result_format="BOOLEAN_ONLY")
                results.append(result)
                if result.success:
                    continue
                detail = batch(rows).validate(expectation, result_format="BASIC")
                failed.append(
                    {
                        "expectation": expectation.expectation_type,
                        "column": getattr(expectation, "column", None),
                        "unexpected": detail.result.get("unexpected_count"),
                    }
                )
    finally:
        context.data_sources.delete(name)
    return SuiteResult(not failed, len(results), failed)
