"""`coach api` serves a simulated world over HTTP, and `coach api-key` lets an operator in."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from api.server import free_port
from coaching.simulator.config import SimulationConfig
from coaching.simulator.run import simulate
from tests.conftest import make_settings
from tests.processes import stop

COACH = [sys.executable, "-m", "coaching.cli"]


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"the server exited: {process.stderr.read() if process.stderr else ''}"
            )
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def test_api_serves_the_simulated_world(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    simulate(settings, SimulationConfig(seed=3, workers=300, days=5, end_date=date(2026, 11, 1)))
    env = {**os.environ, "COACH_HOME": str(tmp_path)}
    with sqlite3.connect(tmp_path / "coach.db") as db:
        slug = db.execute(
            "select slug from organizations where type = 'client' limit 1"
        ).fetchall()[0][0]
    key = subprocess.run([*COACH, "api-key", slug], capture_output=True, text=True, env=env)
    assert key.returncode == 0, key.stderr
    missing = subprocess.run(
        [*COACH, "api-key", "no-such-org"], capture_output=True, text=True, env=env
    )
    assert missing.returncode == 2 and "no-such-org" in missing.stderr
    port = free_port()
    server = subprocess.Popen(
        [*COACH, "api", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/health", server)
        docs = httpx.get(f"{base}/v1/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()
        headers = {"Authorization": f"Bearer {key.stdout.strip()}"}
        me = httpx.get(f"{base}/v1/organizations/me", headers=headers)
        assert me.status_code == 200 and me.json()["slug"] == slug
        workers = httpx.get(f"{base}/v1/workers?limit=5", headers=headers).json()
        assert len(workers["items"]) == 5 and workers["next_cursor"]
    finally:
        stop(server)
