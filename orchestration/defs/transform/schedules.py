"""`daily_schedule` runs the whole unpartitioned graph once a day: ingest, dbt build, publish."""

import dagster as dg

from orchestration.defs.transform.jobs import daily_job

daily_schedule = dg.ScheduleDefinition(
    name="daily_schedule",
    job=daily_job,
    cron_schedule="30 2 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
