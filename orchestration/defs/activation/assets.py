"""Activation as a Dagster asset: after the marts are published, send what the schedule says is
due. The same sender `coach activate --loop` runs as a service; both claim through the outbox's
idempotency keys, so running both never sends a message twice."""

import dagster as dg

from activation.service import activate, describe
from orchestration.keys import ACTIVATION_SENDS, GOLD_KEYS
from orchestration.resources import ActivationResource


@dg.asset(
    key=ACTIVATION_SENDS,
    deps=[GOLD_KEYS["activation_schedule"]],
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
    report = activate(activation.settings(), passes=1)
    context.log.info(describe(report))
    return dg.MaterializeResult(metadata=report.counts())
