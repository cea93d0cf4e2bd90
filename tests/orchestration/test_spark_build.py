"""The dbt project runs on Apache Spark (dbt-spark, a local PySpark session) over the same lake,
Python models included, and every published mart equals the DuckDB build's row for row (the
warehouse's relation, before publishing applies the personal-data boundary to either engine's)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.lib.warehouse import PUBLISHED_MARTS, RELATIONS
from orchestration.spark_build import SparkBuild, build_on_spark, jvm_memory
from tests.worlds import END

# When a row was built differs between two builds; what it holds must not.
UNCOMPARED = {"built_at"}


@pytest.fixture(scope="module")
def on_spark(built_world, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SparkBuild]:
    settings, _, _ = built_world
    spark = build_on_spark(
        settings.lake_dir, tmp_path_factory.mktemp("spark"), as_of=END.isoformat(),
        limits=settings.duckdb_limits,
    )  # fmt: skip
    return Path(settings.warehouse_path), spark


def _rows(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[dict[str, str], list[tuple]]:
    """A mart's column types and its rows, normalized so two engines' spellings of one value
    compare equal: JSON parsed, floats kept as floats (compared with a tolerance)."""
    described = con.execute(f"describe select * from {relation}").fetchall()
    types = {name: kind for name, kind, *_ in described if name not in UNCOMPARED}
    rows = con.execute(f"select {', '.join(types)} from {relation}").fetchall()
    json_columns = [i for i, kind in enumerate(types.values()) if kind == "JSON"]
    normalized = []
    for row in rows:
        values = list(row)
        for i in json_columns:
            values[i] = None if values[i] is None else json.loads(values[i])
        normalized.append(tuple(values))
    return types, normalized


def _sort_key(row: tuple) -> tuple:
    """Rows ordered by their exact values first, floats rounded, so both sides line up."""
    return tuple(
        (0, "") if v is None else (1, f"{v:.6g}") if isinstance(v, float) else (1, repr(v))
        for v in row
    )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    return a == b


def test_every_published_mart_is_built_on_spark(on_spark) -> None:
    _, spark = on_spark
    assert sorted(spark.marts) == sorted(PUBLISHED_MARTS)
    assert "Completed successfully" in spark.log.read_text()


@pytest.mark.parametrize("mart", PUBLISHED_MARTS)
def test_a_mart_built_on_spark_equals_the_duckdb_build(on_spark, mart: str) -> None:
    warehouse, spark = on_spark
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as duck (read_only)")
    duck_types, duck_rows = _rows(con, f"duck.{RELATIONS[mart]}")
    spark_types, spark_rows = _rows(con, f"read_parquet('{spark.marts[mart]}/*.parquet')")
    assert sorted(spark_types) == sorted(duck_types)
    # Instants stay instants: Spark's timestamps read back with their zone.
    for name, kind in duck_types.items():
        if kind == "TIMESTAMP WITH TIME ZONE":
            assert spark_types[name] == kind, name
    order = list(duck_types)
    positions = [list(spark_types).index(name) for name in order]
    spark_rows = [tuple(row[i] for i in positions) for row in spark_rows]
    assert len(spark_rows) == len(duck_rows)
    pairs = zip(sorted(duck_rows, key=_sort_key), sorted(spark_rows, key=_sort_key), strict=True)
    for duck_row, spark_row in pairs:
        same = all(_same(a, b) for a, b in zip(duck_row, spark_row, strict=True))
        assert same, (mart, duck_row, spark_row)


def test_the_spark_driver_gets_the_memory_the_settings_give() -> None:
    assert jvm_memory("6026MB") == "6026m"
    assert jvm_memory("2GB") == "2000m"
    assert jvm_memory("1.5GiB") == "1611m"
    with pytest.raises(ValueError, match="not a memory size"):
        jvm_memory("lots")
