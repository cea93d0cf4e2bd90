"""Turning ingestion reports into Dagster metadata and asset check results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dagster as dg
import pandas as pd

from data_contracts.contract import Contract
from data_contracts.suites import run_suite

QUARANTINE_CHECK = "quarantine_share"
SUITE_CHECK = "contract_suite"


def check_specs(key: dg.AssetKey, contract: Contract) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            QUARANTINE_CHECK,
            asset=key,
            blocking=True,
            description=(
                f"Fails, and blocks downstream assets, when more than "
                f"{contract.max_quarantine_share:.0%} of the rows taken in were quarantined."
            ),
        ),
        dg.AssetCheckSpec(
            SUITE_CHECK,
            asset=key,
            description="The great-expectations suite of the contract, run on the rows that landed.",
        ),
    ]


def counts_metadata(rows_in: int, landed: int, quarantined: int, duplicates: int) -> dict[str, Any]:
    return {
        "rows_in": dg.MetadataValue.int(rows_in),
        "rows_landed": dg.MetadataValue.int(landed),
        "rows_quarantined": dg.MetadataValue.int(quarantined),
        "duplicates_dropped": dg.MetadataValue.int(duplicates),
        "dagster/row_count": dg.MetadataValue.int(landed),
    }


def quarantine_result(
    contract: Contract, rows_in: int, quarantined: int, duplicates: int, asset_key: dg.AssetKey
) -> dg.AssetCheckResult:
    share = quarantined / rows_in if rows_in else 0.0
    return dg.AssetCheckResult(
        check_name=QUARANTINE_CHECK,
        asset_key=asset_key,
        passed=share <= contract.max_quarantine_share,
        metadata={
            "rows_in": rows_in,
            "rows_quarantined": quarantined,
            "duplicates_dropped": duplicates,
            "quarantined_share": dg.MetadataValue.float(round(share, 6)),
            "threshold": dg.MetadataValue.float(contract.max_quarantine_share),
        },
    )


PARTITION = "_suite_partition"


def suite_result(
    contract: Contract, frames: Sequence[pd.DataFrame], asset_key: dg.AssetKey
) -> dg.AssetCheckResult:
    # One frame a partition: keys are unique within each, as the contract deduplicates them.
    frame = (
        pd.concat(frames, keys=range(len(frames)), names=[PARTITION, None]).reset_index(PARTITION)
        if frames
        else pd.DataFrame()
    )
    result = run_suite(contract, frame, PARTITION if frames else None)
    return dg.AssetCheckResult(
        check_name=SUITE_CHECK,
        asset_key=asset_key,
        passed=result.success,
        metadata={
            "expectations": result.evaluated,
            "rows_checked": len(frame),
            "failed": dg.MetadataValue.json(result.failed),
        },
    )
