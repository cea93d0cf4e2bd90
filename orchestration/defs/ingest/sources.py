"""The operational store's tables as external assets, so lineage starts where the data does."""

import dagster as dg

from data_contracts.tables import OPERATIONAL_CONTRACTS

STORE_TABLES = [*(c.table for c in OPERATIONAL_CONTRACTS), "message_events"]


def store_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["store", table])


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
    dg.AssetKey(["landing", "files"]),
    description="Files dropped in the landing folder: bulk event history and HR exports.",
    group_name="sources",
    kinds={"file"},
    owners=["team:data-platform"],
)
