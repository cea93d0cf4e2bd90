"""From sufficient statistics to result rows: what the `experiment_results` dbt model returns.

Input: one row per experiment x variant x metric x dimension (the `int_experiment_metric_stats`
mart). Output: one row per treatment variant x metric x dimension with its lift, interval, chance
to beat control and expected losses, plus the experiment's decision on the primary metric with
guardrails (repeated on every row of the experiment, so any slice of the table reads alone).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from coaching.stats import gaussian, sequential
from coaching.stats.allocation import period_weighted_rates
from coaching.stats.binary import empirical_bayes_prior
from coaching.stats.decision import Arms, Readout, Thresholds, decide, read_binary
from coaching.stats.inputs import moment_problems

LOWER_IS_BETTER = {"opt_out_rate", "delivery_failure_rate"}
# Proper priors per metric, as (alpha, beta): weakly informative, worth a few dozen exposures.
METRIC_PRIORS = {"opt_out_rate": (1.0, 49.0), "delivery_failure_rate": (1.0, 24.0)}
FINISHED = {"shipped", "stopped"}
GUARDRAILS = ("opt_out_rate", "delivery_failure_rate")
PRIMARY = "reply_rate_24h"


def _group_key(frame: pd.DataFrame) -> pd.Series:
    return (
        frame["experiment_id"]
        + "|"
        + frame["metric"]
        + "|"
        + frame["dimension"]
        + "|"
        + frame["dimension_value"]
    )


def priors(stats: pd.DataFrame) -> dict[tuple[str, str], tuple[float, float, str]]:
    """(organization, metric) -> (alpha, beta, source) for binary metrics.

    Empirical Bayes from the organization's finished experiments on the metric (their control
    arms), when it has at least three; else the metric's proper prior; else flat.
    """
    found: dict[tuple[str, str], tuple[float, float, str]] = {}
    binary_rows = stats[(stats["metric_type"] == "binary") & (stats["dimension"] == "all")]
    finished = binary_rows[
        binary_rows["is_control"]
        & binary_rows["experiment_status"].isin(FINISHED)
        & (binary_rows["n"] > 0)
    ]
    for (organization, metric), rows in finished.groupby(["organization_id", "metric"]):
        if len(rows) >= 3:
            alpha, beta = empirical_bayes_prior(rows["successes"] / rows["n"], rows["n"])
            found[(organization, metric)] = (alpha, beta, "empirical_bayes")
    for organization, metric in (
        binary_rows[["organization_id", "metric"]].drop_duplicates().itertuples(index=False)
    ):
        if (organization, metric) not in found:
            alpha, beta = METRIC_PRIORS.get(metric, (1.0, 1.0))
            found[(organization, metric)] = (
                alpha,
                beta,
                "metric" if metric in METRIC_PRIORS else "flat",
            )
    return found


def _binary(
    frame: pd.DataFrame, metric: str, prior_table: dict[tuple[str, str], tuple[float, float, str]]
) -> tuple[pd.DataFrame, object]:
    rows = frame[frame["metric"] == metric]
    chosen = [prior_table.get((o, metric), (1.0, 1.0, "flat")) for o in rows["organization_id"]]
    arms = Arms(
        experiment_id=_group_key(rows).to_numpy(),
        variant=rows["variant_key"].to_numpy(),
        is_control=rows["is_control"].to_numpy(dtype=bool),
        weight=rows["weight"].to_numpy(dtype=float),
        trials=rows["n"].to_numpy(dtype=float),
        successes=rows["successes"].to_numpy(dtype=float),
        assigned=rows["units"].to_numpy(dtype=float),
        prior_alpha=np.array([c[0] for c in chosen]),
        prior_beta=np.array([c[1] for c in chosen]),
    )
    readout = read_binary(arms, lower_is_better=metric in LOWER_IS_BETTER)
    out = pd.DataFrame(readout.rows).rename(
        columns={"control_rate": "control_value", "variant_rate": "variant_value"}
    )
    out["status"] = [readout.experiments[k]["status"] for k in out["experiment_id"]]
    out["status_reason"] = [readout.experiments[k]["reason"] for k in out["experiment_id"]]
    out["srm_p_value"] = [readout.experiments[k].get("srm_p_value") for k in out["experiment_id"]]
    out["probability_best"] = [
        readout.experiments[k].get("probability_best", {}).get(v)
        for k, v in zip(out["experiment_id"], out["variant"], strict=True)
    ]
    organization_of = dict(zip(_group_key(rows), rows["organization_id"], strict=True))
    prior = [
        prior_table.get((organization_of.get(k), metric), (1.0, 1.0, "flat"))
        for k in out["experiment_id"]
    ]
    out["prior_alpha"] = [p[0] for p in prior]
    out["prior_beta"] = [p[1] for p in prior]
    out["prior_source"] = [p[2] for p in prior]
    # Groups with no treatment row (no control, or nothing else) still deserve a status row.
    missing = set(arms.experiment_id) - set(out["experiment_id"])
    if missing:
        out = pd.concat([out, pd.DataFrame({"experiment_id": sorted(missing), "status": "invalid",
                         "status_reason": [readout.experiments[k]["reason"] for k in sorted(missing)]})])  # fmt: skip
    return out, readout


def _mean(
    frame: pd.DataFrame, metric: str, effect_prior: tuple[float, float] | None = None
) -> pd.DataFrame:
    rows = frame[frame["metric"] == metric].copy()
    rows["key"] = _group_key(rows)
    posterior = gaussian.cuped(
        rows["n"],
        rows["sum_y"],
        rows["sum_y2"],
        rows["sum_x"],
        rows["sum_x2"],
        rows["sum_xy"],
        rows["key"].to_numpy(),
    )
    rows["mean"], rows["var"] = posterior.mean, posterior.var
    control = rows[rows["is_control"]].set_index("key")
    treated = rows[~rows["is_control"] & rows["key"].isin(control.index)]
    c = control.loc[treated["key"]]
    figures = gaussian.compare(
        gaussian.Normal(treated["mean"].to_numpy(), treated["var"].to_numpy()),
        gaussian.Normal(c["mean"].to_numpy(), c["var"].to_numpy()),
        effect_prior_mean=effect_prior[0] if effect_prior else 0.0,
        effect_prior_var=effect_prior[1] if effect_prior else np.inf,
    )
    arm_problem = pd.Series(
        moment_problems(rows["n"], rows["sum_y"], rows["sum_y2"]), index=rows.index
    )
    bad_experiments = (
        arm_problem[arm_problem != ""].groupby(rows.loc[arm_problem != "", "key"]).first()
    )
    out = pd.DataFrame({"experiment_id": treated["key"].to_numpy(), "variant": treated["variant_key"].to_numpy(),
                        "control_value": c["mean"].to_numpy(), "variant_value": treated["mean"].to_numpy(),
                        "control_exposures": c["n"].to_numpy(), "variant_exposures": treated["n"].to_numpy(),
                        **figures})  # fmt: skip
    input_problem = out["experiment_id"].map(bad_experiments).fillna("")
    finite = np.all([np.isfinite(out[f].to_numpy(dtype=float)) for f in figures], axis=0)
    usable = (
        (input_problem == "")
        & (out["control_exposures"] > 1)
        & (out["variant_exposures"] > 1)
        & finite
    )
    out["status"] = np.where(usable, "ok", "invalid")
    out["status_reason"] = np.where(
        input_problem != "", input_problem,
        np.where(usable, "", "too few units or no variation to compare"),
    )  # fmt: skip
    for column in figures:
        out.loc[~usable, column] = np.nan
    return out


def thresholds_by_experiment(designs: pd.DataFrame | None) -> dict[str, Thresholds]:
    """Each experiment's thresholds: the platform's, then its organization's defaults, then its
    own settings and design (`int_experiment_designs`: JSON documents and columns)."""
    found: dict[str, Thresholds] = {}
    if designs is None:
        return found
    for row in designs.to_dict("records"):
        layers = [
            _document(row.get("organization_defaults")),
            _document(row.get("decision_settings")),
        ]
        planned = row.get("planned_days")
        design = {"planned_days": None if pd.isna(planned) else int(planned)}
        try:
            found[str(row["experiment_id"])] = Thresholds.from_layers(*layers, design)
        except TypeError:  # a stored document the API would refuse: the platform's then
            found[str(row["experiment_id"])] = Thresholds.from_layers(design)
    return found


def _document(value: object) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def results(
    stats: pd.DataFrame,
    thresholds: Thresholds = Thresholds(),
    effect_prior: tuple[float, float] | None = None,
    designs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Result rows for every metric, dimension and treatment variant, with decisions.

    `effect_prior` (mean, variance) is a normal prior on the absolute effect of mean metrics;
    None is flat. Binary metrics carry their priors on the rates (empirical Bayes). `designs`
    (one row per experiment: days run, planned days, organization defaults and the experiment's
    own decision settings) sets each experiment's thresholds; without it every experiment is
    held to `thresholds` and taken to have run long enough."""
    # In a fixed order: the vectorized figures are computed over batches of rows, so a table read
    # in another order (another thread count) must still give the same readout to the last digit.
    order = [c for c in ("experiment_id", "metric", "dimension", "dimension_value", "variant_key")
             if c in stats]  # fmt: skip
    stats = stats.sort_values(order, kind="stable").reset_index(drop=True)
    stats["is_control"] = stats["is_control"].astype(bool)
    if "experiment_status" not in stats:
        stats["experiment_status"] = "running"
    prior_table = priors(stats)
    parts = []
    readouts = {}
    for metric, kind in stats[["metric", "metric_type"]].drop_duplicates().itertuples(index=False):
        if kind == "binary":
            part, readouts[metric] = _binary(stats, metric, prior_table)
        else:
            part = _mean(stats, metric, effect_prior)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    keys = out["experiment_id"].str.split("|", expand=True)
    out["experiment_id"], out["metric"], out["dimension"], out["dimension_value"] = (
        keys[0],
        keys[1],
        keys[2],
        keys[3],
    )

    held_to = thresholds_by_experiment(designs)
    days_run = None
    if designs is not None:
        days_run = {
            str(e): int(d) if not pd.isna(d) else 0
            for e, d in zip(designs["experiment_id"], designs["days_run"], strict=True)
        }
    binary_metrics = set(stats.loc[stats["metric_type"] == "binary", "metric"])
    out = _always_valid(
        out, {e: held_to.get(e, thresholds) for e in out["experiment_id"].unique()}, binary_metrics
    )
    decisions: dict[str, dict] = {}
    if PRIMARY in readouts:
        primary = _only_overall(readouts[PRIMARY])
        guardrails = {g: _only_overall(readouts[g]) for g in GUARDRAILS if g in readouts}
        per_experiment = {e: held_to.get(e, thresholds) for e in primary.experiments}
        decisions = decide(primary, guardrails, per_experiment, days_run)
    out["decision"] = out["experiment_id"].map(
        lambda e: decisions.get(e, {}).get("decision", "no_readout")
    )
    out["decision_reason"] = out["experiment_id"].map(
        lambda e: decisions.get(e, {}).get("reason", "no primary metric")
    )
    out["winner"] = out["experiment_id"].map(lambda e: decisions.get(e, {}).get("winner"))
    out = _period_weighted(out, stats)
    out = out.rename(columns={"variant": "variant_key"})
    organizations = stats.drop_duplicates("experiment_id").set_index("experiment_id")[
        "organization_id"
    ]
    out["organization_id"] = out["experiment_id"].map(organizations)
    design = {e: held_to.get(e, thresholds) for e in out["experiment_id"].unique()}
    out["days_run"] = out["experiment_id"].map(lambda e: (days_run or {}).get(e))
    out["planned_days"] = out["experiment_id"].map(lambda e: design[e].planned_days)
    out["min_days"] = out["experiment_id"].map(lambda e: design[e].min_days)
    out["min_samples_per_arm"] = out["experiment_id"].map(lambda e: design[e].min_samples_per_arm)
    out["alpha"] = out["experiment_id"].map(lambda e: design[e].alpha)
    columns = [
        "experiment_id", "organization_id", "metric", "dimension", "dimension_value", "variant_key",
        "control_value", "variant_value", "control_exposures", "variant_exposures", "absolute_lift",
        "absolute_low", "absolute_high", "relative_lift", "relative_low", "relative_high",
        "period_weighted_lift", "chance_to_beat", "probability_best", "loss_ship", "loss_keep", "prior_alpha", "prior_beta", "prior_source",
        "always_valid_low", "always_valid_high", "always_valid_p_value",
        "status", "status_reason", "srm_p_value",
        "decision", "decision_reason", "winner",
        "days_run", "planned_days", "min_days", "min_samples_per_arm", "alpha",
    ]  # fmt: skip
    for column in columns:
        if column not in out:
            out[column] = np.nan
    return (
        out[columns]
        .sort_values(["experiment_id", "metric", "dimension", "dimension_value", "variant_key"])
        .reset_index(drop=True)
    )


