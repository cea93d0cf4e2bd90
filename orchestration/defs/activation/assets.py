"""Activation as Dagster assets: after the marts are published, the enrollment plan is synced into
the store and what the schedule says is due is sent. The same sync and sender `coach activate
--loop` runs as a service; both claim through keys (enrollments by program and worker, sends by
idempotency key), so running both never enrolls or sends twice."""

import dagster as dg

from activation.enrollment_sync import program_names, sync_enrollments
from activation.notifications.service import describe as describe_notices
from activation.notifications.service import notify
from activation.service import activate, describe
from coaching.domain import SyncStatus
from coaching.store.engine import store_engine
from orchestration.keys import (
    ACTIVATION_ENROLLMENTS,
    ACTIVATION_NOTIFICATIONS,
    ACTIVATION_SENDS,
    GOLD_KEYS,
)
from orchestration.lib.metadata import table
from orchestration.resources import ActivationResource

PROGRAMS_SYNCED = "every_program_synced"


@dg.asset(
    key=ACTIVATION_ENROLLMENTS,
    deps=[GOLD_KEYS["enrollment_plan"]],
    group_name="activation",
    kinds={"sqlite", "postgres"},
    owners=["team:platform"],
    description=(
        "The enrollment plan applied to the store's enrollments by diff, per program: members of "
        "the target segment added (holdouts by a stable hash), enrollments ended when the program "
        "is over, the journey finished, the worker opted out, was deleted or left a segment the "
        "program drops. A program whose segment did not evaluate, or whose change exceeds its "
        "largest-change share, changes nothing and is named by the check; rejected changes are "
        "kept with their reasons; one log row per program and run (`enrollment_syncs`)."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            PROGRAMS_SYNCED,
            asset=ACTIVATION_ENROLLMENTS,
            description="Warns when a program was held back (segment not evaluated, change too "
            "large); the programs and reasons are in the metadata.",
        )
    ],
    pool="activation",
)
def enrollment_sync(
    context: dg.AssetExecutionContext, activation: ActivationResource
) -> dg.MaterializeResult:
    settings = activation.settings()
    engine = store_engine(settings)
    try:
        report = sync_enrollments(engine, settings.lake_dir)
        names = program_names(engine)
    finally:
        engine.dispose()
    context.log.info(report.describe(names))
    held_back = [
        {"program": names.get(p.program_id, p.program_id), "status": p.status, "reason": p.reason}
        for p in report.programs
        if p.status != SyncStatus.APPLIED
    ]
    return dg.MaterializeResult(
        metadata={**report.totals(), "run_id": report.run_id},
        check_results=[
            dg.AssetCheckResult(
                check_name=PROGRAMS_SYNCED,
                passed=not held_back,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "held_back": table(
                        held_back,
                        {
                            "program": "Program",
                            "status": "Why its plan was not applied",
                            "reason": "In words",
                        },
                    )
                },
            )
        ],
    )


@dg.asset(
    key=ACTIVATION_SENDS,
    deps=[GOLD_KEYS["activation_schedule"], ACTIVATION_ENROLLMENTS],
    group_name="activation",
    kinds={"twilio", "whatsapp"},
    owners=["team:platform"],
    description=(
        "One sender pass over the published activation schedule: due rows are claimed into the "
        "outbox by idempotency key and sent through the Twilio SDK (re-checking opt-out, quiet "
        "hours and the 24-hour window), failures retried or dead-lettered, crashed sends "
        "reconciled with Twilio first. Metadata: what happened to each claimed row."
    ),
    pool="activation",
)
def activation_sends(
    context: dg.AssetExecutionContext, activation: ActivationResource
) -> dg.MaterializeResult:
    # The enrollment sync is its own asset here, upstream of this one.
    report = activate(activation.settings(), passes=1, sync=False)
    context.log.info(describe(report))
    return dg.MaterializeResult(metadata=report.counts())


@dg.asset(
    key=ACTIVATION_NOTIFICATIONS,
    deps=[GOLD_KEYS["notifications_due"]],
    group_name="activation",
    kinds={"email", "webhook"},
    owners=["team:platform"],
    description=(
        "One notifier pass over the published notifications_due: each notification claimed once "
        "by its key, its recipient resolved to users of the store (the admins stand in for a "
        "manager who left), delivered to the in-app inbox, by email over SMTP (COACH_SMTP_HOST) "
        "and to the organization's signed webhooks; failures retried with backoff, then "
        "dead-lettered to the admins' inbox. Metadata: claimed per kind, sent per channel."
    ),
    pool="activation",
)
def notifications_delivered(
    context: dg.AssetExecutionContext, activation: ActivationResource
) -> dg.MaterializeResult:
    report = notify(activation.settings(), passes=1)
    context.log.info(describe_notices(report))
    return dg.MaterializeResult(metadata=report.counts())
