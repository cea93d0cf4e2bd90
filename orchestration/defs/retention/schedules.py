"""`retention_schedule`: the retention purge once a day, before the daily build makes the
warehouse again from the purged lake."""

import dagster as dg

from orchestration.defs.retention.jobs import retention_job
from orchestration.lib.automation import START

retention_schedule = dg.ScheduleDefinition(
    name="retention_schedule",
    job=retention_job,
    cron_schedule="0 2 * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every day at 02:00, half an hour before daily_schedule. Ships stopped: "
    + START.format(kind="schedule", name="retention_schedule"),
)
