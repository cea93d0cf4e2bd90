import pandas as pd

from data_contracts.suites import build_suite, run_suite
from data_contracts.tables import HR_PERFORMANCE

ORG = "00000000-0000-4000-8000-000000000000"


def frame(**overrides) -> pd.DataFrame:
    row = {"employee_id": "E1", "phone": "+2348031234567", "period": "2026-10", "metric": "visits",
           "value": 3.0, "organization_id": ORG}  # fmt: skip
    return pd.DataFrame([{**row, **overrides}])


def test_suite_mirrors_the_contract() -> None:
    types = {e.expectation_type for e in build_suite(HR_PERFORMANCE).expectations}
    assert {"expect_column_values_to_not_be_null", "expect_column_values_to_match_regex",
            "expect_compound_columns_to_be_unique"} <= types  # fmt: skip


def test_good_rows_pass_and_bad_rows_fail() -> None:
    assert run_suite(HR_PERFORMANCE, frame()).success
    result = run_suite(HR_PERFORMANCE, frame(period="2026-13"))
    assert not result.success
    assert result.failed == [
        {"expectation": "expect_column_values_to_match_regex", "column": "period", "unexpected": 1}
    ]


def test_duplicate_keys_fail() -> None:
    assert not run_suite(HR_PERFORMANCE, pd.concat([frame(), frame()])).success


def test_failures_count_rows_not_distinct_values_and_a_missing_column_fails() -> None:
    """Columns are judged over their distinct values; what broke is still counted in rows."""
    rows = pd.concat(
        [frame(employee_id=f"E{i}", period="2026-13" if i % 3 else "2026-10") for i in range(9)]
        + [frame(employee_id="E99", phone=None)],
        ignore_index=True,
    )
    result = run_suite(HR_PERFORMANCE, rows)
    assert sorted((f["column"], f["unexpected"]) for f in result.failed) == [
        ("period", 6), ("phone", 1),
    ]  # fmt: skip
    assert result.evaluated == len(build_suite(HR_PERFORMANCE).expectations)
    missing = run_suite(HR_PERFORMANCE, frame().drop(columns=["metric"]))
    assert not missing.success
    assert {f["column"] for f in missing.failed} >= {"metric", None}
