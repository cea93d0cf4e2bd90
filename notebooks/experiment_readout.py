# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Experiment readout
#
# Every running experiment's readout on its primary metric (replies within 24 hours), in two
# labelled views: the **always-valid** interval and p-value (a mixture sequential test: safe to
# read every day, and what decides), and the **fixed-horizon** Bayesian posterior (right for one
# look at a pre-set end). With the design (days run and planned), the decision and why, and the
# sample-ratio check. Reads the published marts (`lake/gold`), never the warehouse file.

# %%
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from coaching.settings import get_settings

gold = Path(get_settings().lake_dir) / "gold"
con = duckdb.connect()
results = con.sql(f"select * from '{gold}/experiment_results.parquet'").df()
allocations = con.sql(f"select * from '{gold}/experiment_allocations.parquet'").df()
overall = results[
    (results["dimension"] == "all") & (results["metric"] == "reply_rate_24h")
].reset_index(drop=True)
print(f"{overall['experiment_id'].nunique()} experiments, {len(results)} result rows")

# %% [markdown]
# ## Decisions, and why

# %%
decisions = overall[
    ["experiment_id", "variant_key", "decision", "decision_reason", "srm_p_value", "prior_source"]
].copy()
decisions["experiment"] = decisions["experiment_id"].str[:8]
decisions["srm"] = np.where(decisions["srm_p_value"] < 0.001, "MISMATCH", "ok")
decisions[["experiment", "variant_key", "decision", "decision_reason", "srm", "prior_source"]]

# %% [markdown]
# ## Safe to peek: the always-valid figures, and the design
# The decision reads these: a variant ships when its always-valid p-value is at most the
# experiment's alpha, after its minimum whole weeks and sample per arm (`too_early` before).

# %%
design = overall[
    ["experiment_id", "variant_key", "days_run", "planned_days", "min_days", "min_samples_per_arm",
     "always_valid_low", "always_valid_high", "always_valid_p_value", "absolute_low",
     "absolute_high", "decision"]
].copy()  # fmt: skip
design = design.rename(
    columns={"absolute_low": "fixed_horizon_low", "absolute_high": "fixed_horizon_high"}
)
design["experiment_id"] = design["experiment_id"].str[:8]
design.round(4)

# %% [markdown]
# ## Planning: how long would an experiment need?
# The power calculator (also `POST /experiments/plan`): days until a lift ships with 80% power
# when the readout is read every day, against one look at a pre-set end.

# %%
from coaching.stats.planning import days_needed  # noqa: E402

for per_arm in (10, 50, 200):
    plan = days_needed(base_rate=0.3, relative_lift=0.15, daily_per_arm=per_arm)
    print(
        f"+15% on a 30% reply rate at {per_arm:>3} per arm per day: "
        f"{plan.days_always_valid} days read daily, {plan.days_fixed_horizon} with one look"
    )

# %% [markdown]
# ## Posterior of the lift (fixed-horizon view)
# Each curve is the posterior of the absolute lift in reply rate (its 95% credible interval
# shaded). Mass to the right of zero is the chance the variant beats control.

# %%
fig, ax = plt.subplots(figsize=(9, 4.5))
for row in overall.itertuples():
    sd = (row.absolute_high - row.absolute_low) / (2 * 1.96)
    x = np.linspace(row.absolute_lift - 4 * sd, row.absolute_lift + 4 * sd, 300)
    density = stats.norm.pdf(x, row.absolute_lift, sd)
    (line,) = ax.plot(
        x, density, label=f"{row.experiment_id[:8]} {row.variant_key} ({row.decision})"
    )
    inside = (x >= row.absolute_low) & (x <= row.absolute_high)
    ax.fill_between(x[inside], density[inside], alpha=0.15, color=line.get_color())
ax.axvline(0, color="black", linewidth=0.8)
ax.set_xlabel("absolute lift in 24 h reply rate")
ax.set_ylabel("posterior density")
ax.legend(fontsize=7)
fig.tight_layout()

# %% [markdown]
# ## Chance to beat control, and the guardrails

# %%
guardrails = results[
    (results["dimension"] == "all")
    & results["metric"].isin(["opt_out_rate", "delivery_failure_rate"])
]
table = guardrails.pivot_table(index="experiment_id", columns="metric", values="chance_to_beat")
table["reply_rate_24h"] = overall.set_index("experiment_id")["chance_to_beat"]
fig, ax = plt.subplots(figsize=(9, 3.5))
table.plot.bar(ax=ax)
ax.axhline(0.975, color="green", linestyle="--", linewidth=0.8)
ax.set_ylabel("P(variant better than control)")
ax.set_xticklabels([label.get_text()[:8] for label in ax.get_xticklabels()], rotation=0)
fig.tight_layout()

# %% [markdown]
# ## Breakdowns by region and language

# %%
slices = results[
    results["dimension"].isin(["region", "language"]) & (results["metric"] == "reply_rate_24h")
]
slices.groupby(["dimension", "dimension_value"])[["absolute_lift", "chance_to_beat"]].mean().round(
    3
)

# %% [markdown]
# ## Adaptive allocation

# %%
allocations[
    ["experiment_id", "variant_key", "is_adaptive", "planned_weight", "current_weight", "reason"]
]
