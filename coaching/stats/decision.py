"""Readouts and decisions for binary metrics, vectorized over many experiments.

Input is one row per experiment x variant (arrays); the control is the row marked `is_control`.
Every treatment row gets lift, interval, chance to beat control, expected losses and probability
of being best; every experiment gets a status and a decision with its reason:

- `invalid` when the experiment cannot be read (no control, weights not summing to one, no
  exposures, all outcomes identical): a clear status, never NaN passed off as a number;
- `investigate_srm` when arm sizes do not match the planned weights;
- `ship` when a treatment's chance to beat control and its expected loss pass the thresholds and
  every guardrail is non-inferior within its margin;
- `stop_for_futility` when every treatment is almost surely not better, or the most that could
  be lost by keeping control is below the smallest lift worth shipping;
- `keep_running` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from coaching.stats import binary
from coaching.stats.inputs import count_problems
from coaching.stats.srm import SRM_P_VALUE, srm_p_values


@dataclass(frozen=True)
class Thresholds:
    ship_chance: float = 0.975  # one look at an A/A test ships about 2.5% of the time
    max_ship_loss: float = 0.005  # absolute rate
    futility_chance: float = 0.05
    min_lift_worth_shipping: float = 0.005
    min_exposures_per_arm: int = 100
    # A guardrail may worsen by at most 2 points (absolute), with 90% confidence: stricter bounds
    # cannot be shown at frontline sample sizes (hundreds per arm), so nothing would ever ship.
    guardrail_margin: float = 0.02
    guardrail_confidence: float = 0.9


@dataclass
class Arms:
    """One row per experiment x variant for one binary metric."""

    experiment_id: np.ndarray
    variant: np.ndarray
    is_control: np.ndarray
    weight: np.ndarray
    trials: np.ndarray
    successes: np.ndarray
    prior_alpha: np.ndarray | float = 1.0
    prior_beta: np.ndarray | float = 1.0
    # Units randomized per arm (workers), for the sample ratio check; `trials` may count messages.
    assigned: np.ndarray | None = None


@dataclass
class Readout:
    rows: dict[str, np.ndarray]  # one per treatment row
    experiments: dict[str, dict[str, object]] = field(default_factory=dict)


def _control_index(arms: Arms) -> tuple[np.ndarray, dict[str, str]]:
    """For each row the index of its experiment's control row (-1 when there is none)."""
    control_of: dict[str, int] = {}
    for i, (experiment, is_control) in enumerate(
        zip(arms.experiment_id, arms.is_control, strict=True)
    ):
        if is_control:
            control_of.setdefault(str(experiment), i)
    index = np.array([control_of.get(str(e), -1) for e in arms.experiment_id])
    problems = {
        str(e): "no control variant" for e in arms.experiment_id if str(e) not in control_of
    }
    return index, problems


def read_binary(arms: Arms, lower_is_better: bool = False) -> Readout:
    trials = np.asarray(arms.trials, dtype=float)
    successes = np.asarray(arms.successes, dtype=float)
    control, problems = _control_index(arms)
    # Arms whose counts cannot be read make their experiment invalid; they are computed as empty
    # so that nothing downstream sees a NaN or a negative Beta parameter.
    bad_counts = count_problems(trials, successes)
    for experiment, reason in zip(
        np.asarray(arms.experiment_id)[bad_counts != ""], bad_counts[bad_counts != ""], strict=True
    ):
        problems.setdefault(str(experiment), reason)
    trials = np.where(bad_counts == "", trials, 0.0)
    successes = np.where(bad_counts == "", successes, 0.0)
    treatment_rows = np.nonzero(~np.asarray(arms.is_control, dtype=bool) & (control >= 0))[0]
    prior_a = np.broadcast_to(np.asarray(arms.prior_alpha, dtype=float), trials.shape)
    prior_b = np.broadcast_to(np.asarray(arms.prior_beta, dtype=float), trials.shape)
    post = binary.posterior(successes, trials, prior_a, prior_b)
    t = binary.BetaPosterior(post.alpha[treatment_rows], post.beta[treatment_rows])
    c_rows = control[treatment_rows]
    c = binary.BetaPosterior(post.alpha[c_rows], post.beta[c_rows])
    better, worse = (c, t) if lower_is_better else (t, c)
    figures = binary.compare(better, worse)
    lift = binary.compare(t, c)
    rows = {
        "experiment_id": np.asarray(arms.experiment_id)[treatment_rows],
        "variant": np.asarray(arms.variant)[treatment_rows],
        "control_rate": successes[c_rows] / np.maximum(trials[c_rows], 1),
        "variant_rate": successes[treatment_rows] / np.maximum(trials[treatment_rows], 1),
        "control_exposures": trials[c_rows],
        "variant_exposures": trials[treatment_rows],
        "absolute_lift": t.mean - c.mean,
        "absolute_low": lift["absolute_low"],
        "absolute_high": lift["absolute_high"],
        "relative_lift": t.mean / c.mean - 1,
        "relative_low": lift["relative_low"],
        "relative_high": lift["relative_high"],
        "chance_to_beat": figures["chance_to_beat"],
        "loss_ship": figures["loss_ship"],
        "loss_keep": figures["loss_keep"],
    }
    readout = Readout(rows)
    # "Best" means the lowest rate when lower is better: Beta(b, a) is the law of 1 - p.
    ranked = binary.BetaPosterior(post.beta, post.alpha) if lower_is_better else post
    readout.experiments = _experiment_status(arms, trials, successes, ranked, problems)
    _refuse_unfinite(readout)
    return readout


