"""`activation_job`: one activation pass, claiming the due schedule and sending it."""

import dagster as dg

from orchestration.keys import ACTIVATION_SENDS

activation_job = dg.define_asset_job(
    "activation_job",
    selection=dg.AssetSelection.assets(ACTIVATION_SENDS),
    description="One activation pass: claim the due schedule and send it.",
)
