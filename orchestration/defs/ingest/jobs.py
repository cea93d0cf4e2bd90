"""Jobs of ingestion: the landing intake, the hourly copy of the store, and partition rebuilds."""

import dagster as dg

from orchestration.keys import (
    HR_TABLES,
    LANDING_INTAKE,
    MESSAGE_EVENTS,
    RAW_STORE_EVENTS,
    bronze_key,
)

# The bronze tables copied from the store (everything bronze but the partitioned tables).
OPERATIONAL = dg.AssetSelection.groups("bronze") - dg.AssetSelection.assets(
    MESSAGE_EVENTS, *(bronze_key(table) for table in HR_TABLES)
)

landing_intake_job = dg.define_asset_job(
    "landing_intake_job",
    selection=dg.AssetSelection.assets(LANDING_INTAKE),
    description="Take in new landing files.",
)
hourly_ingest_job = dg.define_asset_job(
    "hourly_ingest_job",
    selection=OPERATIONAL | dg.AssetSelection.assets(RAW_STORE_EVENTS),
    description="Copy what changed in the operational store to the lake.",
)
bronze_events_job = dg.define_asset_job(
    "bronze_events_job",
    selection=dg.AssetSelection.assets(MESSAGE_EVENTS),
    description="Rebuild days of bronze message events.",
)
hr_jobs = {  # partitioned as their assets are (inferred from the selection)
    table: dg.define_asset_job(
        f"bronze_{table}_job",
        selection=dg.AssetSelection.assets(bronze_key(table)),
        description=f"Build bronze {table} for new files.",
    )
    for table in HR_TABLES
}
