"""What a dbt Python model reads and returns, whichever engine runs the build.

dbt-duckdb hands a Python model DuckDB relations and writes back an Arrow table or a pandas frame;
dbt-spark hands it Spark DataFrames and writes back a Spark DataFrame. The models' work (rules
flattened, segments evaluated, experiments read) is plain Python over Arrow and pandas, so each
model reads its inputs through `as_arrow`/`as_pandas` and returns through `result`, and runs unchanged
on both engines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa


def _is_spark(thing: Any) -> bool:
    return type(thing).__module__.startswith("pyspark.")


def as_arrow(relation: Any) -> pa.Table:
    """A model's input as an Arrow table: a DuckDB relation or a Spark DataFrame."""
    if _is_spark(relation):
        return relation.toArrow()
    return relation.to_arrow_table()


def as_pandas(relation: Any) -> pd.DataFrame:
    """A model's input as a pandas frame, converted as DuckDB's own `.df()` converts: wide
    integers (DuckDB's sums are HUGEINT, Arrow's decimal) as floats, dates as datetimes."""
    table = as_arrow(relation)
    for index, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):
            table = table.set_column(index, field.name, table.column(index).cast(pa.float64()))
    return table.to_pandas(date_as_object=False)


def result(session: Any, table: pa.Table | pd.DataFrame) -> Any:
    """What the engine's Python materialization writes: DuckDB takes Arrow or pandas as they are;
    Spark takes its own DataFrame, built from Arrow so the column types survive (a pandas frame's
    object columns would be guessed)."""
    if not _is_spark(session):
        return table
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    return session.createDataFrame(table)


def live_rows(relation: Any, *columns: str, where: tuple[str, ...] = ("is_deleted",)) -> list:
    """`columns` of a staging table's rows that are not soft-deleted (and, for each further flag
    in `where` besides is_deleted, that are set): the small store tables the models loop over."""
    table = as_arrow(relation)
    rows = []
    for row in table.select([*columns, *where]).to_pylist():
        if row["is_deleted"] or not all(row[flag] for flag in where if flag != "is_deleted"):
            continue
        rows.append(tuple(row[name] for name in columns))
    return rows


def in_duckdb(session: Any, inputs: dict[str, Any], work: Callable[[Any], str]) -> Any:
    """Run work written in DuckDB's SQL (segment rules as parameterized queries) over `inputs`,
    each a view of that name; `work` returns the table it made. On DuckDB this is the build's own
    connection (no copy); on another engine a private in-memory DuckDB fed the inputs as Arrow,
    and the table goes back to that engine."""
    if not _is_spark(session):
        for name, relation in inputs.items():
            relation.create_view(name, replace=True)
        made = work(session)
        for name in inputs:
            session.execute(f"drop view {name}")
        return session.table(made)
    with duckdb.connect(":memory:") as connection:
        for name, relation in inputs.items():
            connection.register(name, as_arrow(relation))
        made = work(connection)
        return result(session, connection.table(made).to_arrow_table())
