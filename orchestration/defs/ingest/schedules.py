"""`hourly_ingest_schedule` copies what changed in the store to the lake every hour."""

import dagster as dg

from orchestration.defs.ingest.jobs import hourly_ingest_job
from orchestration.lib.automation import START

hourly_ingest_schedule = dg.ScheduleDefinition(
    name="hourly_ingest_schedule",
    job=hourly_ingest_job,
    cron_schedule="5 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every hour at :05. Ships stopped: "
    + START.format(kind="schedule", name="hourly_ingest_schedule"),
)
