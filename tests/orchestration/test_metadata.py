"""Lists in run metadata become tables with described columns, of values Dagster can store."""

from enum import StrEnum

import dagster as dg
from dagster_shared.serdes import serialize_value

from orchestration.lib.metadata import listing, table


class Status(StrEnum):
    HELD = "held"


def test_a_table_keeps_its_columns_descriptions_and_plain_values() -> None:
    value = table(
        [{"program": "Onboarding", "status": Status.HELD, "count": 3}, {"program": "Refresher"}],
        {"program": "Program", "status": "Why", "count": "How many"},
    )
    assert [c.description for c in value.schema.columns] == ["Program", "Why", "How many"]
    assert [c.type for c in value.schema.columns] == ["string", "string", "int"]
    assert value.records[0].data == {"program": "Onboarding", "status": "held", "count": 3}
    assert value.records[1].data["status"] is None
    serialize_value(dg.AssetMaterialization("x", metadata={"held": value}))  # storable


def test_a_listing_is_a_one_column_table() -> None:
    value = listing(["a.parquet", "b.parquet"], "file", "File written")
    assert [r.data["file"] for r in value.records] == ["a.parquet", "b.parquet"]
