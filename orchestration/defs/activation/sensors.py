"""`run_failure_notice`: a failed run is told to the platform's operators by email
(COACH_OPS_EMAILS) and webhook (COACH_OPS_WEBHOOK_URL), once per run, through the notifier's
outbox; each blocking asset check that failed in it (and so stopped what depends on it) is told as
a notice of its own, naming the check and what it found. It starts no runs, so it ships running."""

from typing import Any

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
    checks = 0
    for check in failed_blocking_checks(context.instance, run.run_id):
        name = f"{check.asset_key.to_user_string()}:{check.check_name}"
        checks += raise_platform_notice(
            activation.settings(),
            NotificationKind.CHECK_FAILED,
            name,
            run.run_id,
            {
                "check": check.check_name,
                "asset": check.asset_key.to_user_string(),
                "job": run.job_name,
                "run_id": run.run_id,
                "description": (check.description or "no description")[:2000],
            },
        )
    context.log.info(
        f"run {run.run_id} failed ({checks} blocking checks); operators "
        f"{'told' if raised else 'not told (no channel set)'}"
    )


def failed_blocking_checks(instance: dg.DagsterInstance, run_id: str) -> list[Any]:
    """The blocking asset checks that failed in a run, as Dagster recorded their evaluations."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    found = []
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.event_specific_data if event else None
        if evaluation is not None and not evaluation.passed and evaluation.blocking:
            found.append(evaluation)
    return found
