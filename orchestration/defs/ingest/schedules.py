"""`hourly_ingest_schedule` copies what changed in the store to the lake every hour."""

import dagster as dg

from orchestration.defs.ingest.jobs import hourly_ingest_job

hourly_ingest_schedule = dg.ScheduleDefinition(
    name="hourly_ingest_schedule",
    job=hourly_ingest_job,
    cron_schedule="5 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
