from pathlib import Path

import pytest

from coaching.segments.catalog import CATALOG, catalog_csv, validate_rule

SEED = Path(__file__).resolve().parents[3] / "dbt_project" / "seeds" / "feature_catalog.csv"


def condition(feature: str, operator: str, value=None) -> dict:
    node = {"type": "condition", "feature": feature, "operator": operator}
    return {**node, "value": value} if value is not None else node


def rule(*conditions: dict, combinator: str = "and") -> dict:
    return {"root": {"type": "group", "combinator": combinator, "rules": list(conditions)}}


def test_the_dbt_seed_is_the_catalog() -> None:
    assert SEED.read_text() == catalog_csv()


def test_every_kind_of_feature_is_in_the_catalog() -> None:
    kinds = {f.kind for f in CATALOG.values()}
    assert kinds == {"organizational", "location", "performance", "behavioral", "temporal"}


def test_a_valid_rule_passes() -> None:
    parsed, problems = validate_rule(
        rule(condition("job_role", "in", ["nurse"]), condition("reply_rate_30d", "lt", 0.2))
    )
    assert parsed is not None and problems == []


@pytest.mark.parametrize(
    ("document", "path", "reason"),
    [
        (rule(condition("shoe_size", "gt", 40)), "root.rules[0].feature", "unknown feature"),
        (rule(condition("team", "gt", 3)), "root.rules[0].operator", "not allowed for string"),
        (rule(condition("tenure_days", "eq", "long")), "root.rules[0].value", "is a number"),
        (
            rule(
                condition("team", "eq", "a"),
                {
                    "type": "group",
                    "combinator": "or",
                    "rules": [condition("region", "between", [1, 2])],
                },
            ),
            "root.rules[1].rules[0].operator",
            "not allowed",
        ),
        (rule(), "root.rules", "at least 1"),
        (rule(condition("team", "in", "a")), "root.rules[0]", "non-empty list"),
    ],
)
def test_problems_name_their_path(document: dict, path: str, reason: str) -> None:
    parsed, problems = validate_rule(document)
    assert parsed is None
    assert any(p.path == path and reason in p.reason for p in problems), problems