FIGURES = ("absolute_lift", "absolute_low", "absolute_high", "relative_lift", "relative_low",
           "relative_high", "chance_to_beat", "loss_ship", "loss_keep")  # fmt: skip


def _refuse_unfinite(readout: Readout) -> None:
    """`ok` promises finite figures: an experiment with any other is invalid, and the figures of
    invalid experiments are blanked so no reader takes them for numbers."""
    ids = np.asarray(readout.rows["experiment_id"]).astype(str)
    finite = np.all([np.isfinite(np.asarray(readout.rows[f], dtype=float)) for f in FIGURES], 0)
    for experiment in set(ids[~finite]):
        info = readout.experiments.get(experiment)
        if info is not None and info["status"] == "ok":
            info.update(status="invalid", reason="a figure is not finite (degenerate counts)")
    invalid = np.array([readout.experiments[e]["status"] != "ok" for e in ids], dtype=bool)
    for figure in FIGURES:
        values = np.asarray(readout.rows[figure], dtype=float).copy()
        values[invalid] = np.nan
        readout.rows[figure] = values


def _experiment_status(
    arms: Arms, trials: np.ndarray, successes: np.ndarray, post: binary.BetaPosterior,
    problems: dict[str, str],
) -> dict[str, dict[str, object]]:  # fmt: skip
    """Status, sample-ratio check and probability of being best per experiment (`post` ranks
    arms: higher is better).

    Experiments are grouped by their number of arms so each group is one vectorized call.
    """
    ids = np.asarray(arms.experiment_id).astype(str)
    order = np.argsort(ids, kind="stable")
    names, starts, sizes = np.unique(ids[order], return_index=True, return_counts=True)
    weights = np.asarray(arms.weight, dtype=float)
    units = trials if arms.assigned is None else np.asarray(arms.assigned, dtype=float)
    variants = np.asarray(arms.variant)
    result: dict[str, dict[str, object]] = {}
    readable: dict[int, list[tuple[str, np.ndarray]]] = {}
    for name, start, size in zip(names, starts, sizes, strict=True):
        rows = order[start : start + size]
        info: dict[str, object] = {"status": "ok", "reason": ""}
        if name in problems:
            info.update(status="invalid", reason=problems[name])
        elif abs(weights[rows].sum() - 1) > 1e-6:
            info.update(status="invalid", reason=f"weights sum to {weights[rows].sum():.3f}, not 1")
        elif trials[rows].min() <= 0:
            info.update(status="invalid", reason="a variant has no exposures")
        elif np.all(successes[rows] == 0) or np.all(successes[rows] == trials[rows]):
            info.update(status="invalid", reason="every outcome is identical: nothing to compare")
        else:
            readable.setdefault(int(size), []).append((str(name), rows))
        result[str(name)] = info
    for size, group in readable.items():
        index = np.stack([rows for _, rows in group])  # (experiments, arms)
        p_values = srm_p_values(units[index], weights[index])
        best = binary.probability_best(
            [
                binary.BetaPosterior(post.alpha[index[:, k]], post.beta[index[:, k]])
                for k in range(size)
            ]
        )
        for (name, rows), p_value, chances in zip(group, p_values, best, strict=True):
            result[name]["srm_p_value"] = float(p_value)
            result[name]["probability_best"] = dict(
                zip(variants[rows].tolist(), chances.round(6).tolist(), strict=True)
            )
    return result


