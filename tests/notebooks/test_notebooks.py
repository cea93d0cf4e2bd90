"""Every analyst notebook runs top to bottom on a freshly built simulated world."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import jupytext
import pytest
from nbclient import NotebookClient

from coaching.simulator.config import SimulationConfig
from coaching.simulator.run import simulate
from orchestration.runs import ingest, transform
from tests.conftest import make_settings

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.py"))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = make_settings(tmp_path_factory.mktemp("notebooks"))
    end = date(2026, 11, 1)
    simulate(settings, SimulationConfig(seed=5, workers=900, days=14, end_date=end))
    instance = dg.DagsterInstance.ephemeral()
    ingest(settings, instance)
    transform(settings, instance, as_of=end.isoformat())
    return Path(settings.home)


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_HOME", str(home))
    notebook = jupytext.read(path)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    outputs = [
        o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
    ]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), (
        "a notebook should show at least one plot"
    )
