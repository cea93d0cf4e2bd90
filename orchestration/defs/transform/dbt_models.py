"""The dbt project as Dagster assets, and the published marts."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from coaching.settings import get_settings
from orchestration.lib.warehouse import (
    DBT_PROJECT_DIR,
    PUBLISHED_MARTS,
    dbt_environment,
    environment,
    prepare_manifest,
    publish_marts,
)
from orchestration.resources import LakeResource, WarehouseResource

# The dbt assets are defined from the manifest, so it must exist (and be current) before they
# load; parsing only renders paths, it reads no data.
_settings = get_settings()
prepare_manifest(_settings.lake_dir or "", _settings.warehouse_path or "")
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
LAYERS = ("staging", "intermediate", "marts")


class CoachingTranslator(DagsterDbtTranslator):
    """Models are keyed and grouped by layer; sources map to the bronze assets that write them."""

    def _layer(self, props: Mapping[str, Any]) -> str | None:
        fqn = props.get("fqn") or []
        return next((part for part in fqn if part in LAYERS), None)

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        layer = self._layer(dbt_resource_props)
        if dbt_resource_props["resource_type"] == "seed":
            return dg.AssetKey(["seeds", dbt_resource_props["name"]])
        if dbt_resource_props["resource_type"] == "model" and layer:
            return dg.AssetKey([layer, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self._layer(dbt_resource_props) or "seeds"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:analytics"]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=CoachingTranslator(),
    pool="warehouse",
)
def dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    lake: LakeResource,
    warehouse: WarehouseResource,
):
    """`dbt build` (models, data tests and unit tests) into the DuckDB warehouse."""
    args = ["build"]
    if warehouse.as_of:
        args += ["--vars", f"{{as_of: '{warehouse.as_of}'}}"]
    with environment(dbt_environment(lake.lake_dir, warehouse.warehouse_path)):
        yield from dbt.cli(args, context=context).stream()


GOLD_KEYS = {mart: dg.AssetKey(["gold", mart]) for mart in PUBLISHED_MARTS}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            deps=[dg.AssetKey(["seeds" if mart == "feature_catalog" else "marts", mart])],
            description=(
                f"`{mart}` published as Parquet (`gold/{mart}.parquet`, replaced "
                "atomically): what the API, activation and notebooks read."
            ),
            group_name="gold",
            kinds={"parquet"},
            owners=["team:analytics"],
        )
        for mart, key in GOLD_KEYS.items()
    ],
    pool="warehouse",
)
def published_marts(lake: LakeResource, warehouse: WarehouseResource):
    for published in publish_marts(warehouse.path, lake.lake):
        yield dg.MaterializeResult(
            asset_key=GOLD_KEYS[published.mart],
            metadata={
                "dagster/row_count": published.rows,
                "path": published.path,
                "preview": dg.MetadataValue.md(preview(lake.lake.root / published.path)),
            },
        )


def preview(path: Path, rows: int = 5, width: int = 40) -> str:
    """The first rows of a published file as a Markdown table, for the asset's page in the UI."""
    with duckdb.connect() as con:
        result = con.execute("select * from read_parquet(?) limit ?", [str(path), rows])
        columns = [d[0] for d in result.description]
        records = result.fetchall()

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        text = text.replace("|", "\\|").replace("\n", " ")
        return text if len(text) <= width else text[: width - 1] + "…"

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in record) + " |" for record in records]
    return "\n".join(lines)


transform_job = dg.define_asset_job(
    "transform_job",
    selection=dg.AssetSelection.assets(dbt_models, published_marts),
    description="dbt build, then publish the marts.",
)
