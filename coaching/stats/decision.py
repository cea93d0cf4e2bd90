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


def _grouped(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows grouped by experiment: (order sorting the rows by id, ids, first position of each in
    that order, rows per id)."""
    order = np.argsort(ids, kind="stable")
    names, starts, sizes = np.unique(ids[order], return_index=True, return_counts=True)
    return order, names, starts, sizes


def _control_index(arms: Arms) -> tuple[np.ndarray, dict[str, str]]:
    """For each row the index of its experiment's (first) control row, -1 when there is none."""
    ids = np.asarray(arms.experiment_id).astype(str)
    names, experiment = np.unique(ids, return_inverse=True)
    controls = np.nonzero(np.asarray(arms.is_control, dtype=bool))[0][::-1]
    control_of = np.full(len(names), -1)
    control_of[experiment[controls]] = controls  # reversed, so the first control is written last
    problems = dict.fromkeys(names[control_of < 0].tolist(), "no control variant")
    return control_of[experiment], problems


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
    lift = binary.compare(t, c)
    # The figures of "better" against "worse" from the same comparison: P(C > T) = 1 - P(T > C),
    # and what shipping costs one way is what keeping costs the other.
    if lower_is_better:
        figures = {"chance_to_beat": 1 - lift["chance_to_beat"],
                   "loss_ship": lift["loss_keep"], "loss_keep": lift["loss_ship"]}  # fmt: skip
    else:
        figures = lift
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
    chance = np.full(len(trials), np.nan)
    chance[treatment_rows] = figures["chance_to_beat"]
    readout.experiments = _experiment_status(arms, trials, successes, ranked, problems, chance)
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
    bad = [e for e, info in readout.experiments.items() if info["status"] != "ok"]
    invalid = np.isin(ids, bad) if bad else np.zeros(len(ids), dtype=bool)
    for figure in FIGURES:
        values = np.asarray(readout.rows[figure], dtype=float).copy()
        values[invalid] = np.nan
        readout.rows[figure] = values


def _experiment_status(
    arms: Arms, trials: np.ndarray, successes: np.ndarray, post: binary.BetaPosterior,
    problems: dict[str, str], chance: np.ndarray,
) -> dict[str, dict[str, object]]:  # fmt: skip
    """Status, sample-ratio check and probability of being best per experiment (`post` ranks
    arms: higher is better; `chance` is each treatment row's chance to be better than its
    control, NaN elsewhere).

    Experiments are grouped by their number of arms so each group is one vectorized call; with
    two arms, the chance to be best is the chance to beat control, already computed.
    """
    order, names, starts, sizes = _grouped(np.asarray(arms.experiment_id).astype(str))
    weights = np.asarray(arms.weight, dtype=float)
    units = trials if arms.assigned is None else np.asarray(arms.assigned, dtype=float)
    variants = np.asarray(arms.variant)
    result: dict[str, dict[str, object]] = {}
    readable: dict[int, tuple[list[str], np.ndarray]] = {}
    if not len(order):
        return result
    # Each check over every experiment at once (sums and extremes over its sorted rows).
    weight_sum = np.add.reduceat(weights[order], starts)
    fewest = np.minimum.reduceat(trials[order], starts)
    none = np.logical_and.reduceat(successes[order] == 0, starts)
    every = np.logical_and.reduceat(successes[order] == trials[order], starts)
    identical = none | every
    reasons = np.select(
        [np.isin(names, list(problems)), np.abs(weight_sum - 1) > 1e-6, fewest <= 0, identical],
        ["problem", "weights", "a variant has no exposures",
         "every outcome is identical: nothing to compare"],
        "",
    ).tolist()  # fmt: skip
    ok = np.array([not r for r in reasons], dtype=bool)
    result = dict.fromkeys(names.tolist())  # in id order; the readable ones are filled below
    for name, reason, weight in zip(
        names[~ok].tolist(), np.asarray(reasons)[~ok].tolist(), weight_sum[~ok].tolist(),
        strict=True,
    ):  # fmt: skip
        if reason == "problem":
            reason = problems[name]
        elif reason == "weights":
            reason = f"weights sum to {weight:.3f}, not 1"
        result[name] = {"status": "invalid", "reason": reason}
    for size in np.unique(sizes[ok]).tolist():
        chosen = ok & (sizes == size)
        rows = order[starts[chosen][:, None] + np.arange(size)[None, :]]  # (experiments, arms)
        readable[size] = (names[chosen].tolist(), rows)
    for group_names, index in readable.values():
        p_values = srm_p_values(units[index], weights[index])
        best = _probability_best(post, index, chance)
        # (Rows of `index` and `best` have one entry per arm: the inner zip cannot be ragged.)
        result.update(
            (name, {"status": "ok", "reason": "", "srm_p_value": p_value,
                    "probability_best": dict(zip(arm_names, chances))})  # noqa: B905
            for name, p_value, arm_names, chances in zip(
                group_names, p_values.tolist(), variants[index].tolist(), best.round(6).tolist(),
                strict=True,
            )
        )  # fmt: skip
    return result  # type: ignore[return-value]


def _probability_best(
    post: binary.BetaPosterior, index: np.ndarray, chance: np.ndarray
) -> np.ndarray:
    """P(each arm is best), shape (experiments, arms), for experiments of `index`'s arms."""
    best = np.full(index.shape, np.nan)
    if index.shape[1] == 2:  # one control and one treatment: P(best) is the chance to beat
        known = chance[index]
        second, first = ~np.isnan(known[:, 1]), ~np.isnan(known[:, 0])
        best[second] = np.stack([1 - known[second, 1], known[second, 1]], axis=1)
        only_first = first & ~second
        best[only_first] = np.stack([known[only_first, 0], 1 - known[only_first, 0]], axis=1)
    rest = np.isnan(best).any(axis=1)
    if rest.any():
        best[rest] = binary.probability_best(
            [
                binary.BetaPosterior(post.alpha[index[rest, k]], post.beta[index[rest, k]])
                for k in range(index.shape[1])
            ]
        )
    return best


def non_inferior(
    readout: Readout, margin: np.ndarray | float, confidence: np.ndarray | float
) -> dict[tuple[str, str], bool]:
    """Guardrails (lower is better): P(treatment - control > margin) must stay below 1 - confidence.
    `margin` and `confidence` are one value or one per row of the readout."""
    rows = readout.rows
    sd = (rows["absolute_high"] - rows["absolute_low"]) / (2 * stats.norm.ppf(0.975))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_worse = 1 - stats.norm.cdf((np.asarray(margin) - rows["absolute_lift"]) / sd)
    fine = p_worse < 1 - np.asarray(confidence)
    return {
        (str(e), str(v)): bool(ok)
        for e, v, ok in zip(rows["experiment_id"], rows["variant"], fine, strict=True)
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


@dataclass(frozen=True)
class RowLimits:
    """Thresholds spread over treatment rows (each row its experiment's), so one vectorized call
    judges rows of experiments held to different thresholds."""

    alpha: np.ndarray | float  # already split across the experiment's treatments
    minimum_detectable_lift: np.ndarray | float
    min_days: np.ndarray | float
    min_samples_per_arm: np.ndarray | float
    min_lift_worth_shipping: np.ndarray | float
    planned_days: np.ndarray | float

    @classmethod
    def of(cls, limits: Thresholds, treatments: np.ndarray | int = 1) -> RowLimits:
        """One set of thresholds for every row (it broadcasts)."""
        return cls.per_row([limits], np.asarray(treatments, dtype=float))

    @classmethod
    def per_row(cls, held: list[Thresholds], treatments: np.ndarray) -> RowLimits:
        """`held[i]` is row i's experiment's thresholds."""

        def column(name: str) -> np.ndarray:
            values = [getattr(t, name) for t in held]
            return np.array([np.inf if v is None else v for v in values], dtype=float)

        return cls(
            alpha=column("alpha") / treatments,
            minimum_detectable_lift=column("minimum_detectable_lift"),
            min_days=column("min_days"),
            min_samples_per_arm=column("min_samples_per_arm"),
            min_lift_worth_shipping=column("min_lift_worth_shipping"),
            planned_days=column("planned_days"),
        )


def judge_rows(
    control_successes: np.ndarray, control_trials: np.ndarray,
    treatment_successes: np.ndarray, treatment_trials: np.ndarray,
    days_run: np.ndarray | float, limits: RowLimits, smallest_arm: np.ndarray | float | None = None,
) -> tuple[np.ndarray, sequential.Sequential]:  # fmt: skip
    """Verdicts and always-valid figures of treatment rows from their cumulative counts."""
    figures = sequential.read(
        control_successes, control_trials, treatment_successes, treatment_trials,
        limits.minimum_detectable_lift, limits.alpha,
    )  # fmt: skip
    if smallest_arm is None:
        smallest_arm = np.minimum(control_trials, treatment_trials)
    shape = figures.p_value.shape
    verdict = verdicts(
        figures.p_value, figures.high, np.broadcast_to(smallest_arm, shape),
        np.broadcast_to(days_run, shape), limits.alpha, limits.min_days,
        limits.min_samples_per_arm, limits.min_lift_worth_shipping, limits.planned_days,
    )  # fmt: skip
    return verdict, figures


def judge(
    control_successes: np.ndarray, control_trials: np.ndarray,
    treatment_successes: np.ndarray, treatment_trials: np.ndarray,
    days_run: np.ndarray | float, limits: Thresholds, treatments: int = 1,
    smallest_arm: np.ndarray | float | None = None,
) -> tuple[np.ndarray, sequential.Sequential]:  # fmt: skip
    """Verdicts and always-valid figures of treatment rows held to one set of thresholds, with
    alpha split across an experiment's `treatments` (any of them shipping wrongly): the rule
    `decide`, the power calculator and the calibration suite all read."""
    return judge_rows(
        control_successes, control_trials, treatment_successes, treatment_trials, days_run,
        RowLimits.of(limits, treatments), smallest_arm,
    )  # fmt: skip


def decide(
    primary: Readout,
    guardrails: dict[str, Readout],
    thresholds: Thresholds | Mapping[str, Thresholds] = Thresholds(),
    days_run: Mapping[str, int] | None = None,
) -> dict[str, dict[str, object]]:
    """One decision per experiment of the primary readout, with the reason in words.

    `thresholds` is one set for every experiment or one per experiment id; `days_run` is how
    long each experiment has run (None: long enough, as for a one-off readout). Every treatment
    row is judged in one vectorized call; only the reasons are written per experiment."""

    shared = thresholds if isinstance(thresholds, Thresholds) else None
    by_experiment: Mapping[str, Thresholds] = {} if shared else thresholds  # type: ignore[assignment]

    rows = primary.rows
    ids = rows["experiment_id"].astype(str)
    order, names, starts, sizes = _grouped(ids)
    positions = order.tolist()
    # Where each experiment's rows start in `positions`, and how many it has (dicts built by zip,
    # not a slice per experiment: most experiments have one treatment row).
    start_of = dict(zip(names.tolist(), starts.tolist(), strict=True))
    count_of = dict(zip(names.tolist(), sizes.tolist(), strict=True))
    judged = _judge_every_row(rows, ids, order, starts, sizes, thresholds, days_run)
    checks = {
        name: non_inferior(
            readout,
            *_guardrail_limits(_held_by_row(thresholds, readout.rows["experiment_id"].astype(str))),
        )
        for name, readout in guardrails.items()
    }
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
        start, count = start_of[experiment], count_of[experiment]
        mine = [positions[start]] if count == 1 else positions[start : start + count]
        decisions[experiment] = _decide_one(
            experiment, mine, shared or by_experiment.get(experiment, Thresholds()), checks, judged,
            None if days_run is None else days_run.get(experiment, 0),
        )  # fmt: skip
    return decisions


def _held_by_row(
    thresholds: Thresholds | Mapping[str, Thresholds], ids: np.ndarray
) -> list[Thresholds]:
    """Each row's thresholds; one set for all is given once, and broadcasts."""
    if isinstance(thresholds, Thresholds):
        return [thresholds]
    return [thresholds.get(e, Thresholds()) for e in ids.tolist()]


def _guardrail_limits(held: list[Thresholds]) -> tuple[np.ndarray, np.ndarray]:
    """Each guardrail row's margin and confidence, from its experiment's thresholds."""
    margin = np.array([t.guardrail_margin for t in held], dtype=float)
    return margin, np.array([t.guardrail_confidence for t in held], dtype=float)


@dataclass(frozen=True)
class Judged:
    """Per treatment row of a readout, as Python lists: verdict, variant, always-valid figures and
    the smallest arm of the row's experiment."""

    verdict: list[str]
    variant: list[str]
    difference: list[float]
    low: list[float]
    high: list[float]
    p_value: list[float]
    smallest: list[float]


def _judge_every_row(
    rows: dict[str, np.ndarray], ids: np.ndarray, order: np.ndarray, starts: np.ndarray,
    sizes: np.ndarray, thresholds: Thresholds | Mapping[str, Thresholds],
    days_run: Mapping[str, int] | None,
) -> Judged:  # fmt: skip
    """Every treatment row judged in one vectorized call, each held to its experiment's
    thresholds with alpha split across its treatments."""
    control_trials = np.asarray(rows["control_exposures"], dtype=float)
    treated_trials = np.asarray(rows["variant_exposures"], dtype=float)
    treatments = np.empty(len(ids))
    smallest = np.empty(len(ids))
    if len(ids):
        treatments[order] = np.repeat(sizes, sizes)
        arm = np.minimum(control_trials, treated_trials)[order]
        smallest[order] = np.repeat(np.minimum.reduceat(arm, starts), sizes)
    limits = RowLimits.per_row(_held_by_row(thresholds, ids), treatments)
    days = (
        np.full(len(ids), np.inf)
        if days_run is None
        else np.array([days_run.get(e, 0) for e in ids], dtype=float)
    )
    with np.errstate(invalid="ignore", divide="ignore"):  # invalid experiments' rows are NaN
        verdict, figures = judge_rows(
            rows["control_rate"] * control_trials, control_trials,
            rows["variant_rate"] * treated_trials, treated_trials, days, limits, smallest,
        )  # fmt: skip
    return Judged(
        verdict.tolist(), np.asarray(rows["variant"]).astype(str).tolist(),
        figures.difference.tolist(), figures.low.tolist(), figures.high.tolist(),
        figures.p_value.tolist(), smallest.tolist(),
    )  # fmt: skip


def _decide_one(
    experiment: str, mine: list[int], limits: Thresholds,
    checks: dict[str, dict[tuple[str, str], bool]], judged: Judged, days: int | None,
) -> dict[str, object]:  # fmt: skip
    """The experiment's decision and its reason, from its rows' verdicts and figures (plain
    Python values: an experiment has a handful of rows, too few for numpy to pay)."""
    if len(mine) == 1:  # most experiments: one treatment, no comprehension to pay for
        first = mine[0]
        verdict, p_value = [judged.verdict[first]], [judged.p_value[first]]
        variants, best = [judged.variant[first]], 0
        shipping = [0] if verdict[0] == "ship" else []
        futile = verdict[0] == "stop_for_futility"
    else:
        verdict = [judged.verdict[i] for i in mine]
        p_value = [judged.p_value[i] for i in mine]
        variants = [judged.variant[i] for i in mine]
        best = min(range(len(mine)), key=p_value.__getitem__)
        shipping = [k for k, v in enumerate(verdict) if v == "ship"]
        futile = all(v == "stop_for_futility" for v in verdict)
    smallest = judged.smallest[mine[0]]
    day_text = "" if days is None else f"day {days}"
    if verdict[0] == "too_early":
        return {"decision": "too_early", "winner": None,
                "reason": f"{day_text or 'now'} of at least {limits.min_days}; smallest arm "
                          f"{smallest:.0f} of at least {limits.min_samples_per_arm}"}  # fmt: skip
    if shipping:
        best = min(shipping, key=p_value.__getitem__)
        variant, row = variants[best], mine[best]
        failed = [name for name, r in checks.items() if not r.get((experiment, variant), True)]
        if failed:
            return {"decision": "keep_running", "winner": None,
                    "reason": f"{variant} wins (always-valid p {p_value[best]:.4f}) but "
                              f"guardrails {', '.join(failed)} may be worse"}  # fmt: skip
        return {"decision": "ship", "winner": variant,
                "reason": f"{variant} beats control: always-valid p {p_value[best]:.4f} "
                          f"<= {limits.alpha / len(mine):g}, lift {judged.difference[row]:+.4f} "
                          f"[{judged.low[row]:+.4f}, {judged.high[row]:+.4f}] safe to peek"}  # fmt: skip
    if futile:
        return {"decision": "stop_for_futility", "winner": None,
                "reason": f"every variant's always-valid interval is below a lift of "
                          f"{limits.min_lift_worth_shipping:g} (best upper bound "
                          f"{max(judged.high[i] for i in mine):+.4f})"}  # fmt: skip
    if "inconclusive" in verdict:
        return {"decision": "inconclusive", "winner": None,
                "reason": f"the planned {limits.planned_days} days have run without a decision "
                          f"(best always-valid p {p_value[best]:.3f})"}  # fmt: skip
    return {"decision": "keep_running", "winner": None,
            "reason": f"best variant {variants[best]} at always-valid p {p_value[best]:.3f} "
                      f"(ships at {limits.alpha / len(mine):g})"}  # fmt: skip
