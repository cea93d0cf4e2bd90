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
# Segments are rule trees over the worker features. Here: their sizes (and any rule that could not
# be evaluated), how much they overlap, and how membership moved between builds (entries and
# exits from `segment_membership_history`). Reads the published marts.

# %%
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import numpy as np

from coaching.settings import get_settings

gold = Path(get_settings().lake_dir) / "gold"
con = duckdb.connect()
segments = con.sql(
    f"select * from '{gold}/segments.parquet' order by member_count desc nulls last"
).df()
broken = segments[~segments["is_evaluated"]]
print(f"{len(segments)} segments, {len(broken)} could not be evaluated")
broken[["name", "problem"]]

# %% [markdown]
# ## Sizes

# %%
top = segments[segments["is_evaluated"]].head(15)
fig, ax = plt.subplots(figsize=(9, 0.35 * len(top) + 1.5))
ax.barh([f"{n} ({k})" for n, k in zip(top["name"], top["kind"], strict=True)], top["member_count"])
ax.invert_yaxis()
ax.set_xlabel("members")
ax.set_title("Largest segments")
plt.tight_layout()

# %% [markdown]
# ## Overlap within the largest organization
# Jaccard similarity of member sets: 1 means two segments select the same workers.

# %%
organization = segments.groupby("organization_id")["member_count"].sum().idxmax()
overlap = con.sql(
    f"""
    with members as (
        select m.segment_id, s.name, m.worker_id
        from '{gold}/segment_membership.parquet' m
        join '{gold}/segments.parquet' s using (segment_id)
        where m.organization_id = '{organization}'
    )
    select a.name as a, b.name as b,
           count(*) filter (where a.worker_id = b.worker_id) as shared
    from members a join members b on a.worker_id = b.worker_id
    group by all
    """
).df()
sizes = overlap[overlap["a"] == overlap["b"]].set_index("a")["shared"]
names = list(sizes.index)
matrix = np.zeros((len(names), len(names)))
for row in overlap.itertuples():
    i, j = names.index(row.a), names.index(row.b)
    matrix[i, j] = row.shared / (sizes[row.a] + sizes[row.b] - row.shared)
fig, ax = plt.subplots(figsize=(7, 6))
image = ax.imshow(matrix, vmin=0, vmax=1, cmap="magma")
ax.set_xticks(range(len(names)), names, rotation=60, ha="right")
ax.set_yticks(range(len(names)), names)
fig.colorbar(image, ax=ax, label="Jaccard similarity")
ax.set_title("Segment overlap")
plt.tight_layout()

# %% [markdown]
# ## Movement: entries and exits by day

# %%
movement = con.sql(
    f"""
    select day, sum(entries) as entries, sum(exits) as exits from (
        select entered_on as day, 1 as entries, 0 as exits from '{gold}/segment_membership_history.parquet'
        union all
        select exited_on, 0, 1 from '{gold}/segment_membership_history.parquet' where exited_on is not null
    ) group by day order by day
    """
).df()
fig, ax = plt.subplots(figsize=(9, 3.5))
ax.bar(movement["day"].astype(str), movement["entries"], label="entered")
ax.bar(movement["day"].astype(str), -movement["exits"], label="exited")
ax.axhline(0, color="black", linewidth=0.8)
ax.set_title("Segment membership changes per build day")
ax.legend()
plt.xticks(rotation=45, ha="right")
plt.tight_layout()
