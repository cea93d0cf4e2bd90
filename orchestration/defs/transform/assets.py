"""The dbt project as Dagster assets, and the marts published as Parquet.

The dbt assets are defined from the project's manifest, which is prepared by the commands that
build or test (`coach dbt-parse`, `make`, the test session, the in-process runs); importing this
module reads the manifest and starts nothing, except under `dagster dev`, where the project may
have changed since the last parse (what dagster-dbt's `prepare_if_dev` does, with this project's
own dbt executable and vars).
"""

from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.dbt_project import using_dagster_dev

from coaching.lake import RESTRICTED_MARTS, published_mart
from orchestration.defs.transform.translator import CoachingTranslator
from orchestration.keys import GOLD_KEYS
from orchestration.lib.warehouse import (
    DBT_PROJECT_DIR,
    PARSE_ARGS,
    as_of_environment,
    dbt_target,
    dbt_vars,
    prepare_manifest,
    publish_marts,
)
from orchestration.resources import LakeResource, WarehouseResource

if using_dagster_dev():
    prepare_manifest()
dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    prepare_project_cli_args=PARSE_ARGS,
)
if not dbt_project.manifest_path.exists():
    raise FileNotFoundError(
        f"The dbt manifest {dbt_project.manifest_path} is missing: run `coach dbt-parse` "
        "(make and the test session do this before loading the definitions)."
    )


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
    variables = dbt_vars(lake.lake_dir, warehouse.warehouse_path, limits=lake.lake.duckdb)
    with as_of_environment(warehouse.as_of):
        invocation = dbt.cli(
            ["build", "--vars", variables],
            context=context,
            target_path=dbt_target(warehouse.warehouse_path),
        )
    yield from invocation.stream()


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            deps=[dg.AssetKey(["seeds" if mart == "feature_catalog" else "marts", mart])],
            description=(
                f"`{mart}` published as Parquet (`{published_mart('', mart)}`, replaced "
                "atomically): what the API, activation and notebooks read."
                + (
                    " Restricted: it names people, so only activation and the admin API read "
                    "it, and the UI shows no preview."
                    if mart in RESTRICTED_MARTS
                    else " Pseudonymous: a worker key, no phone, name or free text."
                )
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
    secret = warehouse.resolved_pseudonym_secret()
    for published in publish_marts(warehouse.path, lake.lake, secret):
        metadata: dict[str, object] = {"dagster/row_count": published.rows, "path": published.path}
        if published.mart not in RESTRICTED_MARTS:  # the event log must not copy identities
            metadata["preview"] = dg.MetadataValue.md(preview(lake.lake.root / published.path))
        yield dg.MaterializeResult(asset_key=GOLD_KEYS[published.mart], metadata=metadata)


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