def _always_valid(
    out: pd.DataFrame, held_to: dict[str, Thresholds], binary_metrics: set[str]
) -> pd.DataFrame:
    """The safe-to-peek figures of every binary row (coaching.stats.sequential): the interval on
    the difference and the one-sided p-value of "better than control" (for metrics where lower
    is better, "lower than control"), at each experiment's alpha and designed lift."""
    for column in ("always_valid_low", "always_valid_high", "always_valid_p_value"):
        out[column] = np.nan
    binary = out["metric"].isin(binary_metrics) & out["control_value"].notna()
    binary &= out["status"].eq("ok")
    if not binary.any():
        return out
    rows = out[binary]
    limits = [held_to.get(e, Thresholds()) for e in rows["experiment_id"]]
    nc, nt = rows["control_exposures"].to_numpy(float), rows["variant_exposures"].to_numpy(float)
    sign = np.where(rows["metric"].isin(LOWER_IS_BETTER), -1.0, 1.0)
    control = rows["control_value"].to_numpy(float)
    treated = rows["variant_value"].to_numpy(float)
    # For lower-is-better metrics the test reads the rates mirrored (1 - rate): "better" is lower.
    mirrored = sign < 0
    control_rate = np.where(mirrored, 1 - control, control)
    treated_rate = np.where(mirrored, 1 - treated, treated)
    figures = sequential.read(
        control_rate * nc, nc, treated_rate * nt, nt,
        np.array([t.minimum_detectable_lift for t in limits]), np.array([t.alpha for t in limits]),
    )  # fmt: skip
    low, high = figures.low * sign, figures.high * sign
    out.loc[binary, "always_valid_low"] = np.minimum(low, high)
    out.loc[binary, "always_valid_high"] = np.maximum(low, high)
    out.loc[binary, "always_valid_p_value"] = figures.p_value
    return out


