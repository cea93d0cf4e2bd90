"""`activation_job`: one activation pass, syncing enrollments, then claiming and sending, and
telling people what is due."""

import dagster as dg

from orchestration.keys import ACTIVATION_ENROLLMENTS, ACTIVATION_NOTIFICATIONS, ACTIVATION_SENDS

activation_job = dg.define_asset_job(
    "activation_job",
    selection=dg.AssetSelection.assets(
        ACTIVATION_ENROLLMENTS, ACTIVATION_SENDS, ACTIVATION_NOTIFICATIONS
    ),
    description="One activation pass: sync the enrollment plan, then claim the due schedule and "
    "send it; claim the notifications due and deliver them.",
)
