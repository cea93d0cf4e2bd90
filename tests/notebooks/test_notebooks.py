"""Every analyst notebook runs top to bottom through a Jupyter kernel on a freshly built simulated
world, for the organization its parameter names, and labels what it charts by name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.personal_data import found, personal_values

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[!_]*.py"))
UUID = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){0,3}", re.IGNORECASE)

# Run after the notebook: every text of every figure it drew (titles, ticks, legends, labels).
FIGURE_TEXTS = """
import json as _json
import matplotlib.pyplot as _plt
from matplotlib.text import Text as _Text
print("FIGURE_TEXTS" + _json.dumps([
    t.get_text() for n in _plt.get_fignums() for t in _plt.figure(n).findobj(_Text) if t.get_text()
]))
"""


@pytest.fixture(scope="module")
def world(built_world) -> tuple[Path, dict[str, str]]:
    """The world's home, and its organizations with workers: slug -> name."""
    settings = built_world[0]
    gold = Path(settings.lake_dir) / "gold"
    rows = duckdb.sql(
        f"""
        select o.slug, o.name from '{gold}/entity_names.parquet' o
        join '{gold}/workers.parquet' w on w.organization_id = o.entity_id
        where o.entity_kind = 'organization' group by all order by count(*)
        """
    ).fetchall()
    return Path(settings.home), dict(rows)


@pytest.fixture(scope="module")
def people(built_world) -> dict[str, set[str]]:
    return personal_values(built_world[0])


def _run(path: Path, home: Path, organization: str | None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COACH_HOME", str(home))
    notebook = jupytext.read(path)
    (parameters,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    # As papermill does: the injected cell follows the defaults and overrides them.
    injected = nbformat.v4.new_code_cell(f"ORGANIZATION = {organization!r}")
    notebook.cells.insert(notebook.cells.index(parameters) + 1, injected)
    # Keep the figures after each cell, so the last cell can read what they say.
    notebook.cells.insert(
        0, nbformat.v4.new_code_cell("%config InlineBackend.close_figures = False")
    )
    notebook.cells.append(nbformat.v4.new_code_cell(FIGURE_TEXTS))
    NotebookClient(
        notebook, timeout=300, kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()  # fmt: skip
    return notebook


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_shows_one_organization_by_name(
    path: Path,
    world: tuple[Path, dict[str, str]],
    people: dict[str, set[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, organizations = world
    slug, name = next(iter(organizations.items()))  # the smallest, not the default (largest)
    notebook = _run(path, home, slug, monkeypatch)
    outputs = [
        o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
    ]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "a notebook shows a plot"
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert name in printed, "the notebook says which organization it shows"
    others = [n for n in organizations.values() if n != name]
    texts = json.loads(printed.split("FIGURE_TEXTS", 1)[1].splitlines()[0])
    assert texts, "the figures carry titles and labels"
    labelled_by_id = [t for t in texts if UUID.fullmatch(t.split(" ")[0].split(":")[0])]
    assert not labelled_by_id, f"charts label entities by id: {labelled_by_id[:5]}"
    assert not [t for t in texts if any(other in t for other in others)], "another tenant shown"
    shown = [printed, *texts, *(json.dumps(o.get("data", {}), ensure_ascii=False) for o in outputs)]
    assert found(shown, people) == {}, "a notebook shows who a worker is or what they wrote"


def test_an_unknown_organization_is_refused_with_the_known_slugs(
    world: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, organizations = world
    with pytest.raises(CellExecutionError) as refused:
        _run(NOTEBOOKS[0], home, "no-such-org", monkeypatch)
    assert "no organization 'no-such-org'" in str(refused.value)
    assert all(slug in str(refused.value) for slug in organizations)
