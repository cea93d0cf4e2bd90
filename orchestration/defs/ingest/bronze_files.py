"""Bronze tables built from raw files: message events by UTC day, HR exports by file."""

from datetime import date

import dagster as dg
import pyarrow.parquet as pq

from data_contracts.tables import HR_PERFORMANCE, HR_ROSTER, MESSAGE_EVENTS
from orchestration.defs.ingest.landing import LANDING_INTAKE, RAW_STORE_EVENTS
from orchestration.defs.ingest.operational import bronze_key
from orchestration.lib.bronze_build import PartitionReport, build_event_days, build_hr_file
from orchestration.lib.reporting import (
    check_specs,
    counts_metadata,
    quarantine_result,
    suite_result,
)
from orchestration.resources import LakeResource

EVENT_DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_offset=1)
HR_FILE_PARTITIONS = {
    "hr_roster": dg.DynamicPartitionsDefinition(name="hr_roster_files"),
    "hr_performance": dg.DynamicPartitionsDefinition(name="hr_performance_files"),
}
MESSAGE_EVENTS_KEY = bronze_key("message_events")


def _summary(reports: list[PartitionReport]) -> tuple[int, int, int, int]:
    return (
        sum(r.rows_in for r in reports),
        sum(r.rows_landed for r in reports),
        sum(r.rows_quarantined for r in reports),
        sum(r.duplicates_dropped for r in reports),
    )


@dg.asset(
    key=MESSAGE_EVENTS_KEY,
    deps=[LANDING_INTAKE, RAW_STORE_EVENTS, bronze_key("workers")],
    partitions_def=EVENT_DAYS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        f"{MESSAGE_EVENTS.description} Rebuilt whole per day from the raw files covering it "
        "(landing history and store copies), so a re-run replaces the day and never appends."
    ),
    group_name="bronze",
    kinds={"parquet", "duckdb"},
    owners=["team:data-platform"],
    pool="lake",
    check_specs=check_specs(MESSAGE_EVENTS_KEY, MESSAGE_EVENTS),
    metadata={"contract": "message_events", "layer": "bronze", "partitioned_by": "event_date"},
)
def message_events(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    reports = build_event_days(lake.lake, [date.fromisoformat(k) for k in context.partition_keys])
    rows_in, landed, quarantined, duplicates = _summary(reports)
    frames = [pq.read_table(lake.lake.root / r.path).to_pandas() for r in reports if r.path]
    unchecked = sorted({ref for r in reports for ref in r.unchecked_references})
    if unchecked:
        context.log.warning(f"references not checked (lookups missing): {', '.join(unchecked)}")
    return dg.MaterializeResult(
        metadata={
            **counts_metadata(rows_in, landed, quarantined, duplicates),
            "days": dg.MetadataValue.json(
                {r.partition: [r.rows_landed, r.rows_quarantined] for r in reports}
            ),
            "unchecked_references": dg.MetadataValue.json(unchecked),
        },
        check_results=[
            quarantine_result(MESSAGE_EVENTS, rows_in, quarantined, duplicates, MESSAGE_EVENTS_KEY),
            suite_result(MESSAGE_EVENTS, frames, MESSAGE_EVENTS_KEY),
        ],
    )


def hr_asset(table: str) -> dg.AssetsDefinition:
    contract = {"hr_roster": HR_ROSTER, "hr_performance": HR_PERFORMANCE}[table]
    key = bronze_key(table)

    @dg.asset(
        key=key,
        deps=[LANDING_INTAKE, bronze_key("workers")],
        partitions_def=HR_FILE_PARTITIONS[table],
        description=f"{contract.description} One partition per taken-in file.",
        group_name="bronze",
        kinds={"parquet", "duckdb"},
        owners=["team:data-platform"],
        pool="lake",
        check_specs=check_specs(key, contract),
        metadata={"contract": table, "layer": "bronze", "partitioned_by": "source_file"},
    )
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        reports = [build_hr_file(lake.lake, table, k) for k in context.partition_keys]
        rows_in, landed, quarantined, duplicates = _summary(reports)
        frames = [pq.read_table(lake.lake.root / r.path).to_pandas() for r in reports if r.path]
        return dg.MaterializeResult(
            metadata=counts_metadata(rows_in, landed, quarantined, duplicates),
            check_results=[
                quarantine_result(contract, rows_in, quarantined, duplicates, key),
                suite_result(contract, frames, key),
            ],
        )

    return _asset


hr_assets = [hr_asset("hr_roster"), hr_asset("hr_performance")]
