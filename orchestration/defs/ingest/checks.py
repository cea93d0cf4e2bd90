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
import pandas as pd
import pyarrow.parquet as pq

from data_contracts.contract import Contract
from data_contracts.suites import run_suite
from orchestration.keys import LANDING_INTAKE
from orchestration.lib.bronze_build import file_batches
from orchestration.lib.metadata import table

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


# How many rows one suite run reads at most (a file larger than this is read alone).
SUITE_ROWS = 1_000_000
# A column naming each row's file: keys are unique within a file (a day of events, one HR export,
# one extract), where the contract deduplicates them.
PARTITION = "_suite_file"


def suite_result(
    contract: Contract, files: Sequence[Path], asset_key: dg.AssetKey
) -> dg.AssetCheckResult:
    """The suite over the files this run wrote, a bounded group of files in memory at a time.

    Memory is bounded by the group (or the largest file), not by the run: a backfill of 90 days
    used to read every day at once. Grouping small files (an HR export per organization) keeps
    great-expectations' fixed cost per run from dominating.
    """
    evaluated = 0
    rows = 0
    failed: list[dict] = []
    for chunk in file_batches(list(files), SUITE_ROWS):
        frame = pd.concat(
            # The whole path: every bronze partition's file is named part-0.parquet.
            [pq.read_table(p).to_pandas().assign(**{PARTITION: str(p)}) for p in chunk],
            ignore_index=True,
        )
        result = run_suite(contract, frame, PARTITION)
        rows += len(frame)
        del frame
        evaluated = max(evaluated, result.evaluated)
        names = ", ".join(p.name for p in chunk)
        failed += [{**failure, "files": names} for failure in result.failed]
    return dg.AssetCheckResult(
        check_name=SUITE_CHECK,
        asset_key=asset_key,
        passed=not failed,
        metadata={
            "expectations": evaluated,
            "files_checked": len(files),
            "rows_checked": rows,
            "failed": table(
                failed,
                {
                    "expectation": "The great-expectations expectation that failed",
                    "column": "The column it checks",
                    "unexpected": "Rows that broke it",
                    "files": "The files read",
                },
            ),
        },
    )
