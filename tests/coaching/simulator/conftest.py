from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from coaching.settings import Settings
from coaching.simulator.config import SimulationConfig
from coaching.simulator.run import simulate
from tests.conftest import make_settings

END = date(2026, 11, 1)


def small_config(**overrides: Any) -> SimulationConfig:
    values: dict[str, Any] = {
        "seed": 3,
        "workers": 300,
        "days": 12,
        "end_date": END,
        "dirty_share": 0.05,
    }
    return SimulationConfig(**{**values, **overrides})


def run_small(
    home: Path, database_url: str | None = None, **overrides: Any
) -> tuple[Settings, dict[str, Any]]:
    settings = make_settings(home, database_url)
    return settings, simulate(settings, small_config(**overrides))
