"""The cluster's Dagster instance configuration is real: loaded against this machine's
PostgreSQL, it stores runs there and queues them for the daemon."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from coaching.settings import load_settings
from tests.conftest import postgres_database

DEPLOY = Path(__file__).resolve().parents[2] / "orchestration" / "deploy"


def test_the_cluster_instance_keeps_runs_in_postgresql_and_queues_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = load_settings().test_postgres_url
    if not base:
        pytest.skip("COACH_TEST_POSTGRES_URL is not set")
    with postgres_database(base) as url:
        monkeypatch.setenv("DAGSTER_PG_URL", url.replace("postgresql+psycopg://", "postgresql://"))
        instance = dg.DagsterInstance.from_config(str(DEPLOY))
        try:
            assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert instance.get_runs() == []
        finally:
            instance.dispose()
