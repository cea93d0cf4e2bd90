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

# %% [markdown]
# ## Quizzes and check-ins: how each question was answered
# `question_answers` spreads each question's first replies over its options: tapped (a button or
# a list item) or typed (a letter, a number or the label). A quiz's correct share is the share of
# its answers on the right option; replies that matched no option are counted apart.

# %%
answers = con.sql(
    f"""
    select touchpoint_name, touchpoint_kind, coalesce(option_text, '(no option)') as option,
           coalesce(option_position, 99) as position, sum(answers)::int as answers,
           sum(tapped)::int as tapped, sum(typed)::int as typed
    from '{gold}/question_answers.parquet'
    group by all order by touchpoint_kind, touchpoint_name, position
    """
).df()
print(answers.drop(columns="position").to_string(index=False))
correct = con.sql(
    f"""
    select touchpoint_name, sum(answers)::int as answers,
           round(sum(answers) filter (where is_correct) / sum(answers), 3) as correct_share
    from '{gold}/question_answers.parquet'
    where touchpoint_kind = 'quiz'
    group by touchpoint_name order by touchpoint_name
    """
).df()
print(correct.to_string(index=False))

# %%
by_question = answers.pivot_table(
    index="touchpoint_name", columns="option", values="answers", aggfunc="sum", fill_value=0
)
shares = by_question.div(by_question.sum(axis=1), axis=0)
ax = shares.plot(kind="barh", stacked=True, figsize=(9, 0.5 * len(shares) + 1.5), colormap="tab20")
ax.set_xlabel("share of the question's answers")
ax.set_title("Answers by option, per question")
ax.legend(title="option", fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
plt.tight_layout()

# %% [markdown]
# ## Each worker's quiz score over time
# `worker_quiz_scores` holds each worker's quizzes week by week; the running share is every quiz
# answered so far. Below, the median worker's running share week by week, and how many workers
# answered a quiz that week.

# %%
scores = con.sql(
    f"""
    select week_start, median(running_correct_share) as median_running_share,
           count(*) filter (where quizzes_answered > 0) as workers_answering
    from '{gold}/worker_quiz_scores.parquet'
    group by week_start order by week_start
    """
).df()
print(scores.to_string(index=False))
fig, ax = plt.subplots(figsize=(9, 3))
ax.plot(scores["week_start"], scores["median_running_share"], marker="o")
ax.set_ylim(0, 1.05)
ax.set_ylabel("median running correct share")
ax.set_title("Quiz scores over time")
plt.tight_layout()
