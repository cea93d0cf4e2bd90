"""Bronze change logs of the operational tables, incremental by the `updated_at` watermark."""

import dagster as dg
import pyarrow.parquet as pq

from data_contracts.contract import Contract
from data_contracts.tables import OPERATIONAL_CONTRACTS
from orchestration.defs.ingest.sources import store_key
from orchestration.lib.reporting import (
    check_specs,
    counts_metadata,
    quarantine_result,
    suite_result,
)
from orchestration.lib.store_extract import extract_operational
from orchestration.resources import LakeResource, StoreResource


def bronze_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["bronze", table])


def operational_asset(contract: Contract) -> dg.AssetsDefinition:
    key = bronze_key(contract.table)

    @dg.asset(
        key=key,
        deps=[store_key(contract.table)],
        description=(
            f"{contract.description}\n\nChange log from the store: every version of a row "
            "(soft deletes included), appended by `updated_at` watermark; the current row is "
            "the newest `updated_at` per id."
        ),
        group_name="bronze",
        kinds={"parquet", "duckdb"},
        owners=["team:data-platform"],
        pool="lake",
        check_specs=check_specs(key, contract),
        metadata={"contract": contract.table, "layer": "bronze"},
    )
    def _asset(context: dg.AssetExecutionContext, lake: LakeResource, store: StoreResource):
        report = extract_operational(store.engine, lake.lake, contract)
        context.log.info(
            f"{contract.table}: {report.rows_in} in, {report.rows_landed} landed, "
            f"{report.rows_quarantined} quarantined, {report.duplicates_dropped} already in the lake"
        )
        landed = [
            pq.read_table(lake.lake.root / path).to_pandas()
            for path in report.files
            if path.startswith("bronze/")
        ]
        return dg.MaterializeResult(
            metadata={
                **counts_metadata(
                    report.rows_in,
                    report.rows_landed,
                    report.rows_quarantined,
                    report.duplicates_dropped,
                ),
                "watermark": report.watermark_after or "",
                "files": dg.MetadataValue.json(list(report.files)),
            },
            check_results=[
                quarantine_result(
                    contract,
                    report.rows_in,
                    report.rows_quarantined,
                    report.duplicates_dropped,
                    key,
                ),
                suite_result(contract, landed, key),
            ],
        )

    return _asset


operational_assets = [operational_asset(contract) for contract in OPERATIONAL_CONTRACTS]
