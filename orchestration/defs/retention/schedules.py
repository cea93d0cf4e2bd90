"""`retention_schedule`: the retention purge once a day, before the daily build makes the
warehouse again from the purged lake."""

from orchestration.defs.retention.jobs import retention_job
from orchestration.lib.automation import stopped_schedule

retention_schedule = stopped_schedule(
    "retention_schedule",
    retention_job,
    "0 2 * * *",
    "Every day at 02:00, half an hour before daily_schedule.",
)
