"""How the automation that ships stopped is started: a laptop's `make dagster` must launch no run
by itself, while a deployment turns on what it wants."""

import dagster as dg

START = (
    "start it in the UI (Automation) or with `dagster {kind} start {name} "
    "-w orchestration/deploy/workspace.yaml`."
)


def stopped_schedule(
    name: str, job: dg.JobDefinition, cron: str, when: str
) -> dg.ScheduleDefinition:
    """A schedule that ships stopped, its description saying when it runs and how to start it."""
    return dg.ScheduleDefinition(
        name=name,
        job=job,
        cron_schedule=cron,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"{when} Ships stopped: " + START.format(kind="schedule", name=name),
    )
