"""Asset keys shared across the defs folders, each spelled once.

Keys are lineage: a dbt source maps to the key of the asset that writes it, activation depends on
the published mart it reads. Defining them here (not in the module of the asset that owns them)
lets one defs folder point at another's assets without importing its definitions.
"""

from __future__ import annotations

import dagster as dg

from orchestration.lib.warehouse import PUBLISHED_MARTS


def store_key(table: str) -> dg.AssetKey:
    """A table of the operational store (an external asset: the API and webhooks write it)."""
    return dg.AssetKey(["store", table])


def bronze_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["bronze", table])


def gold_key(mart: str) -> dg.AssetKey:
    return dg.AssetKey(["gold", mart])


LANDING_FOLDER = dg.AssetKey(["landing", "files"])
LANDING_INTAKE = dg.AssetKey(["raw", "landing_files"])
RAW_STORE_EVENTS = dg.AssetKey(["raw", "store_message_events"])
MESSAGE_EVENTS = bronze_key("message_events")
HR_TABLES = ("hr_roster", "hr_performance")
GOLD_KEYS = {mart: gold_key(mart) for mart in PUBLISHED_MARTS}
ACTIVATION_ENROLLMENTS = dg.AssetKey(["activation", "enrollments"])
ACTIVATION_SENDS = dg.AssetKey(["activation", "sends"])
ACTIVATION_NOTIFICATIONS = dg.AssetKey(["activation", "notifications"])
