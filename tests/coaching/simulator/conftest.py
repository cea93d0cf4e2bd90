from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from coaching.settings import Settings
from coaching.simulator.config import SimulationConfig
from coaching.simulator.run import simulate
from tests.conftest import make_settings

END = date(2026, 11, 1)


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, Any]]:
    """One realistic world shared by the read-only simulator tests (SQLite, local files)."""
    settings = make_settings(tmp_path_factory.mktemp("world"))
    manifest = simulate(settings, SimulationConfig(seed=11, workers=6_000, days=30, end_date=END))
    return settings, manifest


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
