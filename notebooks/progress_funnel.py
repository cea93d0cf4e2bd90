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
# # Program progress funnel
#
# How far enrolled workers get through their journey: of the touchpoints due, how many were sent,
# delivered, answered and completed; and where each enrollment stands now. Holdout workers
# (no coaching) are left out of the funnel. Reads `worker_progress` from the published marts.

# %%
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt

from coaching.settings import get_settings

gold = Path(get_settings().lake_dir) / "gold"
con = duckdb.connect()
funnel = con.sql(
    f"""
    select program_id,
           sum(touchpoints_due) as due, sum(touchpoints_sent) as sent,
           sum(touchpoints_delivered) as delivered, sum(touchpoints_replied) as replied,
           sum(touchpoints_completed) as completed
    from '{gold}/worker_progress.parquet'
    where not is_holdout
    group by program_id order by due desc
    """
).df()
print(funnel.to_string(index=False))

# %% [markdown]
# ## The funnel, per program

# %%
stages = ["due", "sent", "delivered", "replied", "completed"]
fig, ax = plt.subplots(figsize=(9, 4))
for row in funnel.itertuples():
    values = [getattr(row, stage) for stage in stages]
    ax.plot(
        stages,
        [v / values[0] if values[0] else 0 for v in values],
        marker="o",
        label=row.program_id[:8],
    )
ax.set_ylim(0, 1.05)
ax.set_ylabel("share of touchpoints due")
ax.set_title("Touchpoint funnel")
ax.legend(title="program", fontsize=8)
plt.tight_layout()

# %% [markdown]
# ## Where enrollments stand

# %%
states = con.sql(
    f"""
    select program_id, state, count(*) as enrollments
    from '{gold}/worker_progress.parquet' group by all
    """
).df()
table = states.pivot(index="program_id", columns="state", values="enrollments").fillna(0)
table.index = [p[:8] for p in table.index]
ax = table.plot(kind="barh", stacked=True, figsize=(9, 0.45 * len(table) + 1.5))
ax.set_xlabel("enrollments")
ax.set_title("Enrollment state by program")
plt.tight_layout()

# %% [markdown]
# ## Programs against their objectives
# Targets come from each program's `objectives`; a blank target was not set.

# %%
objectives = con.sql(
    f"""
    select name, enrollments, completed_enrollments,
           round(completion_share, 3) as completion_share, target_completion_share,
           round(reply_rate, 3) as reply_rate, target_reply_rate,
           completion_target_met, reply_rate_target_met
    from '{gold}/program_progress.parquet' order by name
    """
).df()
print(objectives.to_string(index=False))

# %% [markdown]
# ## Where the journey rules send workers
# `journey_states` reads each enrollment's event history as a state machine: the last touchpoint
# sent and what the worker answered decide the next step. `rule` rows took a branch (a wrong quiz
# answer, a low check-in, silence, a keyword, a segment change); `flow` rows go on along the
# journey.

# %%
transitions = con.sql(
    f"""
    select transition, coalesce(rule_kind, '') as rule_kind, count(*) as enrollments,
           count(*) filter (where next_local_date <= current_date) as due_by_today
    from '{gold}/journey_states.parquet'
    where not is_holdout and enrollment_status = 'active'
    group by all order by enrollments desc
    """
).df()
print(transitions.to_string(index=False))
