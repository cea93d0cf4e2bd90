"""`activation_job`: one activation pass, syncing enrollments, then claiming and sending."""

import dagster as dg

from orchestration.keys import ACTIVATION_ENROLLMENTS, ACTIVATION_SENDS

activation_job = dg.define_asset_job(
    "activation_job",
    selection=dg.AssetSelection.assets(ACTIVATION_ENROLLMENTS, ACTIVATION_SENDS),
    description="One activation pass: sync the enrollment plan, then claim the due schedule and "
    "send it.",
)
