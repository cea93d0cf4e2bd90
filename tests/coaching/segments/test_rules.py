import numpy as np
import pytest
from pydantic import ValidationError

from coaching.segments.evaluate import evaluate
from coaching.segments.rules import Condition, Group, Operator, SegmentRule


def rule(tree: dict) -> SegmentRule:
    return SegmentRule.model_validate({"root": tree})


def test_a_nested_tree_validates_and_lists_its_features() -> None:
    parsed = rule(
        {
            "type": "group",
            "combinator": "and",
            "rules": [
                {"type": "condition", "feature": "job_role", "operator": "in", "value": ["nurse"]},
                {
                    "type": "group",
                    "combinator": "or",
                    "rules": [
                        {
                            "type": "condition",
                            "feature": "tenure_days",
                            "operator": "lt",
                            "value": 90,
                        },
                        {"type": "condition", "feature": "region", "operator": "is_null"},
                    ],
                },
            ],
        }
    )
    assert parsed.features() == {"job_role", "tenure_days", "region"}


@pytest.mark.parametrize(
    "condition",
    [
        {"feature": "team", "operator": "in", "value": "nurse"},  # list expected
        {"feature": "team", "operator": "eq"},  # value missing
        {"feature": "team", "operator": "is_null", "value": 1},  # no value allowed
        {"feature": "age", "operator": "between", "value": [9, 1]},  # low > high
        {"feature": "Team; drop table", "operator": "eq", "value": "x"},  # not a feature name
        {"feature": "team", "operator": "like", "value": "x"},  # unknown operator
    ],
)
def test_malformed_conditions_are_rejected(condition: dict) -> None:
    with pytest.raises(ValidationError):
        rule({"type": "group", "combinator": "and", "rules": [{"type": "condition", **condition}]})


def test_empty_groups_are_rejected() -> None:
    with pytest.raises(ValidationError):
        rule({"type": "group", "combinator": "and", "rules": []})


def test_evaluation_follows_sql_null_semantics() -> None:
    columns = {
        "job_role": np.array(["nurse", "midwife", None, "nurse"], dtype=object),
        "tenure_days": np.array([30.0, 400.0, 10.0, np.nan]),
    }
    frontline_new = SegmentRule.all_of(
        Condition(feature="job_role", operator=Operator.IN, value=["nurse", "midwife"]),
        Condition(feature="tenure_days", operator=Operator.LT, value=90),
    )
    assert evaluate(frontline_new, columns).tolist() == [True, False, False, False]
    either = SegmentRule(
        root=Group(
            combinator="or",
            rules=[
                Condition(feature="job_role", operator=Operator.IS_NULL),
                Condition(feature="tenure_days", operator=Operator.BETWEEN, value=[300, 500]),
            ],
        )
    )
    assert evaluate(either, columns).tolist() == [False, True, True, False]
    assert evaluate(
        SegmentRule.all_of(Condition(feature="job_role", operator=Operator.NEQ, value="nurse")),
        columns,
    ).tolist() == [False, True, False, False]


def test_unknown_feature_is_an_error() -> None:
    with pytest.raises(KeyError, match="quality_score"):
        evaluate(
            SegmentRule.all_of(Condition(feature="quality_score", operator=Operator.GT, value=1)),
            {"team": np.array(["a"], dtype=object)},
        )
