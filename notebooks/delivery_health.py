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
# What happened to the messages we sent: the final status mix by channel and day, the Twilio error
# codes behind failures, and how long delivery and reading took. Reads `messages` from the
# published marts (statuses come from Twilio's callbacks, out-of-order ones resolved by rank).

# %%
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import numpy as np

from coaching.domain import TWILIO_ERRORS
from coaching.settings import get_settings

gold = Path(get_settings().lake_dir) / "gold"
con = duckdb.connect()
messages = f"'{gold}/messages.parquet'"
summary = con.sql(
    f"""
    select channel, final_status, count(*) as messages
    from {messages} group by all order by channel, messages desc
    """
).df()
print(summary.to_string(index=False))

# %% [markdown]
# ## Status mix by day

# %%
daily = con.sql(
    f"""
    select cast(sent_at as date) as day, final_status, count(*) as messages
    from {messages} where sent_at is not null group by all order by day
    """
).df()
table = daily.pivot(index="day", columns="final_status", values="messages").fillna(0)
shares = table.div(table.sum(axis=1), axis=0)
ax = shares.plot(kind="area", stacked=True, figsize=(10, 4), alpha=0.85)
ax.set_ylim(0, 1)
ax.set_ylabel("share of messages sent that day")
ax.set_title("Final status of messages, by the day they were sent")
plt.tight_layout()

# %% [markdown]
# ## Error codes behind failures

# %%
errors = con.sql(
    f"""
    select error_code, count(*) as messages from {messages}
    where error_code is not null group by all order by messages desc
    """
).df()
errors["meaning"] = [TWILIO_ERRORS.get(int(code), "") for code in errors["error_code"]]
fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(errors), 1) + 1.5))
ax.barh(
    [f"{int(c)} {m}" for c, m in zip(errors["error_code"], errors["meaning"], strict=True)],
    errors["messages"],
)
ax.invert_yaxis()
ax.set_xlabel("messages")
ax.set_title("Twilio error codes")
plt.tight_layout()

# %% [markdown]
# ## Time to deliver and to read

# %%
timings = con.sql(
    f"select seconds_to_deliver, seconds_to_read from {messages} where seconds_to_deliver is not null"
).df()
fig, ax = plt.subplots(figsize=(9, 3.5))
bins = np.logspace(0, np.log10(max(timings.max().max(), 10)), 40)
ax.hist(timings["seconds_to_deliver"].dropna(), bins=bins, alpha=0.7, label="delivered")
ax.hist(timings["seconds_to_read"].dropna(), bins=bins, alpha=0.7, label="read")
ax.set_xscale("log")
ax.set_xlabel("seconds after sending")
ax.set_title("How long delivery and reading took")
ax.legend()
plt.tight_layout()
print(timings.describe(percentiles=[0.5, 0.9, 0.99]).round(1))
