"""`retention_job`: purge message bodies and inbound media past each organization's retention,
in the store, the landing folder and every lake layer, then drop the warehouse for the next build
to make again (orchestration/lib/retention.py). What it purged is recorded in the store
(`retention_purges`) and in the run's metadata."""

import dagster as dg

from orchestration.lib.retention import purge
from orchestration.resources import LakeResource, StoreResource, WarehouseResource


@dg.op(
    description="Null the bodies and delete the inbound media older than each organization's "
    "`message_retention_days`, everywhere they are kept; record what went.",
    tags={"kind": "retention"},
)
def purge_past_retention(
    context: dg.OpExecutionContext,
    lake: LakeResource,
    store: StoreResource,
    warehouse: WarehouseResource,
) -> dg.Output[dict]:
    summary = purge(store.engine, lake.lake, lake.landing, warehouse.path)
    context.log.info(
        f"retention: {summary.get('organizations', 0)} organizations with a retention; "
        f"{summary.get('message_bodies', 0)} message bodies, "
        f"{summary.get('lake_rows', 0)} lake rows in {summary.get('lake_files', 0)} files purged"
    )
    return dg.Output(summary, metadata={k: v for k, v in summary.items()})


@dg.job(
    description="Purge message bodies and inbound media past each organization's retention "
    "(store, landing, raw, bronze, quarantine; the warehouse is rebuilt by the next build)."
)
def retention_job() -> None:
    purge_past_retention()
