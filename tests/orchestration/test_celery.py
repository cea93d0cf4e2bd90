"""The project's own job on more than one process: with COACH_CELERY_BROKER_URL, the hourly ingest
runs each bronze table as a Celery task on a worker process (RabbitMQ as the broker), and the
lake holds what the store had."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from coaching.settings import load_settings
from coaching.simulator.config import SimulationConfig
from coaching.simulator.run import simulate
from orchestration.distributed import hourly_ingest_job
from orchestration.keys import bronze_key
from orchestration.runs import dagster_instance
from tests.processes import stop

BROKER = "amqp://guest:guest@127.0.0.1:5672//"
QUEUE = "dagster"  # orchestration.executors.QUEUE
# Four of the job's steps: enough to spread over two worker processes, few enough to be quick.
TABLES = ("organizations", "workers", "programs", "enrollments")


def _broker_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError:
        return False
    return True


def test_the_hourly_ingest_runs_its_steps_on_celery_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not _broker_reachable():
        pytest.skip("no RabbitMQ on 127.0.0.1:5672")
    environ = {"COACH_HOME": str(tmp_path), "COACH_CELERY_BROKER_URL": BROKER}
    settings = load_settings(environ)
    simulate(settings, SimulationConfig(seed=3, workers=120, days=3, end_date=date(2026, 10, 1)))
    instance = dagster_instance(settings)  # on disk: the workers write to it too
    home = str(instance.root_directory)
    for name, value in {**environ, "DAGSTER_HOME": home}.items():
        monkeypatch.setenv(name, value)
    celery = [sys.executable, "-m", "celery", "-A", "orchestration.celery_worker"]
    worker_env = {**os.environ, "COACH_HOME": str(tmp_path), "DAGSTER_HOME": home,
                  "COACH_CELERY_BROKER_URL": BROKER}  # fmt: skip
    # Steps go to the `dagster` queue: start from an empty one (an aborted run may have left some).
    subprocess.run([*celery, "purge", "-Q", QUEUE, "-f"], env=worker_env, check=True,
                   capture_output=True, timeout=60)  # fmt: skip
    worker = subprocess.Popen(
        [*celery, "worker", "-Q", QUEUE, "--concurrency", "2", "--loglevel", "warning"],
        env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        time.sleep(3)  # the worker connects to the broker
        assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
        with ThreadPoolExecutor(1) as pool:  # a step no worker takes must fail, not hang
            result = pool.submit(
                dg.execute_job, dg.reconstructable(hourly_ingest_job), instance=instance,
                asset_selection=[bronze_key(t) for t in TABLES],
            ).result(timeout=180)  # fmt: skip
        assert result.success
        steps = [
            e for e in instance.all_logs(result.run_id) if e.dagster_event and
            e.dagster_event.event_type_value == "STEP_SUCCESS"
        ]  # fmt: skip
        assert len(steps) == len(TABLES)
        # Every step ran in a worker process, not in the process that launched the run.
        pids = {e.dagster_event.pid for e in steps if e.dagster_event}
        assert pids and os.getpid() not in pids
        assert any(
            "in celery worker" in (e.message or "") for e in instance.all_logs(result.run_id)
        )
    finally:
        stop(worker, 30)
    workers = duckdb.sql(
        f"select count(distinct id) from read_parquet('{settings.lake_dir}/bronze/workers/**/*.parquet')"
    ).fetchall()[0][0]
    assert workers == 120
