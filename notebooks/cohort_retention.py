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
# # Cohort retention
#
# Workers enrolled in the same week form a cohort. For each program, how many of a cohort are still
# active (not dropped, not opted out) week after week, and how their reply rate moves. Reads
# `cohort_metrics` from the published marts (`lake/gold`).

# %%
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import numpy as np

from coaching.settings import get_settings

gold = Path(get_settings().lake_dir) / "gold"
con = duckdb.connect()
cohorts = con.sql(f"select * from '{gold}/cohort_metrics.parquet'").df()
print(
    f"{cohorts['program_id'].nunique()} programs, {cohorts['cohort_week'].nunique()} weekly cohorts"
)

# %% [markdown]
# ## Retention heatmap (all programs, weighted by cohort size)

# %%
pooled = con.sql(
    f"""
    select cohort_week, weeks_since_enrollment,
           sum(retention * cohort_size) / sum(cohort_size) as retention,
           sum(cohort_size) as workers
    from '{gold}/cohort_metrics.parquet'
    group by all order by all
    """
).df()
grid = pooled.pivot(index="cohort_week", columns="weeks_since_enrollment", values="retention")
fig, ax = plt.subplots(figsize=(9, 0.5 * len(grid) + 1.5))
image = ax.imshow(grid.to_numpy(dtype=float), vmin=0, vmax=1, cmap="viridis", aspect="auto")
ax.set_yticks(range(len(grid)), [str(w)[:10] for w in grid.index])
ax.set_xticks(range(grid.shape[1]), grid.columns)
ax.set_xlabel("weeks since enrollment")
ax.set_ylabel("cohort (week enrolled)")
for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
    if not np.isnan(value):
        ax.text(j, i, f"{value:.0%}", ha="center", va="center", color="white", fontsize=8)
fig.colorbar(image, ax=ax, label="still active")
ax.set_title("Share of each cohort still active")
plt.tight_layout()

# %% [markdown]
# ## Retention and reply-rate curves per program

# %%
per_program = con.sql(
    f"""
    select program_id, weeks_since_enrollment,
           sum(retention * cohort_size) / sum(cohort_size) as retention,
           sum(replies) / nullif(sum(messages_delivered), 0) as reply_rate
    from '{gold}/cohort_metrics.parquet'
    group by all order by all
    """
).df()
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), sharex=True)
for program, rows in per_program.groupby("program_id"):
    left.plot(rows["weeks_since_enrollment"], rows["retention"], marker="o", label=program[:8])
    right.plot(rows["weeks_since_enrollment"], rows["reply_rate"], marker="o", label=program[:8])
left.set_title("Retention")
left.set_ylim(0, 1.05)
right.set_title("Reply rate of delivered messages")
right.set_ylim(0, None)
for axis in (left, right):
    axis.set_xlabel("weeks since enrollment")
left.legend(title="program", fontsize=8)
plt.tight_layout()
