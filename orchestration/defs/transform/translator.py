"""How dbt nodes become Dagster assets: keyed and grouped by layer, owned by their dbt group."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

LAYERS = ("staging", "intermediate", "marts")


class CoachingTranslator(DagsterDbtTranslator):
    """Models are keyed `<layer>/<model>`, seeds `seeds/<seed>`; sources keep dbt's default key
    (`<source>/<table>`, e.g. `bronze/workers`), which is the key of the bronze asset that writes
    them, so lineage runs from the store to the marts unbroken."""

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
        """The dbt group's team (models/groups.yml: `data_platform` owns staging and the seeds,
        `analytics` the rest), in the `team:` form the bronze assets use."""
        group = (dbt_resource_props.get("config") or {}).get("group") or "analytics"
        return [f"team:{group.replace('_', '-')}"]
