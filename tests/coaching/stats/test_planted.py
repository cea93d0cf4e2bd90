"""The engine reads the simulator's planted effects back."""

import numpy as np

from coaching.stats.decision import Arms, decide, read_binary


def arms_of(manifest: dict, level: str) -> tuple[Arms, dict[str, dict]]:
    rows, truth = [], {}
    for experiment in manifest["experiments"]:
        if experiment["level"] != level:
            continue
        truth[experiment["id"]] = experiment
        for v in experiment["variants"]:
            rows.append(
                (
                    experiment["id"],
                    v["key"],
                    v["is_control"],
                    v["weight"],
                    v["delivered_messages"],
                    v["replies_24h"],
                    v["assigned_workers"],
                )
            )
    columns = [np.array(c) for c in zip(*rows, strict=True)]
    # Messages are the trials; workers are what was randomized, so they decide sample ratio.
    arms = Arms(*columns[:6], assigned=columns[6])
    return arms, truth


def test_intervals_cover_the_planted_lifts(simulated) -> None:
    _, manifest = simulated
    arms, truth = arms_of(manifest, "journey")
    rows = read_binary(arms).rows
    for experiment_id, low, high in zip(
        rows["experiment_id"], rows["absolute_low"], rows["absolute_high"], strict=True
    ):
        planted = next(
            v["planted_reply_lift"] for v in truth[experiment_id]["variants"] if not v["is_control"]
        )
        assert low <= planted <= high, (truth[experiment_id]["name"], low, planted, high)


def test_the_largest_planted_winner_ships_and_null_effects_do_not(simulated) -> None:
    _, manifest = simulated
    arms, truth = arms_of(manifest, "journey")
    decisions = decide(read_binary(arms), {})
    largest = max(truth, key=lambda e: min(v["delivered_messages"] for v in truth[e]["variants"]))
    treated = next(v for v in truth[largest]["variants"] if not v["is_control"])
    assert treated["planted_reply_lift"] > 0
    assert (
        decisions[largest]["decision"] == "ship" and decisions[largest]["winner"] == treated["key"]
    )
    for experiment_id, decision in decisions.items():
        lift = next(
            v["planted_reply_lift"] for v in truth[experiment_id]["variants"] if not v["is_control"]
        )
        if lift == 0:
            assert decision["decision"] != "ship", decision
        if lift > 0:
            assert decision["decision"] != "stop_for_futility", decision


def test_the_cadence_experiment_fails_on_its_guardrail_or_loses(simulated) -> None:
    _, manifest = simulated
    arms, truth = arms_of(manifest, "program")
    opt_outs = Arms(
        arms.experiment_id, arms.variant, arms.is_control, arms.weight, arms.trials,
        np.array([v["opt_outs"] for e in truth.values() for v in e["variants"]]), assigned=arms.assigned,
    )  # fmt: skip
    decisions = decide(
        read_binary(arms), {"opt_out_rate": read_binary(opt_outs, lower_is_better=True)}
    )
    assert decisions and all(
        d["decision"] in ("stop_for_futility", "keep_running") for d in decisions.values()
    )
