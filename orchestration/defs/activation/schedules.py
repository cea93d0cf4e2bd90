"""Activation every 15 minutes, shipped stopped: production runs `coach activate --loop` as a
service; turn this on instead where a separate service is not wanted."""

import dagster as dg

from orchestration.defs.activation.jobs import activation_job
from orchestration.lib.automation import START

activation_schedule = dg.ScheduleDefinition(
    name="activation_every_15_minutes",
    job=activation_job,
    cron_schedule="*/15 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every 15 minutes. Ships stopped (production runs `coach activate --loop`): "
    + START.format(kind="schedule", name="activation_every_15_minutes"),
)
