"""Raw inputs: landing files taken in, and message events copied from the store by id."""

import dagster as dg

from orchestration.defs.ingest.operational import bronze_key
from orchestration.defs.ingest.sources import landing_folder, store_key
from orchestration.lib.duck import organization_slugs
from orchestration.lib.intake import take_in
from orchestration.lib.store_extract import extract_store_events
from orchestration.resources import LakeResource, StoreResource

LANDING_INTAKE = dg.AssetKey(["raw", "landing_files"])
RAW_STORE_EVENTS = dg.AssetKey(["raw", "store_message_events"])
REJECTED_CHECK = "no_rejected_files"


@dg.asset(
    key=LANDING_INTAKE,
    deps=[landing_folder.key, bronze_key("organizations")],
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
    check_specs=[
        dg.AssetCheckSpec(
            REJECTED_CHECK,
            asset=LANDING_INTAKE,
            description="Warns when files were rejected; their reasons are in the metadata.",
        )
    ],
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
            "rows_quarantined_by_table": dg.MetadataValue.json(report.quarantined_by_table()),
            "accepted": dg.MetadataValue.json([e.name for e in report.accepted]),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=REJECTED_CHECK,
                passed=not rejected,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"rejected": dg.MetadataValue.json(rejected)},
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
            "files": dg.MetadataValue.json(list(report.files)),
        }
    )
