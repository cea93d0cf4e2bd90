"""The warehouse speaks the domain's vocabulary: its copies of domain constants stay equal."""

import csv
import re
from pathlib import Path

import pytest
import yaml

from coaching.domain import (
    BENCHMARK_METRICS,
    BENCHMARK_MIN_ORGANIZATIONS,
    EXPERIMENT_DECISIONS,
    EXPERIMENT_DIMENSIONS,
    EXPERIMENT_METRICS,
    JOURNEY_TRANSITIONS,
    OPT_OUT_KEYWORDS,
    PROGRESS_STATES,
    STATUS_RANK,
    MessageStatus,
)
from coaching.notifications import KIND_RULES

DBT = Path(__file__).resolve().parents[2] / "dbt_project"


def test_status_ranks_seed_is_the_domain_ranking() -> None:
    with (DBT / "seeds" / "message_status_ranks.csv").open() as handle:
        seed = {row["status"]: row for row in csv.DictReader(handle)}
    for status, row in seed.items():
        assert int(row["status_rank"]) == STATUS_RANK[MessageStatus(status)]
        assert (row["is_failure"] == "true") == (status in ("failed", "undelivered"))
    assert set(seed) == {s.value for s in STATUS_RANK if s is not MessageStatus.RECEIVED}


def test_opt_out_keywords_macro_is_the_domain_list() -> None:
    macro = (DBT / "macros" / "opt_out_keywords.sql").read_text()
    assert set(re.findall(r"'([A-Z]+)'", macro)) == OPT_OUT_KEYWORDS


def test_notification_kinds_seed_is_the_domain_rules() -> None:
    with (DBT / "seeds" / "notification_kinds.csv").open() as handle:
        seed = {row["kind"]: row for row in csv.DictReader(handle)}
    assert set(seed) == {kind.value for kind in KIND_RULES}
    for kind, rule in KIND_RULES.items():
        row = seed[kind]
        assert (row["subject_type"], row["severity"], row["recipient"]) == (
            rule.subject_type,
            rule.severity,
            rule.recipient,
        )
        assert (float(row["threshold"]) if row["threshold"] else None) == rule.threshold


def _accepted_values(model: str, column: str) -> set[str]:
    document = yaml.safe_load(next(DBT.glob(f"models/**/{model}.yml")).read_text())
    (spec,) = [m for m in document["models"] if m["name"] == model]
    (col,) = [c for c in spec["columns"] if c["name"] == column]
    (values,) = [
        t["accepted_values"]["arguments"]["values"]
        for t in col.get("data_tests", [])
        if isinstance(t, dict) and "accepted_values" in t
    ]
    return set(values)


@pytest.mark.parametrize(
    ("model", "column", "vocabulary"),
    [
        ("experiment_results", "metric", EXPERIMENT_METRICS),
        ("experiment_results", "dimension", EXPERIMENT_DIMENSIONS),
        ("experiment_results", "decision", EXPERIMENT_DECISIONS),
        ("worker_progress", "state", PROGRESS_STATES),
        ("journey_states", "transition", JOURNEY_TRANSITIONS),
    ],
)
def test_a_marts_accepted_values_are_the_vocabulary_the_api_checks(
    model: str, column: str, vocabulary: tuple[str, ...]
) -> None:
    """The API refuses a read parameter outside these tuples with 422; the docs site and the
    column's test must name the same values, or a filter the docs promise would be refused."""
    assert _accepted_values(model, column) == set(vocabulary)


def test_benchmark_minimum_is_the_domain_minimum() -> None:
    project = yaml.safe_load((DBT / "dbt_project.yml").read_text())
    assert project["vars"]["benchmark_min_organizations"] == BENCHMARK_MIN_ORGANIZATIONS
    model = (DBT / "models" / "marts" / "organization_benchmarks.sql").read_text()
    metrics = re.search(r"set metrics = \[(.*?)\]", model)
    assert metrics is not None
    assert tuple(re.findall(r"'(\w+)'", metrics.group(1))) == BENCHMARK_METRICS
