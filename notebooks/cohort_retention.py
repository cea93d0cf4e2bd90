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
# Workers enrolled in the same week form a cohort. For each program of one organization, how many
# of a cohort are still active (not dropped, not opted out) week after week, and how their reply
# rate moves. Reads `cohort_metrics` from the published marts (`lake/gold`).

# %% tags=["parameters"]
# The organization to show: its slug (`coach orgs` lists them); None shows the largest.
ORGANIZATION = None

# %%
import matplotlib.pyplot as plt
import numpy as np
from _shared import OrganizationMarts, nothing_to_show

marts = OrganizationMarts(ORGANIZATION)
sizes = marts.df(
    """
    select program_id, count(distinct cohort_week)::int as cohorts,
           sum(cohort_size) filter (where weeks_since_enrollment = 0)::int as workers
    from cohort_metrics group by program_id order by workers desc
    """
)
sizes = marts.labelled(sizes, "program", "program_id", "program")
print(f"{marts}: {len(sizes)} programs")
sizes[["program", "cohorts", "workers"]]

# %% [markdown]
# ## Retention heatmap (all the organization's programs, weighted by cohort size)

# %%
pooled = marts.df(
    """
    select cohort_week, weeks_since_enrollment,
           sum(retention * cohort_size) / sum(cohort_size) as retention
    from cohort_metrics group by all order by all
    """
)
fig, ax = plt.subplots(figsize=(9, 0.5 * max(pooled["cohort_week"].nunique(), 1) + 1.5))
if pooled.empty:
    nothing_to_show(ax, "no cohorts yet")
else:
    grid = pooled.pivot(index="cohort_week", columns="weeks_since_enrollment", values="retention")
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(values, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.set_yticks(range(len(grid)), [str(w)[:10] for w in grid.index])
    ax.set_xticks(range(grid.shape[1]), grid.columns)
    ax.set_xlabel("weeks since enrollment")
    ax.set_ylabel("cohort (week enrolled)")
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value):  # viridis is light at the top: dark text there
            colour = "black" if value > 0.6 else "white"
            ax.text(j, i, f"{value:.0%}", ha="center", va="center", color=colour, fontsize=8)
    fig.colorbar(image, ax=ax, label="still active")
ax.set_title(f"Share of each cohort still active ({marts.name})")
plt.tight_layout()

# %% [markdown]
# ## Retention and reply-rate curves per program

# %%
per_program = marts.df(
    """
    select program_id, weeks_since_enrollment,
           sum(retention * cohort_size) / sum(cohort_size) as retention,
           sum(replies) / nullif(sum(messages_delivered), 0) as reply_rate
    from cohort_metrics group by all order by all
    """
)
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), sharex=True)
if per_program.empty:
    nothing_to_show(left, "no cohorts yet")
for program, rows in per_program.groupby("program_id"):
    name = marts.label("program", program)
    left.plot(rows["weeks_since_enrollment"], rows["retention"], marker="o", label=name)
    right.plot(rows["weeks_since_enrollment"], rows["reply_rate"], marker="o", label=name)
left.set_title("Retention")
left.set_ylim(0, 1.05)
right.set_title("Reply rate of delivered messages")
right.set_ylim(0, None)
for axis in (left, right):
    axis.set_xlabel("weeks since enrollment")
if not per_program.empty:
    right.legend(title="program", fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
plt.tight_layout()
