"""Activation every 15 minutes, shipped stopped: production runs `coach activate --loop` as a
service; turn this on instead where a separate service is not wanted."""

from orchestration.defs.activation.jobs import activation_job
from orchestration.lib.automation import stopped_schedule

activation_schedule = stopped_schedule(
    "activation_every_15_minutes",
    activation_job,
    "*/15 * * * *",
    "Every 15 minutes (production runs `coach activate --loop` instead).",
)
