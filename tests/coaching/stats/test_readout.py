"""From sufficient statistics to result rows, priors included."""

import numpy as np
import pandas as pd

from coaching.stats.readout import results


def stats_frame() -> pd.DataFrame:
    rows = []

    def experiment(
        eid: str, org: str, status: str, control: tuple[int, int], treated: tuple[int, int]
    ) -> None:
        for key, is_control, (n, s) in (("control", True, control), ("b", False, treated)):
            for metric, kind in (("reply_rate_24h", "binary"), ("opt_out_rate", "binary")):
                successes = s if metric == "reply_rate_24h" else max(1, n // 100)
                rows.append({
                    "experiment_id": eid, "organization_id": org, "experiment_status": status,
                    "variant_id": f"{eid}-{key}", "variant_key": key, "is_control": is_control, "weight": 0.5,
                    "metric": metric, "metric_type": kind, "dimension": "all", "dimension_value": "all",
                    "units": n, "n": n, "successes": successes,
                    "sum_y": np.nan, "sum_y2": np.nan, "sum_x": np.nan, "sum_x2": np.nan, "sum_xy": np.nan,
                })  # fmt: skip

    for i, rate in enumerate((0.30, 0.34, 0.32, 0.31)):
        experiment(
            f"old{i}", "org-a", "shipped", (400, int(400 * rate)), (400, int(400 * rate) + 10)
        )
    experiment("new", "org-a", "running", (60, 20), (60, 27))
    experiment("other", "org-b", "running", (60, 20), (60, 27))
    return pd.DataFrame(rows)


def test_finished_experiments_teach_the_prior_of_their_organization() -> None:
    out = results(stats_frame())
    reply = out[out["metric"] == "reply_rate_24h"].set_index("experiment_id")
    assert reply.loc["new", "prior_source"] == "empirical_bayes"
    assert reply.loc["other", "prior_source"] == "flat"
    assert reply.loc["new", "prior_alpha"] / (
        reply.loc["new", "prior_alpha"] + reply.loc["new", "prior_beta"]
    ) == pytest_approx(0.32)
    # The prior pulls the small new experiment's interval in, compared with the same data elsewhere.
    width = reply["absolute_high"] - reply["absolute_low"]
    assert width["new"] < width["other"]
    guard = out[out["metric"] == "opt_out_rate"].set_index("experiment_id")
    assert guard.loc["other", "prior_source"] == "metric"


def test_every_row_carries_its_experiments_decision() -> None:
    out = results(stats_frame())
    for _, rows in out.groupby("experiment_id"):
        assert rows["decision"].nunique() == 1
        assert rows["decision"].iloc[0] in {
            "ship",
            "keep_running",
            "stop_for_futility",
            "too_early",
        }


def pytest_approx(value: float):  # small helper keeps the assertion readable
    import pytest

    return pytest.approx(value, abs=0.02)