def _period_weighted(out: pd.DataFrame, stats: pd.DataFrame) -> pd.DataFrame:
    """Lift re-estimated with each assignment week weighted by its share of all traffic.

    When an adaptive experiment moves weights between weeks, pooling all of an arm's trials
    weights the weeks differently per arm; if rates drift over time, that alone fakes a lift.
    Weighting every arm's weekly rate by the week's share of the experiment removes it.

    Every experiment and metric at once, in long form (a pivot per experiment and metric took
    15 ms each: most of the 20 s this model took at 1,200 of them).
    """
    out["period_weighted_lift"] = np.nan
    keys = ["experiment_id", "metric"]
    periods = stats[(stats["dimension"] == "assignment_week") & (stats["metric_type"] == "binary")]
    periods = periods.dropna(subset=[*keys, "dimension_value", "variant_key"])
    if periods.empty:
        return out
    arm_rate = period_weighted_rates(periods, keys, "dimension_value", "variant_key")
    control = (
        periods.loc[periods["is_control"].astype(bool)]
        .groupby(keys, sort=False)["variant_key"]
        .first()
    )
    target = out["dimension"].eq("all")
    experiment, metric = out.loc[target, "experiment_id"], out.loc[target, "metric"]
    control_key = control.reindex(pd.MultiIndex.from_arrays([experiment, metric])).to_numpy()
    variant = arm_rate.reindex(
        pd.MultiIndex.from_arrays([experiment, metric, out.loc[target, "variant"]])
    )
    baseline = arm_rate.reindex(pd.MultiIndex.from_arrays([experiment, metric, control_key]))
    out.loc[target, "period_weighted_lift"] = variant.to_numpy(float) - baseline.to_numpy(float)
    return out


def _only_overall(readout: Readout) -> Readout:
    """The slice of a readout over everyone (dimension 'all'), for decisions."""
    keep = np.array([k.endswith("|all|all") for k in readout.rows["experiment_id"]], dtype=bool)
    rows = {name: values[keep] for name, values in readout.rows.items()}
    # Keyed by the bare experiment id, so the primary metric and its guardrails line up.
    rows["experiment_id"] = np.array([k.split("|")[0] for k in rows["experiment_id"]])
    experiments = {
        k.split("|")[0]: v for k, v in readout.experiments.items() if k.endswith("|all|all")
    }
    return Readout(rows, experiments)
