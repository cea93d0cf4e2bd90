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
# How far one organization's enrolled workers get through their journey: of the touchpoints due,
# how many were sent, delivered, answered and completed; where each enrollment stands now; each
# program against its objectives; where the journey rules send workers; and how quizzes and
# check-ins were answered. Holdout workers (no coaching) are left out of the funnel. Reads the
# published marts.

# %% tags=["parameters"]
# The organization to show: its slug (`coach orgs` lists them); None shows the largest.
ORGANIZATION = None

# %%
import matplotlib.pyplot as plt
from _shared import OrganizationMarts, nothing_to_show, stacked_bars

marts = OrganizationMarts(ORGANIZATION)
funnel = marts.df(
    """
    select program_id,
           sum(touchpoints_due)::int as due, sum(touchpoints_sent)::int as sent,
           sum(touchpoints_delivered)::int as delivered,
           sum(touchpoints_replied)::int as replied,
           sum(touchpoints_completed)::int as completed
    from worker_progress
    where not is_holdout
    group by program_id order by due desc
    """
)
funnel = marts.labelled(funnel, "program", "program_id", "program")
print(marts)
funnel[["program", "due", "sent", "delivered", "replied", "completed"]]

# %% [markdown]
# ## The funnel, per program

# %%
stages = ["due", "sent", "delivered", "replied", "completed"]
fig, ax = plt.subplots(figsize=(11, 4))
if funnel.empty:
    nothing_to_show(ax, "no program has touchpoints due")
for row in funnel.itertuples():
    values = [getattr(row, stage) for stage in stages]
    shares = [v / values[0] if values[0] else 0 for v in values]
    ax.plot(stages, shares, marker="o", label=row.program)
ax.set_ylim(0, 1.05)
ax.set_ylabel("share of touchpoints due")
ax.set_title("Touchpoint funnel")
if not funnel.empty:
    ax.legend(title="program", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
plt.tight_layout()

# %% [markdown]
# ## Where enrollments stand

# %%
states = marts.df(
    "select program_id, state, count(*)::int as enrollments from worker_progress group by all"
)
states = marts.labelled(states, "program", "program_id", "program")
fig, ax = stacked_bars(states, "program", "state", "enrollments", "no enrollments")
ax.set_xlabel("enrollments")
ax.set_title("Enrollment state by program")
plt.tight_layout()

# %% [markdown]
# ## Programs against their objectives
# Targets come from each program's `objectives`; a blank target was not set.

# %%
marts.df(
    """
    select name as program, enrollments::int as enrollments,
           completed_enrollments::int as completed_enrollments,
           round(completion_share, 3) as completion_share, target_completion_share,
           round(reply_rate, 3) as reply_rate, target_reply_rate,
           completion_target_met, reply_rate_target_met
    from program_progress order by name
    """
)

# %% [markdown]
# ## Where the journey rules send workers
# `journey_states` reads each enrollment's event history as a state machine: the last touchpoint
# sent and what the worker answered decide the next step. `rule` rows took a branch (a wrong quiz
# answer, a low check-in, silence, a keyword, a segment change); `flow` rows go on along the
# journey.

# %%
marts.df(
    """
    select transition, coalesce(rule_kind, '') as rule_kind, count(*)::int as enrollments,
           (count(*) filter (where next_local_date <= current_date))::int as due_by_today
    from journey_states
    where not is_holdout and enrollment_status = 'active'
    group by all order by enrollments desc
    """
)

# %% [markdown]
# ## Quizzes and check-ins: how each question was answered
# `question_answers` spreads each question's first replies over its options: tapped (a button or
# a list item) or typed (a letter, a number or the label). A quiz's correct share is the share of
# its answers on the right option; replies that matched no option are counted apart.

# %%
answers = marts.df(
    """
    select touchpoint_id, touchpoint_name, touchpoint_kind,
           coalesce(option_text, '(no option)') as option,
           coalesce(option_position, 99) as position, sum(answers)::int as answers,
           sum(tapped)::int as tapped, sum(typed)::int as typed
    from question_answers
    group by all order by touchpoint_kind, touchpoint_name, position
    """
)
answers = marts.labelled(answers, "touchpoint", "touchpoint_id", "question")
answers[["question", "touchpoint_kind", "option", "answers", "tapped", "typed"]]

# %%
correct = marts.df(
    """
    select touchpoint_id, sum(answers)::int as answers,
           round(sum(answers) filter (where is_correct) / sum(answers), 3) as correct_share
    from question_answers
    where touchpoint_kind = 'quiz'
    group by touchpoint_id
    """
)
correct = marts.labelled(correct, "touchpoint", "touchpoint_id", "question")
correct[["question", "answers", "correct_share"]].sort_values("question")

# %%
fig, ax = stacked_bars(
    answers, "question", "option", "answers", "no question was answered", shares=True,
    colormap="tab20",
)  # fmt: skip
ax.set_xlabel("share of the question's answers")
ax.set_title("Answers by option, per question")
plt.tight_layout()

# %% [markdown]
# ## Each worker's quiz score over time
# `worker_quiz_scores` holds each worker's quizzes week by week; the running share is every quiz
# answered so far. Below, the median worker's running share week by week, and how many workers
# answered a quiz that week.

# %%
scores = marts.df(
    """
    select week_start, median(running_correct_share) as median_running_share,
           (count(*) filter (where quizzes_answered > 0))::int as workers_answering
    from worker_quiz_scores
    group by week_start order by week_start
    """
)
fig, ax = plt.subplots(figsize=(9, 3))
if scores.empty:
    nothing_to_show(ax, "no quiz answered yet")
else:
    ax.plot(scores["week_start"], scores["median_running_share"], marker="o")
ax.set_ylim(0, 1.05)
ax.set_ylabel("median running correct share")
ax.set_title("Quiz scores over time")
plt.tight_layout()
scores
