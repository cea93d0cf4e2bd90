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
# # Segment explorer
#
# Segments are rule trees over the worker features. Here, for one organization: their sizes (and
# any rule that could not be evaluated), how much they overlap, and how membership moved between
# builds (entries and exits from `segment_membership_history`). Reads the published marts.

# %% tags=["parameters"]
# The organization to show: its slug (`coach orgs` lists them); None shows the largest.
ORGANIZATION = None

# %%
import matplotlib.pyplot as plt
import numpy as np
from _shared import OrganizationMarts, nothing_to_show

marts = OrganizationMarts(ORGANIZATION)
segments = marts.df("select * from segments order by member_count desc nulls last, name")
segments = marts.labelled(segments, "segment", "segment_id", "segment")
broken = segments[~segments["is_evaluated"]]
print(f"{marts}: {len(segments)} segments, {len(broken)} could not be evaluated")
broken[["segment", "problem"]]

# %% [markdown]
# ## Sizes

# %%
top = segments[segments["is_evaluated"]].head(15)
fig, ax = plt.subplots(figsize=(9, 0.35 * max(len(top), 1) + 1.5))
if top.empty:
    nothing_to_show(ax, "no segment could be evaluated")
else:
    labels = [f"{s} ({k})" for s, k in zip(top["segment"], top["kind"], strict=True)]
    bars = ax.barh(labels, top["member_count"].astype(int))
    ax.bar_label(bars, padding=3)
    ax.invert_yaxis()
    ax.set_xlabel("members")
ax.set_title(f"Largest segments of {marts.name}")
plt.tight_layout()

# %% [markdown]
# ## Overlap
# Jaccard similarity of member sets: 1 means two segments select the same workers.

# %%
overlap = marts.df(
    """
    select a.segment_id as a, b.segment_id as b, count(*) as shared
    from segment_membership a
    join segment_membership b on a.worker_key = b.worker_key
    group by all
    """
)
sizes = overlap[overlap["a"] == overlap["b"]].set_index("a")["shared"]
ids = list(sizes.sort_values(ascending=False).index[:15])
names = [marts.label("segment", i) for i in ids]
matrix = np.zeros((len(ids), len(ids)))
for row in overlap[overlap["a"].isin(ids) & overlap["b"].isin(ids)].itertuples():
    i, j = ids.index(row.a), ids.index(row.b)
    matrix[i, j] = row.shared / (sizes[row.a] + sizes[row.b] - row.shared)
fig, ax = plt.subplots(figsize=(8, 7))
if not ids:
    nothing_to_show(ax, "no segment has members")
else:
    image = ax.imshow(matrix, vmin=0, vmax=1, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right")
    ax.set_yticks(range(len(names)), names)
    for (i, j), value in np.ndenumerate(matrix):
        if value >= 0.005:  # dark text on light cells, light on dark: readable at every value
            colour = "white" if value > 0.6 else "black"
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color=colour)
    fig.colorbar(image, ax=ax, label="Jaccard similarity")
ax.set_title("Segment overlap")
plt.tight_layout()

# %% [markdown]
# ## Movement: entries and exits by day

# %%
movement = marts.df(
    """
    select day, sum(entries)::int as entries, sum(exits)::int as exits from (
        select entered_on as day, 1 as entries, 0 as exits from segment_membership_history
        union all
        select exited_on, 0, 1 from segment_membership_history where exited_on is not null
    ) group by day order by day
    """
)
fig, ax = plt.subplots(figsize=(9, 3.5))
if movement.empty:
    nothing_to_show(ax, "no membership history yet")
else:
    days = movement["day"].astype(str)
    ax.bar(days, movement["entries"], label="entered", color="tab:green")
    ax.bar(days, -movement["exits"], label="exited", color="tab:red")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    plt.xticks(rotation=45, ha="right")
ax.set_title("Segment membership changes per build day")
plt.tight_layout()
movement
