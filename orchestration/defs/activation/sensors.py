"""`run_failure_notice`: a failed run (a failed blocking asset check fails its run too) is told to
the platform's operators by email (COACH_OPS_EMAILS) and webhook (COACH_OPS_WEBHOOK_URL), once per
run, through the notifier's outbox. It starts no runs, so it ships running."""

import dagster as dg

from activation.notifications.service import raise_platform_notice
from coaching.notifications import NotificationKind
from orchestration.resources import ActivationResource


@dg.run_failure_sensor(
    name="run_failure_notice",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="Tells the platform's operators of every failed run (email and webhook from "
    "settings), once per run.",
)
def run_failure_notice(context: dg.RunFailureSensorContext, activation: ActivationResource) -> None:
    run = context.dagster_run
    steps = []
    for event in context.get_step_failure_events():
        failure = event.step_failure_data.error
        cause = failure.cause if failure and failure.cause else failure
        steps.append(f"{event.step_key}: {cause.message.strip() if cause else 'no message'}")
    error = "; ".join(steps) or context.failure_event.message or "no message"
    raised = raise_platform_notice(
        activation.settings(),
        NotificationKind.RUN_FAILED,
        run.run_id,
        "failed",
        {"job": run.job_name, "run_id": run.run_id, "error": error[:2000]},
    )
    context.log.info(
        f"run {run.run_id} failed; operators {'told' if raised else 'not told (no channel set)'}"
    )
