"""The asset checks of ingestion.

Each bronze table carries two: the share of rows quarantined (blocking: a bad load stops the
build downstream) and the contract's great-expectations suite over the rows that landed. Both are
evaluated in the step that lands the rows, because they count that run's own rows; the landing
intake warns on rejected files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq

from data_contracts.contract import Contract
from data_contracts.suites import run_suite
from orchestration.keys import LANDING_INTAKE

QUARANTINE_CHECK = "quarantine_share"
SUITE_CHECK = "contract_suite"
REJECTED_CHECK = "no_rejected_files"

rejected_files_check = dg.AssetCheckSpec(
    REJECTED_CHECK,
    asset=LANDING_INTAKE,
    description="Warns when files were rejected; their reasons are in the metadata.",
)


def contract_check_specs(key: dg.AssetKey, contract: Contract) -> list[dg.AssetCheckSpec]:
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


def suite_result(
    contract: Contract, files: Sequence[Path], asset_key: dg.AssetKey
) -> dg.AssetCheckResult:
    """The suite over each file this run wrote, one file in memory at a time.

    A file is one partition (a day of events, one HR export, one extract), which is where the
    contract holds keys unique, so checking file by file is the suite's own scope; memory is
    bounded by the largest file, not by the run (a backfill of 90 days read every day at once).
    """
    evaluated = 0
    rows = 0
    failed: list[dict] = []
    for path in files:
        frame = pq.read_table(path).to_pandas()
        result = run_suite(contract, frame)
        rows += len(frame)
        del frame
        evaluated = max(evaluated, result.evaluated)
        failed += [{**failure, "file": path.name} for failure in result.failed]
    return dg.AssetCheckResult(
        check_name=SUITE_CHECK,
        asset_key=asset_key,
        passed=not failed,
        metadata={
            "expectations": evaluated,
            "files_checked": len(files),
            "rows_checked": rows,
            "failed": dg.MetadataValue.json(failed),
        },
    )
