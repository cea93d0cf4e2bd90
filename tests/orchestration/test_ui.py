"""The Dagster UI starts as `make dagster` starts it, lists the project's assets, and on a world
with files waiting in its landing folder launches no run by itself."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from api.server import free_port
from tests.processes import stop

REPO = Path(__file__).resolve().parents[2]
QUERY = """
{
  assetNodes { assetKey { path } groupName description }
  workspaceOrError { ... on Workspace { locationEntries { name } } }
}
"""
AUTOMATION = """
{
  workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError {
    ... on RepositoryLocation { repositories {
      sensors { name sensorState { status } }
      schedules { name scheduleState { status } }
    } }
  } } } }
  runsOrError { ... on Runs { results { runId jobName } } }
}
"""
# What ships running: it reacts to failed runs and launches none.
SHIPS_RUNNING = {"run_failure_notice"}


def test_dagster_ui_lists_assets_by_layer(tmp_path: Path) -> None:
    from datetime import date

    from coaching.simulator.config import SimulationConfig
    from coaching.simulator.run import simulate
    from tests.conftest import make_settings

    world = make_settings(tmp_path / "coach")  # landing files wait for the landing sensor
    simulate(world, SimulationConfig(seed=5, workers=60, days=3, end_date=date(2026, 11, 1)))
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "orchestration" / "dagster.yaml").read_text())
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "COACH_HOME": str(tmp_path / "coach")}
    dagster = Path(sys.executable).with_name("dagster")
    log = (tmp_path / "dagster-dev.log").open("w")
    server = subprocess.Popen(  # as `make dagster` starts it
        [str(dagster), "dev", "-w", "orchestration/deploy/workspace.yaml", "-h", "127.0.0.1",
         "-p", str(port)],
        env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        nodes = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and nodes is None:
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": QUERY}, timeout=10
                )
                data = answer.json().get("data") or {}
                if data.get("assetNodes"):
                    nodes = data["assetNodes"]
            except (httpx.TransportError, ValueError):
                pass
            if nodes is None:
                assert server.poll() is None, "dagster dev exited"
                time.sleep(1)
        assert nodes, "the Dagster UI did not answer"
        by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
        assert by_key["activation/sends"]["groupName"] == "activation"
        assert by_key["gold/messages"]["groupName"] == "gold"
        assert by_key["marts/experiment_results"]["description"]
        assert {"raw", "bronze", "staging", "marts", "gold"} <= {n["groupName"] for n in nodes}
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200 and "Dagster" in page.text

        automation = httpx.post(
            f"http://127.0.0.1:{port}/graphql", json={"query": AUTOMATION}, timeout=30
        ).json()["data"]
        (entry,) = automation["workspaceOrError"]["locationEntries"]
        (repository,) = entry["locationOrLoadError"]["repositories"]
        running = {
            s["name"] for s in repository["sensors"] if s["sensorState"]["status"] == "RUNNING"
        }
        running |= {
            s["name"] for s in repository["schedules"] if s["scheduleState"]["status"] == "RUNNING"
        }
        assert running == SHIPS_RUNNING
        assert automation["runsOrError"]["results"] == []
        assert entry["name"] == "coaching"  # the name pyproject.toml's [tool.dg.project] gives
    finally:
        stop(server, 30, group=True)
        log.close()
    said = (tmp_path / "dagster-dev.log").read_text()
    assert "does not match the name" not in said, "the code location's names disagree"
