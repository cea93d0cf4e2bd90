"""`daily_schedule` runs the whole unpartitioned graph once a day: ingest, dbt build, publish."""

import dagster as dg

from orchestration.defs.transform.jobs import daily_job
from orchestration.lib.automation import START

daily_schedule = dg.ScheduleDefinition(
    name="daily_schedule",
    job=daily_job,
    cron_schedule="30 2 * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every day at 02:30. Ships stopped: "
    + START.format(kind="schedule", name="daily_schedule"),
)
