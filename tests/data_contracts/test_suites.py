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
