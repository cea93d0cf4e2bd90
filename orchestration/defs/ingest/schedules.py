"""`hourly_ingest_schedule` copies what changed in the store to the lake every hour."""

from orchestration.defs.ingest.jobs import hourly_ingest_job
from orchestration.lib.automation import stopped_schedule

hourly_ingest_schedule = stopped_schedule(
    "hourly_ingest_schedule", hourly_ingest_job, "5 * * * *", "Every hour at :05."
)
