"""The code location: everything under `orchestration/defs/` is loaded automatically, with the
message events partitioned from the day the data starts."""

import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg

from coaching.lake import Lake
from coaching.settings import get_settings
from orchestration.defs.ingest.partitions import event_days_from
from orchestration.keys import MESSAGE_EVENTS
from orchestration.lib.bronze_build import raw_event_index


def events_start() -> date:
    """Where the UI's event partitions begin: the configured day (COACH_EVENTS_START), else the
    first day the lake's raw events cover, else today (a new deployment: reloading the code
    location after the first files extends it back)."""
    settings = get_settings()
    if settings.events_start:
        return settings.events_start
    index = raw_event_index(Lake(Path(settings.lake_dir)))  # a listing: names carry the days
    return min((low for _path, low, _high in index), default=datetime.now(UTC).date())


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    days = event_days_from(events_start())
    with warnings.catch_warnings():  # Dagster marks Definitions.map_asset_specs as preview
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return loaded.map_asset_specs(
            func=lambda spec: (
                spec.replace_attributes(partitions_def=days) if spec.key == MESSAGE_EVENTS else spec
            )
        )