def non_inferior(readout: Readout, margin: float, confidence: float) -> dict[tuple[str, str], bool]:
    """Guardrails (lower is better): P(treatment - control > margin) must stay below 1 - confidence."""
    rows = readout.rows
    sd = (rows["absolute_high"] - rows["absolute_low"]) / (2 * stats.norm.ppf(0.975))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_worse = 1 - stats.norm.cdf((margin - rows["absolute_lift"]) / sd)
    return {
        (str(e), str(v)): bool(p < 1 - confidence)
        for e, v, p in zip(rows["experiment_id"], rows["variant"], p_worse, strict=True)
    }


def decide(
    primary: Readout, guardrails: dict[str, Readout], thresholds: Thresholds = Thresholds()
) -> dict[str, dict[str, object]]:
    """One decision per experiment of the primary readout, with the reason in words."""
    checks = {
        name: non_inferior(r, thresholds.guardrail_margin, thresholds.guardrail_confidence)
        for name, r in guardrails.items()
    }
    rows = primary.rows
    ids = rows["experiment_id"].astype(str)
    order = np.argsort(ids, kind="stable")
    names, starts, sizes = np.unique(ids[order], return_index=True, return_counts=True)
    rows_of = {str(n): order[a : a + k] for n, a, k in zip(names, starts, sizes, strict=True)}
    decisions: dict[str, dict[str, object]] = {}
    for experiment, info in primary.experiments.items():
        if info["status"] != "ok":
            decisions[experiment] = {
                "decision": "invalid",
                "reason": info["reason"],
                "winner": None,
            }
            continue
        if float(info.get("srm_p_value", 1.0)) < SRM_P_VALUE:
            decisions[experiment] = {
                "decision": "investigate_srm",
                "reason": f"arm sizes do not match the planned weights (p = {info['srm_p_value']:.2g})",
                "winner": None,
            }
            continue
        mine = rows_of[experiment]
        chances = rows["chance_to_beat"][mine]
        best = int(np.argmax(chances))
        variant = str(rows["variant"][mine][best])
        chance = float(chances[best])
        loss_ship = float(rows["loss_ship"][mine][best])
        loss_keep = float(rows["loss_keep"][mine][best])
        exposures = float(
            min(rows["variant_exposures"][mine].min(), rows["control_exposures"][mine].min())
        )
        failed = [
            name for name, result in checks.items() if not result.get((experiment, variant), True)
        ]
        if chance >= thresholds.ship_chance and loss_ship <= thresholds.max_ship_loss:
            if failed:
                decision = {"decision": "keep_running", "winner": None,
                            "reason": f"{variant} wins ({chance:.1%}) but guardrails {', '.join(failed)} may be worse"}  # fmt: skip
            else:
                decision = {"decision": "ship", "winner": variant,
                            "reason": f"{variant} beats control with {chance:.1%} chance; expected loss {loss_ship:.4f}"}  # fmt: skip
        elif chances.max() <= thresholds.futility_chance:
            decision = {"decision": "stop_for_futility", "winner": None,
                        "reason": f"control is better than every variant (best chance {chance:.1%})"}  # fmt: skip
        elif (
            exposures >= thresholds.min_exposures_per_arm
            and loss_keep <= thresholds.min_lift_worth_shipping / 10
        ):
            decision = {"decision": "stop_for_futility", "winner": None,
                        "reason": f"keeping control risks at most {loss_keep:.4f}: no lift worth shipping"}  # fmt: skip
        else:
            decision = {"decision": "keep_running", "winner": None,
                        "reason": f"best variant {variant} at {chance:.1%} chance to beat control"}  # fmt: skip
        decisions[experiment] = decision
    return decisions
