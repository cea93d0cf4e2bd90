"""Jobs of the transform: the dbt build with publishing, and the daily run of the whole graph."""

import dagster as dg

from orchestration.defs.ingest.jobs import OPERATIONAL
from orchestration.keys import LANDING_INTAKE, RAW_STORE_EVENTS

transform_job = dg.define_asset_job(
    "transform_job",
    selection=dg.AssetSelection.groups("seeds", "staging", "intermediate", "marts", "gold"),
    description="dbt build, then publish the marts.",
)
daily_job = dg.define_asset_job(
    "daily_job",
    selection=OPERATIONAL
    | dg.AssetSelection.assets(RAW_STORE_EVENTS, LANDING_INTAKE)
    | dg.AssetSelection.groups("seeds", "staging", "intermediate", "marts", "gold"),
    description="The daily run of every unpartitioned asset: ingest, dbt build, publish.",
)
