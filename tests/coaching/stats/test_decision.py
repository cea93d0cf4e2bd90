"""Decisions on planted truth, calibration by simulation, SRM and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from coaching.stats.decision import Arms, Thresholds, decide, read_binary
from coaching.stats.srm import SRM_P_VALUE, srm_p_values


def experiments(rng: np.random.Generator, count: int, n: int, control: float, lift: float) -> Arms:
    """`count` two-arm experiments with n exposures per arm and a true absolute lift."""
    ids = np.repeat([f"x{i}" for i in range(count)], 2)
    trials = np.full(2 * count, n)
    rates = np.tile([control, control + lift], count)
    return Arms(
        experiment_id=ids,
        variant=np.tile(["control", "treatment"], count),
        is_control=np.tile([True, False], count),
        weight=np.full(2 * count, 0.5),
        trials=trials,
        successes=rng.binomial(trials, rates),
    )


def test_intervals_cover_the_truth_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(1)
    arms = experiments(rng, 600, 250, 0.35, 0.06)
    rows = read_binary(arms).rows
    covered = (rows["absolute_low"] <= 0.06) & (rows["absolute_high"] >= 0.06)
    assert covered.mean() == pytest.approx(0.95, abs=0.03)


def test_aa_experiments_ship_no_more_often_than_alpha_allows() -> None:
    rng = np.random.default_rng(2)
    count = 800
    decisions = decide(read_binary(experiments(rng, count, 300, 0.3, 0.0)), {})
    shipped = sum(d["decision"] == "ship" for d in decisions.values()) / count
    bound = Thresholds().alpha
    assert shipped < bound + 2 * np.sqrt(bound * (1 - bound) / count)


def test_a_real_winner_ships_with_a_large_sample_and_waits_with_a_small_one() -> None:
    rng = np.random.default_rng(3)
    large = decide(read_binary(experiments(rng, 50, 3_000, 0.35, 0.08)), {})
    small = decide(read_binary(experiments(rng, 50, 25, 0.35, 0.08)), {})
    assert sum(d["decision"] == "ship" for d in large.values()) >= 48
    assert all(d["winner"] in (None, "treatment") for d in large.values())
    # Below the minimum sample per arm the readout says so rather than guess.
    assert all(d["decision"] == "too_early" for d in small.values())


def test_a_losing_variant_stops_for_futility() -> None:
    rng = np.random.default_rng(4)
    decisions = decide(read_binary(experiments(rng, 20, 2_000, 0.4, -0.08)), {})
    assert all(d["decision"] == "stop_for_futility" for d in decisions.values())


def test_a_guardrail_breach_blocks_shipping() -> None:
    rng = np.random.default_rng(5)
    primary = read_binary(experiments(rng, 10, 4_000, 0.35, 0.08))
    opt_outs = experiments(rng, 10, 4_000, 0.01, 0.04)  # treatment quintuples opt-outs
    decisions = decide(primary, {"opt_out_rate": read_binary(opt_outs, lower_is_better=True)})
    assert all(
        d["decision"] == "keep_running" and "opt_out_rate" in d["reason"]
        for d in decisions.values()
    )


def test_srm_flags_a_45_55_split_and_not_a_fair_one() -> None:
    rng = np.random.default_rng(6)
    fair = rng.multinomial(4_000, [0.5, 0.5], size=500)
    skewed = rng.multinomial(4_000, [0.45, 0.55], size=500)
    weights = np.full((500, 2), 0.5)
    assert (srm_p_values(fair, weights) < SRM_P_VALUE).mean() < 0.01
    assert (srm_p_values(skewed, weights) < SRM_P_VALUE).mean() > 0.99


def test_an_srm_experiment_is_sent_for_investigation() -> None:
    arms = Arms(
        experiment_id=np.array(["x", "x"]), variant=np.array(["control", "b"]),
        is_control=np.array([True, False]), weight=np.array([0.5, 0.5]),
        trials=np.array([4_500, 5_500]), successes=np.array([1_500, 2_200]),
    )  # fmt: skip
    assert decide(read_binary(arms), {})["x"]["decision"] == "investigate_srm"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"is_control": np.array([False, False])}, "no control"),
        ({"weight": np.array([0.5, 0.6])}, "weights sum to"),
        ({"trials": np.array([0, 100]), "successes": np.array([0, 10])}, "no exposures"),
        ({"successes": np.array([0, 0])}, "identical"),
        ({"successes": np.array([30, 140])}, "more successes than exposures"),
        ({"trials": np.array([-100, 100])}, "negative"),
        ({"successes": np.array([np.nan, 40])}, "NaN or infinite"),
        ({"trials": np.array([np.inf, 100])}, "NaN or infinite"),
        ({"successes": np.array([30.5, 40])}, "whole number"),
    ],
)
def test_bad_experiments_get_a_status_not_a_number(change: dict, reason: str) -> None:
    values = {
        "experiment_id": np.array(["x", "x"]), "variant": np.array(["control", "b"]),
        "is_control": np.array([True, False]), "weight": np.array([0.5, 0.5]),
        "trials": np.array([100, 100]), "successes": np.array([30, 40]),
    }  # fmt: skip
    readout = read_binary(Arms(**{**values, **change}))
    assert readout.experiments["x"]["status"] == "invalid"
    assert reason in readout.experiments["x"]["reason"]
    decision = decide(readout, {})["x"]
    assert decision["decision"] == "invalid" and reason in decision["reason"]


def test_ok_experiments_have_only_finite_figures() -> None:
    rng = np.random.default_rng(8)
    readout = read_binary(experiments(rng, 200, 50, 0.02, 0.01))  # tiny rates, small arms
    ok = np.array(
        [readout.experiments[str(e)]["status"] == "ok" for e in readout.rows["experiment_id"]]
    )
    for figure in ("absolute_lift", "relative_lift", "chance_to_beat", "loss_ship", "loss_keep"):
        assert np.isfinite(np.asarray(readout.rows[figure], dtype=float)[ok]).all(), figure


def test_thresholds_are_configurable_per_experiment() -> None:
    rng = np.random.default_rng(7)
    arms = experiments(rng, 30, 800, 0.35, 0.05)
    strict = decide(read_binary(arms), {}, Thresholds(alpha=0.001))
    lenient = decide(read_binary(arms), {}, Thresholds(alpha=0.2))
    assert sum(d["decision"] == "ship" for d in strict.values()) < sum(
        d["decision"] == "ship" for d in lenient.values()
    )
    per_experiment = {"x0": Thresholds(min_days=14), "x1": Thresholds(planned_days=21)}
    decisions = decide(read_binary(arms), {}, per_experiment, days_run={"x0": 10, "x1": 30})
    assert (
        decisions["x0"]["decision"] == "too_early"
        and "day 10 of at least 14" in decisions["x0"]["reason"]
    )
    assert decisions["x1"]["decision"] in ("ship", "inconclusive")


def test_thresholds_layer_organization_defaults_under_experiment_settings() -> None:
    merged = Thresholds.from_layers(
        {"alpha": 0.01, "min_days": 14, "unknown": 1}, {"min_days": 21, "alpha": None}
    )
    assert (merged.alpha, merged.min_days, merged.min_samples_per_arm) == (0.01, 21, 100)


def test_probability_best_means_lowest_for_guardrails() -> None:
    arms = Arms(
        experiment_id=np.array(["x", "x"]), variant=np.array(["control", "b"]),
        is_control=np.array([True, False]), weight=np.array([0.5, 0.5]),
        trials=np.array([2_000, 2_000]), successes=np.array([20, 80]),
    )  # fmt: skip
    higher = read_binary(arms).experiments["x"]["probability_best"]
    lower = read_binary(arms, lower_is_better=True).experiments["x"]["probability_best"]
    assert higher["b"] > 0.99 and lower["control"] > 0.99
