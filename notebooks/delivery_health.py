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
# # Delivery health
#
# What happened to the messages one organization sent: the final status mix by channel, by program
# and by day, the Twilio error codes behind failures, and how long delivery and reading took.
# Reads `messages` from the published marts (statuses come from Twilio's callbacks, out-of-order
# ones resolved by rank).

# %% tags=["parameters"]
# The organization to show: its slug (`coach orgs` lists them); None shows the largest.
ORGANIZATION = None

# %%
import matplotlib.pyplot as plt
import numpy as np
from _shared import OrganizationMarts, nothing_to_show, stacked_bars

from coaching.domain import TWILIO_ERRORS

marts = OrganizationMarts(ORGANIZATION)
summary = marts.df(
    """
    select channel, final_status, count(*)::int as messages
    from messages group by all order by channel, messages desc
    """
)
print(f"{marts}: {int(summary['messages'].sum())} messages")
summary

# %% [markdown]
# ## Status mix by program

# %%
by_program = marts.df(
    "select program_id, final_status, count(*)::int as messages from messages group by all"
)
by_program = marts.labelled(by_program, "program", "program_id", "program")
fig, ax = stacked_bars(
    by_program, "program", "final_status", "messages", "no messages sent", shares=True
)
ax.set_xlabel("share of the program's messages")
ax.set_title("Final status of messages, by program")
plt.tight_layout()

# %% [markdown]
# ## Status mix by day

# %%
daily = marts.df(
    """
    select cast(sent_at as date) as day, final_status, count(*)::int as messages
    from messages where sent_at is not null group by all order by day
    """
)
fig, ax = plt.subplots(figsize=(10, 4))
if daily.empty:
    nothing_to_show(ax, "no messages sent")
else:
    table = daily.pivot(index="day", columns="final_status", values="messages").fillna(0)
    table.div(table.sum(axis=1), axis=0).plot(kind="area", stacked=True, ax=ax, alpha=0.85)
    ax.set_ylim(0, 1)
    ax.legend(title="final status", loc="upper left", bbox_to_anchor=(1.01, 1))
ax.set_ylabel("share of messages sent that day")
ax.set_title("Final status of messages, by the day they were sent")
plt.tight_layout()

# %% [markdown]
# ## Error codes behind failures

# %%
errors = marts.df(
    """
    select error_code::int as error_code, count(*)::int as messages from messages
    where error_code is not null group by all order by messages desc
    """
)
errors["meaning"] = [TWILIO_ERRORS.get(code, "") for code in errors["error_code"]]
fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(errors), 1) + 1.5))
if errors.empty:
    nothing_to_show(ax, "no message failed")
else:
    labels = [f"{c} {m}" for c, m in zip(errors["error_code"], errors["meaning"], strict=True)]
    ax.bar_label(ax.barh(labels, errors["messages"]), padding=3)
    ax.invert_yaxis()
    ax.set_xlabel("messages")
ax.set_title("Twilio error codes")
plt.tight_layout()

# %% [markdown]
# ## Time to deliver and to read

# %%
timings = marts.df(
    "select seconds_to_deliver, seconds_to_read from messages where seconds_to_deliver is not null"
)
fig, ax = plt.subplots(figsize=(9, 3.5))
if timings.empty:
    nothing_to_show(ax, "no message delivered")
else:
    bins = np.logspace(0, np.log10(max(timings.max().max(), 10)), 40)
    ax.hist(timings["seconds_to_deliver"].dropna(), bins=bins, alpha=0.7, label="delivered")
    ax.hist(timings["seconds_to_read"].dropna(), bins=bins, alpha=0.7, label="read")
    ax.set_xscale("log")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
ax.set_xlabel("seconds after sending")
ax.set_title("How long delivery and reading took")
plt.tight_layout()
timings.describe(percentiles=[0.5, 0.9, 0.99]).round(1)
