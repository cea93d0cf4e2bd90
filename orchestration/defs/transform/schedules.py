"""`daily_schedule` runs the whole unpartitioned graph once a day: ingest, dbt build, publish."""

from orchestration.defs.transform.jobs import daily_job
from orchestration.lib.automation import stopped_schedule

daily_schedule = stopped_schedule("daily_schedule", daily_job, "30 2 * * *", "Every day at 02:30.")
