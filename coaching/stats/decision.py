"""Readouts and decisions for binary metrics, vectorized over many experiments.

Input is one row per experiment x variant (arrays); the control is the row marked `is_control`.
Every treatment row gets lift, interval, chance to beat control, expected losses and probability
of being best; every experiment gets a status and a decision with its reason:

- `invalid` when the experiment cannot be read (no control, weights not summing to one, no
  exposures, all outcomes identical): a clear status, never NaN passed off as a number;
- `investigate_srm` when arm sizes do not match the planned weights;
- `too_early` until the experiment has run its minimum whole weeks and every arm has its minimum
  sample;
- `ship` when a treatment's always-valid test (coaching.stats.sequential) rejects "no better than
  control" at the experiment's alpha (split across treatments) and every guardrail is
  non-inferior within its margin: however often the readout is read, a variant that is not better
  ships with probability at most alpha;
- `stop_for_futility` when every treatment's always-valid interval lies below the smallest lift
  worth shipping;
- `inconclusive` when the planned duration has passed without either;
- `keep_running` otherwise.

The Bayesian figures (chance to beat control, expected losses, credible intervals) are the
fixed-horizon view: right for one look at a pre-set end, reported beside the always-valid ones,
and not used to decide.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from scipy import stats

from coaching.stats import binary, sequential
from coaching.stats.inputs import count_problems
from coaching.stats.srm import SRM_P_VALUE, srm_p_values


@dataclass(frozen=True)
class Thresholds:
    """What an experiment's decision is held to. Organizations set defaults and experiments
    override them (`from_layers`); these are the platform's."""

    # Chance that a variant no better than control is ever shipped, however often it is read.
    alpha: float = 0.05
    # The smallest lift (relative to control) the experiment is designed to detect: the test
    # spends its evidence around it. Calibrated in tests/coaching/stats/test_calibration.py.
    minimum_detectable_lift: float = 0.15
    min_days: int = 7  # whole weeks, against weekday effects and novelty
    min_samples_per_arm: int = 100
    planned_days: int | None = None
    min_lift_worth_shipping: float = 0.005  # absolute rate
    # A guardrail may worsen by at most 2 points (absolute), with 90% confidence: stricter bounds
    # cannot be shown at frontline sample sizes (hundreds per arm), so nothing would ever ship.
    guardrail_margin: float = 0.02
    guardrail_confidence: float = 0.9

    @classmethod
    def from_layers(cls, *layers: Mapping[str, Any] | None) -> Thresholds:
        """The platform's thresholds overridden by each layer in turn (organization defaults,
        then the experiment's own); unknown keys and nulls change nothing."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for layer in layers:
            values.update({k: v for k, v in (layer or {}).items() if k in known and v is not None})
        return cls(**values)


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


VERDICTS = ("too_early", "ship", "stop_for_futility", "inconclusive")


def verdicts(
    p_value: np.ndarray, high: np.ndarray, smallest_arm: np.ndarray, days_run: np.ndarray,
    alpha: np.ndarray | float, min_days: np.ndarray | float, min_samples: np.ndarray | float,
    min_worth: np.ndarray | float, planned_days: np.ndarray | float = np.inf,
) -> np.ndarray:  # fmt: skip
    """The verdict of each treatment row from its always-valid figures, vectorized: the one rule
    `decide` applies and the calibration suite simulates."""
    early = (np.asarray(days_run) < min_days) | (np.asarray(smallest_arm) < min_samples)
    ship = ~early & (np.asarray(p_value) <= alpha)
    futile = ~early & ~ship & (np.asarray(high) < min_worth)
    planned = np.asarray(planned_days, dtype=float)
    past = ~early & ~ship & ~futile & np.isfinite(planned) & (np.asarray(days_run) >= planned)
    return np.select([early, ship, futile, past], list(VERDICTS), "keep_running")


def judge(
    control_successes: np.ndarray, control_trials: np.ndarray,
    treatment_successes: np.ndarray, treatment_trials: np.ndarray,
    days_run: np.ndarray | float, limits: Thresholds, treatments: int = 1,
    smallest_arm: np.ndarray | float | None = None,
) -> tuple[np.ndarray, sequential.Sequential]:  # fmt: skip
    """Verdicts and always-valid figures of treatment rows from their cumulative counts, with
    alpha split across an experiment's `treatments` (any of them shipping wrongly): the rule
    `decide`, the power calculator and the calibration suite all read."""
    alpha = limits.alpha / treatments
    figures = sequential.read(
        control_successes, control_trials, treatment_successes, treatment_trials,
        limits.minimum_detectable_lift, alpha,
    )  # fmt: skip
    if smallest_arm is None:
        smallest_arm = np.minimum(control_trials, treatment_trials)
    verdict = verdicts(
        figures.p_value, figures.high, np.broadcast_to(smallest_arm, figures.p_value.shape),
        np.broadcast_to(days_run, figures.p_value.shape), alpha, limits.min_days,
        limits.min_samples_per_arm, limits.min_lift_worth_shipping,
        np.inf if limits.planned_days is None else limits.planned_days,
    )  # fmt: skip
    return verdict, figures


def decide(
    primary: Readout,
    guardrails: dict[str, Readout],
    thresholds: Thresholds | Mapping[str, Thresholds] = Thresholds(),
    days_run: Mapping[str, int] | None = None,
) -> dict[str, dict[str, object]]:
    """One decision per experiment of the primary readout, with the reason in words.

    `thresholds` is one set for every experiment or one per experiment id; `days_run` is how
    long each experiment has run (None: long enough, as for a one-off readout)."""

    def held_to(experiment: str) -> Thresholds:
        if isinstance(thresholds, Thresholds):
            return thresholds
        return thresholds.get(experiment, Thresholds())

    rows = primary.rows
    ids = rows["experiment_id"].astype(str)
    order = np.argsort(ids, kind="stable")
    names, starts, sizes = np.unique(ids[order], return_index=True, return_counts=True)
    rows_of = {str(n): order[a : a + k] for n, a, k in zip(names, starts, sizes, strict=True)}
    checks: dict[str, dict[tuple[str, str], bool]] = {}
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
        limits = held_to(experiment)
        for name, readout in guardrails.items():
            if name not in checks:
                checks[name] = non_inferior(
                    readout, limits.guardrail_margin, limits.guardrail_confidence
                )
        decisions[experiment] = _decide_one(
            experiment, rows, rows_of[experiment], limits, checks,
            None if days_run is None else days_run.get(experiment, 0),
        )  # fmt: skip
    return decisions


def _decide_one(
    experiment: str, rows: dict[str, np.ndarray], mine: np.ndarray, limits: Thresholds,
    checks: dict[str, dict[tuple[str, str], bool]], days: int | None,
) -> dict[str, object]:  # fmt: skip
    control_trials = rows["control_exposures"][mine]
    treated_trials = rows["variant_exposures"][mine]
    smallest = float(min(control_trials.min(), treated_trials.min()))
    verdict, figures = judge(
        rows["control_rate"][mine] * control_trials, control_trials,
        rows["variant_rate"][mine] * treated_trials, treated_trials,
        np.inf if days is None else days, limits, len(mine), smallest,
    )  # fmt: skip
    variants = rows["variant"][mine].astype(str)
    best = int(np.argmin(figures.p_value))
    day_text = "" if days is None else f"day {days}"
    if verdict[0] == "too_early":
        return {"decision": "too_early", "winner": None,
                "reason": f"{day_text or 'now'} of at least {limits.min_days}; smallest arm "
                          f"{smallest:.0f} of at least {limits.min_samples_per_arm}"}  # fmt: skip
    shipping = np.nonzero(verdict == "ship")[0]
    if len(shipping):
        best = int(shipping[np.argmin(figures.p_value[shipping])])
        variant = variants[best]
        failed = [name for name, r in checks.items() if not r.get((experiment, variant), True)]
        if failed:
            return {"decision": "keep_running", "winner": None,
                    "reason": f"{variant} wins (always-valid p {figures.p_value[best]:.4f}) but "
                              f"guardrails {', '.join(failed)} may be worse"}  # fmt: skip
        return {"decision": "ship", "winner": variant,
                "reason": f"{variant} beats control: always-valid p {figures.p_value[best]:.4f} "
                          f"<= {limits.alpha / len(mine):g}, lift {figures.difference[best]:+.4f} "
                          f"[{figures.low[best]:+.4f}, {figures.high[best]:+.4f}] safe to peek"}  # fmt: skip
    if np.all(verdict == "stop_for_futility"):
        return {"decision": "stop_for_futility", "winner": None,
                "reason": f"every variant's always-valid interval is below a lift of "
                          f"{limits.min_lift_worth_shipping:g} (best upper bound "
                          f"{figures.high.max():+.4f})"}  # fmt: skip
    if np.any(verdict == "inconclusive"):
        return {"decision": "inconclusive", "winner": None,
                "reason": f"the planned {limits.planned_days} days have run without a decision "
                          f"(best always-valid p {figures.p_value[best]:.3f})"}  # fmt: skip
    return {"decision": "keep_running", "winner": None,
            "reason": f"best variant {variants[best]} at always-valid p {figures.p_value[best]:.3f} "
                      f"(ships at {limits.alpha / len(mine):g})"}  # fmt: skip
