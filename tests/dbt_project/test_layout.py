"""The dbt project reads like jaffle-shop: a yml per model beside it, every model and column
described once, marts are what something outside dbt reads, and engine-specific SQL lives in
dispatched macros."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from orchestration.lib.warehouse import PUBLISHED_MARTS

DBT = Path(__file__).resolve().parents[2] / "dbt_project"
MODELS = sorted(p for p in (DBT / "models").rglob("*") if p.suffix in (".sql", ".py"))
# DuckDB's own spellings; models call the macros of macros/cross_db.sql (or dbt's) instead.
DUCKDB_ONLY = (
    r"json_extract", r"\barg_max\(", r"\barg_min\(", r"\btry_cast\(", r"\btimezone\(",
    r"\bdate_diff\(", r"\bstrftime\(", r"\bubigint\b", r"::", r"\bunnest\(", r"\bdayofweek\(",
    r"\binterval\s+\d", r"\basof\b", r"\bby name\b", r"\bto_(days|hours|minutes)\(",
    r"\bas varchar\b", r"\bas json\b", r"\bas timestamptz\b",
)  # fmt: skip


def model_documents() -> dict[str, dict]:
    found = {}
    for model in MODELS:
        document = yaml.safe_load(model.with_suffix(".yml").read_text())
        (entry,) = document["models"]
        assert entry["name"] == model.stem
        found[model.stem] = document
    return found


def test_every_model_has_its_own_yml_and_nothing_else_declares_models() -> None:
    documents = model_documents()
    assert len(documents) == len(MODELS) > 30
    for path in (DBT / "models").rglob("*.yml"):
        if path.with_suffix(".sql").exists() or path.with_suffix(".py").exists():
            continue
        assert "models" not in (yaml.safe_load(path.read_text()) or {}), path


def test_every_model_and_column_is_described_and_no_description_is_typed_twice() -> None:
    typed: Counter[str] = Counter()
    for name, document in model_documents().items():
        (model,) = document["models"]
        assert model.get("description", "").strip(), name
        for column in model.get("columns", []):
            text = column.get("description", "").strip()
            assert text, f"{name}.{column['name']}"
            if not text.startswith("{{ doc("):
                typed[text] += 1
    assert [text for text, count in typed.items() if count > 1] == []


def test_unit_tests_live_with_their_model() -> None:
    for name, document in model_documents().items():
        for unit_test in document.get("unit_tests", []):
            assert unit_test["model"] == name


def test_marts_are_what_is_published_and_building_blocks_are_intermediate() -> None:
    marts = {p.stem for p in MODELS if p.parent.name == "marts"}
    assert marts == set(PUBLISHED_MARTS) - {"feature_catalog"}
    assert all(p.stem.startswith("int_") for p in MODELS if p.parent.name == "intermediate")
    assert all(p.stem.startswith("stg_") for p in MODELS if p.parent.name == "staging")


def test_configured_paths_exist() -> None:
    project = yaml.safe_load((DBT / "dbt_project.yml").read_text())
    for key in ("model-paths", "macro-paths", "test-paths", "seed-paths"):
        for folder in project.get(key, []):
            assert (DBT / folder).is_dir(), f"{key}: {folder}"


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.stem)
def test_models_keep_engine_specific_sql_in_macros(model: Path) -> None:
    if model.suffix == ".py":
        return
    sql = re.sub(r"\{\{.*?\}\}|\{#.*?#\}|--[^\n]*", "", model.read_text(), flags=re.S)
    assert [p for p in DUCKDB_ONLY if re.search(p, sql, re.I)] == []


def test_engine_specific_macros_dispatch_with_a_fallback() -> None:
    macros = "\n".join(p.read_text() for p in (DBT / "macros").glob("*.sql"))
    dispatched = re.findall(r"adapter\.dispatch\('(\w+)'\)", macros)
    assert len(dispatched) >= 10
    for name in dispatched:
        assert re.search(rf"macro (default|spark)__{name}\(", macros), name


@pytest.mark.parametrize("model", [m for m in MODELS if m.suffix == ".py"], ids=lambda p: p.stem)
def test_python_models_read_and_return_through_the_engine_neutral_frames(model: Path) -> None:
    """A Python model runs on DuckDB and on Spark: no relation method only one engine has."""
    code = model.read_text()
    assert "orchestration.lib.model_frames" in code
    assert re.findall(r"\.(df|fetchall|project|fetchdf|toPandas|arrow)\(", code) == []
