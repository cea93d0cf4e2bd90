"""Dagster resources: configuration flows from the project's settings into assets, never globals."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import dagster as dg
from sqlalchemy import Engine

from coaching.lake import Lake
from coaching.settings import Settings, get_settings
from coaching.store.engine import make_engine


class LakeResource(dg.ConfigurableResource):
    """Where the lake and the landing folder are."""

    lake_dir: str
    landing_dir: str
    # Files younger than this may still be being written; files that arrive by rename are whole.
    landing_settle_seconds: float = 5.0

    @property
    def lake(self) -> Lake:
        return Lake(Path(self.lake_dir))

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)


class StoreResource(dg.ConfigurableResource):
    """The operational store ingestion reads from (read-only use)."""

    database_url: str

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.database_url)


def default_resources(
    settings: Settings | None = None, landing_settle_seconds: float = 5.0
) -> dict[str, dg.ConfigurableResource]:
    settings = settings or get_settings()
    return {
        "lake": LakeResource(
            lake_dir=str(settings.lake_dir),
            landing_dir=str(settings.landing_dir),
            landing_settle_seconds=landing_settle_seconds,
        ),
        "store": StoreResource(database_url=settings.database_url or ""),
    }
