"""Ingestion assets: the sources, the raw inputs, and every bronze table.

- sources: the operational store's tables and the landing folder, as external assets, so lineage
  starts where the data does;
- raw: landing files taken in (checked, moved to `raw/`, recorded in the ledger) and message events
  copied from the store past the lake's id watermark;
- bronze: change logs of the operational tables (by `updated_at` watermark), message events by
  UTC day and HR exports by file, each through its data contract, with rows that break it
  quarantined and counted by the checks of `checks.py`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import dagster as dg

from data_contracts.contract import Contract
from data_contracts.tables import HR_PERFORMANCE, HR_ROSTER, MESSAGE_EVENTS, OPERATIONAL_CONTRACTS
from orchestration.defs.ingest.checks import (
    contract_check_specs,
    quarantine_result,
    rejected_files_check,
    suite_result,
)
from orchestration.defs.ingest.partitions import EVENT_DAYS, HR_FILE_PARTITIONS
from orchestration.keys import (
    LANDING_FOLDER,
    LANDING_INTAKE,
    RAW_STORE_EVENTS,
    bronze_key,
    store_key,
)
from orchestration.lib.bronze_build import build_event_days, build_hr_files
from orchestration.lib.duck import organization_slugs
from orchestration.lib.intake import take_in
from orchestration.lib.metadata import listing, table
from orchestration.lib.store_extract import extract_operational, extract_store_events
from orchestration.resources import LakeResource, StoreResource

# --- sources -------------------------------------------------------------------------------------

STORE_TABLES = [*(c.table for c in OPERATIONAL_CONTRACTS), "message_events"]

store_tables = [
    dg.AssetSpec(
        store_key(table),
        description=f"The `{table}` table of the operational store (written by the API and webhooks).",
        group_name="sources",
        kinds={"sqlite", "postgres"},
        owners=["team:platform"],
    )
    for table in STORE_TABLES
]
landing_folder = dg.AssetSpec(
    LANDING_FOLDER,
    description="Files dropped in the landing folder: bulk event history and HR exports.",
    group_name="sources",
    kinds={"file"},
    owners=["team:data-platform"],
)

# --- raw -----------------------------------------------------------------------------------------


@dg.asset(
    key=LANDING_INTAKE,
    deps=[LANDING_FOLDER, bronze_key("organizations")],
    description=(
        "Takes in every new landing file: format, columns, encoding and truncation checked; rows "
        "typed by the contract (untypable rows quarantined with file and line); the file moved "
        "to `raw/` and recorded in the ledger by content hash, so a file dropped twice is "
        "processed once. Unusable files move to `landing/_rejected/` with a reason file."
    ),
    group_name="raw",
    kinds={"parquet", "csv"},
    owners=["team:data-platform"],
    pool="lake",
    check_specs=[rejected_files_check],
)
def landing_files(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    report = take_in(
        lake.lake, lake.landing, organization_slugs(lake.lake), lake.landing_settle_seconds
    )
    rejected = [{"file": e.name, "reason": e.reason} for e in report.rejected]
    for item in rejected:
        context.log.warning(f"rejected {item['file']}: {item['reason']}")
    return dg.MaterializeResult(
        metadata={
            "files_accepted": len(report.accepted),
            "files_rejected": len(report.rejected),
            "files_duplicate": len(report.duplicates),
            "rows_in": report.rows,
            "rows_quarantined_at_intake": report.rows_quarantined,
            "rows_quarantined_by_table": table(
                (
                    {"table": name, "rows_quarantined": count}
                    for name, count in sorted(report.quarantined_by_table().items())
                ),
                {"table": "Landing table", "rows_quarantined": "Rows refused at intake"},
            ),
            "accepted": listing(
                [e.name for e in report.accepted], "file", "Landing file taken into the lake"
            ),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=rejected_files_check.name,
                passed=not rejected,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "rejected": table(
                        rejected, {"file": "Landing file", "reason": "Why it was refused"}
                    )
                },
            )
        ],
    )


@dg.asset(
    key=RAW_STORE_EVENTS,
    deps=[store_key("message_events")],
    description=(
        "Message events copied from the store's append-only table past the highest id already in "
        "the lake, one raw file per run named by its id range and event days."
    ),
    group_name="raw",
    kinds={"parquet"},
    owners=["team:data-platform"],
    pool="lake",
)
def store_message_events(lake: LakeResource, store: StoreResource) -> dg.MaterializeResult:
    report = extract_store_events(store.engine, lake.lake)
    return dg.MaterializeResult(
        metadata={
            "rows_copied": report.rows_in,
            "id_watermark_before": report.watermark_before or "0",
            "id_watermark": report.watermark_after or "0",
            "files": listing(list(report.files), "file", "Raw file written (lake-relative)"),
        }
    )


# --- bronze --------------------------------------------------------------------------------------


@dataclass
class Landed:
    """What one bronze run did: its counts, the bronze files it wrote (lake-relative, for the
    suite) and metadata of its own."""

    rows_in: int = 0
    rows_landed: int = 0
    rows_quarantined: int = 0
    duplicates_dropped: int = 0
    files: Sequence[str] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls, reports: Sequence[Any], bronze_files: Sequence[str] = (), **metadata: Any
    ) -> "Landed":
        """The sum of partition or extract reports (anything with the four counts)."""
        return cls(
            files=bronze_files,
            rows_in=sum(r.rows_in for r in reports),
            rows_landed=sum(r.rows_landed for r in reports),
            rows_quarantined=sum(r.rows_quarantined for r in reports),
            duplicates_dropped=sum(r.duplicates_dropped for r in reports),
            metadata=metadata,
        )


Build = Callable[[dg.AssetExecutionContext, LakeResource, StoreResource], Landed]


def bronze_asset(
    contract: Contract,
    build: Build,
    *,
    deps: Sequence[dg.AssetKey],
    description: str,
    partitions_def: dg.PartitionsDefinition | None = None,
    metadata: dict[str, str] | None = None,
) -> dg.AssetsDefinition:
    """A bronze table: `build` lands the rows through `contract`; this adds what every bronze
    table shares (group, owners, pool, the contract's checks, the counts as metadata)."""
    key = bronze_key(contract.table)

    @dg.asset(
        key=key,
        deps=deps,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run() if partitions_def else None,
        description=f"{contract.description}\n\n{description}",
        group_name="bronze",
        kinds={"parquet", "duckdb"},
        owners=["team:data-platform"],
        pool="lake",
        check_specs=contract_check_specs(key, contract),
        metadata={"contract": contract.table, "layer": "bronze", **(metadata or {})},
    )
    def _asset(
        context: dg.AssetExecutionContext, lake: LakeResource, store: StoreResource
    ) -> dg.MaterializeResult:
        landed = build(context, lake, store)
        return dg.MaterializeResult(
            metadata={
                "rows_in": dg.MetadataValue.int(landed.rows_in),
                "rows_landed": dg.MetadataValue.int(landed.rows_landed),
                "rows_quarantined": dg.MetadataValue.int(landed.rows_quarantined),
                "duplicates_dropped": dg.MetadataValue.int(landed.duplicates_dropped),
                "dagster/row_count": dg.MetadataValue.int(landed.rows_landed),
                **landed.metadata,
            },
            check_results=[
                quarantine_result(
                    contract,
                    landed.rows_in,
                    landed.rows_quarantined,
                    landed.duplicates_dropped,
                    key,
                ),
                suite_result(contract, [lake.lake.root / p for p in landed.files], key),
            ],
        )

    return _asset


def _operational_build(contract: Contract) -> Build:
    def build(
        context: dg.AssetExecutionContext, lake: LakeResource, store: StoreResource
    ) -> Landed:
        report = extract_operational(store.engine, lake.lake, contract)
        context.log.info(
            f"{contract.table}: {report.rows_in} in, {report.rows_landed} landed, "
            f"{report.rows_quarantined} quarantined, {report.duplicates_dropped} already in the lake"
        )
        return Landed.of(
            [report],
            bronze_files=[path for path in report.files if path.startswith("bronze/")],
            watermark=report.watermark_after or "",
            files=listing(list(report.files), "file", "File written (lake-relative)"),
        )

    return build


operational_assets = [
    bronze_asset(
        contract,
        _operational_build(contract),
        deps=[store_key(contract.table)],
        description=(
            "Change log from the store: every version of a row (soft deletes included), appended "
            "by `updated_at` watermark; the current row is the newest `updated_at` per id."
        ),
    )
    for contract in OPERATIONAL_CONTRACTS
]


def _build_message_events(
    context: dg.AssetExecutionContext, lake: LakeResource, store: StoreResource
) -> Landed:
    reports = build_event_days(lake.lake, [date.fromisoformat(k) for k in context.partition_keys])
    unchecked = sorted({ref for r in reports for ref in r.unchecked_references})
    if unchecked:
        context.log.warning(f"references not checked (lookups missing): {', '.join(unchecked)}")
    return Landed.of(
        reports,
        bronze_files=[r.path for r in reports if r.path],
        days=table(
            (
                {
                    "day": r.partition,
                    "rows_landed": r.rows_landed,
                    "rows_quarantined": r.rows_quarantined,
                }
                for r in reports
            ),
            {
                "day": "UTC day (the partition)",
                "rows_landed": "Rows written to bronze",
                "rows_quarantined": "Rows refused by the contract (kept in quarantine)",
            },
        ),
        unchecked_references=listing(
            unchecked, "reference", "A reference not checked: its lookup table was missing"
        ),
    )


message_events = bronze_asset(
    MESSAGE_EVENTS,
    _build_message_events,
    deps=[LANDING_INTAKE, RAW_STORE_EVENTS, bronze_key("workers")],
    partitions_def=EVENT_DAYS,
    description=(
        "Rebuilt whole per day from the raw files covering it (landing history and store "
        "copies), so a re-run replaces the day and never appends."
    ),
    metadata={"partitioned_by": "event_date"},
)


def _hr_build(table: str) -> Build:
    def build(
        context: dg.AssetExecutionContext, lake: LakeResource, store: StoreResource
    ) -> Landed:
        reports = build_hr_files(lake.lake, table, list(context.partition_keys))
        return Landed.of(reports, bronze_files=[r.path for r in reports if r.path])

    return build


hr_assets = [
    bronze_asset(
        contract,
        _hr_build(contract.table),
        deps=[LANDING_INTAKE, bronze_key("workers")],
        partitions_def=HR_FILE_PARTITIONS[contract.table],
        description="One partition per taken-in file.",
        metadata={"partitioned_by": "source_file"},
    )
    for contract in (HR_ROSTER, HR_PERFORMANCE)
]

# Every ingestion asset, for in-process runs that name a selection and let Dagster resolve it.
INGEST_ASSETS = [
    *store_tables, landing_folder, landing_files, store_message_events,
    *operational_assets, message_events, *hr_assets,
]  # fmt: skip
