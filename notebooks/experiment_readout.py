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
# Each of one organization's experiments, read on its primary metric (replies within 24 hours), in
# two labelled views: the **always-valid** interval and p-value (a mixture sequential test: safe to
# read every day, and what decides), and the **fixed-horizon** Bayesian posterior (right for one
# look at a pre-set end). With the design (days run and planned), the decision and why, and the
# sample-ratio check. Reads the published marts (`lake/gold`), never the warehouse file.

# %% tags=["parameters"]
# The organization to show: its slug (`coach orgs` lists them); None shows the largest.
ORGANIZATION = None

# %%
import matplotlib.pyplot as plt
import numpy as np
from _shared import OrganizationMarts, nothing_to_show
from scipy import stats

from coaching.stats.planning import days_needed

marts = OrganizationMarts(ORGANIZATION)
results = marts.labelled(
    marts.df("select * from experiment_results"), "experiment", "experiment_id", "experiment"
)
allocations = marts.labelled(
    marts.df("select * from experiment_allocations"), "experiment", "experiment_id", "experiment"
)
overall = results[
    (results["dimension"] == "all") & (results["metric"] == "reply_rate_24h")
].reset_index(drop=True)
print(f"{marts}: {overall['experiment_id'].nunique()} experiments, {len(results)} result rows")

# %% [markdown]
# ## Decisions, and why

# %%
decisions = overall[
    ["experiment", "variant_key", "decision", "decision_reason", "srm_p_value", "prior_source"]
].copy()
decisions["srm"] = np.where(decisions["srm_p_value"] < 0.001, "MISMATCH", "ok")
decisions.drop(columns="srm_p_value")

# %% [markdown]
# ## Safe to peek: the always-valid figures, and the design
# The decision reads these: a variant ships when its always-valid p-value is at most the
# experiment's alpha, after its minimum whole weeks and sample per arm (`too_early` before).

# %%
design = overall[
    ["experiment", "variant_key", "days_run", "planned_days", "min_days", "min_samples_per_arm",
     "control_exposures", "variant_exposures", "always_valid_low", "always_valid_high",
     "always_valid_p_value", "absolute_low", "absolute_high", "decision"]
].rename(columns={"absolute_low": "fixed_horizon_low", "absolute_high": "fixed_horizon_high"})  # fmt: skip
counts = ["days_run", "planned_days", "min_days", "min_samples_per_arm", "control_exposures",
          "variant_exposures"]  # fmt: skip
design = design.astype({c: "Int64" for c in counts})  # whole numbers, blank where not set
design.round(4)

# %% [markdown]
# ## Planning: how long would an experiment need?
# The power calculator (also `POST /experiments/plan`): days until a lift ships with 80% power
# when the readout is read every day, against one look at a pre-set end.

# %%
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
readable = overall.dropna(subset=["absolute_lift", "absolute_low", "absolute_high"])
fig, ax = plt.subplots(figsize=(11, 4.5))
if readable.empty:
    nothing_to_show(ax, "no experiment has a readout yet")
for row in readable.itertuples():
    sd = max((row.absolute_high - row.absolute_low) / (2 * 1.96), 1e-6)
    x = np.linspace(row.absolute_lift - 4 * sd, row.absolute_lift + 4 * sd, 300)
    density = stats.norm.pdf(x, row.absolute_lift, sd)
    (line,) = ax.plot(x, density, label=f"{row.experiment}: {row.variant_key} ({row.decision})")
    inside = (x >= row.absolute_low) & (x <= row.absolute_high)
    ax.fill_between(x[inside], density[inside], alpha=0.15, color=line.get_color())
ax.axvline(0, color="black", linewidth=0.8)
ax.set_xlabel("absolute lift in 24 h reply rate")
ax.set_ylabel("posterior density")
ax.set_title(f"Posterior of the lift, per experiment ({marts.name})")
if not readable.empty:
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
fig.tight_layout()

# %% [markdown]
# ## Chance to beat control, and the guardrails

# %%
watched = results[
    (results["dimension"] == "all")
    & results["metric"].isin(["reply_rate_24h", "opt_out_rate", "delivery_failure_rate"])
].copy()
watched["arm"] = watched["experiment"] + ": " + watched["variant_key"]
table = watched.pivot_table(index="arm", columns="metric", values="chance_to_beat")
fig, ax = plt.subplots(figsize=(11, 4))
if table.empty:
    nothing_to_show(ax, "no experiment has a readout yet")
else:
    table.plot.barh(ax=ax)
    ax.axvline(0.975, color="green", linestyle="--", linewidth=0.8)
    ax.legend(title="metric", loc="upper left", bbox_to_anchor=(1.01, 1))
ax.set_xlabel("P(variant better than control)")
fig.tight_layout()

# %% [markdown]
# ## Breakdowns by region and language, experiment by experiment
# A lift is read within its own experiment: lifts of different experiments measure different
# changes and are never averaged together.

# %%
slices = results[
    results["dimension"].isin(["region", "language"]) & (results["metric"] == "reply_rate_24h")
]
breakdown = slices[
    ["experiment", "variant_key", "dimension", "dimension_value", "variant_exposures",
     "absolute_lift", "chance_to_beat"]
].astype({"variant_exposures": "Int64"}).sort_values(["experiment", "dimension", "dimension_value"])  # fmt: skip
breakdown.round(3)

# %% [markdown]
# ## Adaptive allocation

# %%
allocations[
    ["experiment", "variant_key", "is_adaptive", "planned_weight", "current_weight", "reason"]
].round(3)
