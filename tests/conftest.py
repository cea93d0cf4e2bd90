"""Shared fixtures: isolated settings per test, and the store URLs to run store tests against.

Store tests run on SQLite always, and also on PostgreSQL when COACH_TEST_POSTGRES_URL is set (CI
sets it). Each test session gets its own PostgreSQL database, dropped at the end, so runs never see
each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from coaching.settings import Settings, get_settings, load_settings


def pytest_configure(config: pytest.Config) -> None:
    """The dbt manifest the Dagster definitions load, prepared before any test module imports
    them (as `make` prepares it before `dagster dev`); a no-op when it is current."""
    from orchestration.lib.warehouse import prepare_manifest

    prepare_manifest()


# The files that take minutes (measured with --durations), longest first. Two processes share the
# files (`--dist loadfile` hands them out in collection order): started first, the long ones run
# beside the many short ones instead of leaving one process alone with a long file at the end.
LONGEST_FIRST = (
    "tests/demo/test_loop.py",
    "tests/api/test_fuzz.py",
    "tests/orchestration/test_spark_build.py",
    "tests/orchestration/test_memory_limits.py",
    "tests/orchestration/test_transform.py",
    "tests/orchestration/test_incremental.py",
    "tests/activation/test_notifications.py",
    "tests/activation/test_crash.py",
    "tests/api/test_isolation.py",
    "tests/orchestration/test_ui.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each file keeps its own order


@contextmanager
def postgres_database(base: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `base`, dropped afterwards."""
    name = f"coach_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def private_postgres() -> Iterator[str | None]:
    """A database of one's own on COACH_TEST_POSTGRES_URL's server, or None when it is unset."""
    base = load_settings().test_postgres_url
    if not base:
        yield None
        return
    with postgres_database(base) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    yield from private_postgres()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None) -> str:
    """A store URL per backend; PostgreSQL is skipped unless COACH_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    if postgres_url is None:
        pytest.skip("COACH_TEST_POSTGRES_URL is not set")
    return postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def private_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store no other test writes to, for tests that read every row of a table: the PostgreSQL
    one is a new database of its own rather than the session's."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = load_settings().test_postgres_url
    if not base:
        pytest.skip("COACH_TEST_POSTGRES_URL is not set")
    with postgres_database(base) as url:
        yield url


def make_settings(home: Path, database_url: str | None = None) -> Settings:
    environ = {"COACH_HOME": str(home)}
    if database_url:
        environ["COACH_DATABASE_URL"] = database_url
    return load_settings(environ)


@pytest.fixture(autouse=True)
def _no_stray_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests build their own settings; a developer's COACH_HOME must not leak into them, nor the
    process-wide settings one test read into the next (under pytest-xdist a worker runs whichever
    tests it is given, in one process)."""
    get_settings.cache_clear()
    for key in list(os.environ):
        if key.startswith("COACH_") and key not in (
            "COACH_TEST_POSTGRES_URL",
            "COACH_TEST_REDIS_URL",
        ):
            monkeypatch.delenv(key)
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict]:
    """One realistic world shared by read-only tests (SQLite, local files)."""
    from datetime import date

    from coaching.simulator.config import SimulationConfig
    from coaching.simulator.run import simulate

    settings = make_settings(tmp_path_factory.mktemp("world"))
    config = SimulationConfig(seed=11, workers=6_000, days=30, end_date=date(2026, 11, 1))
    return settings, simulate(settings, config)


@pytest.fixture(scope="session")
def built_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict, Any]:
    """One small world simulated, ingested and built, shared by the tests that only read its marts
    (tests/orchestration/test_transform.py, the notebooks): built once per session."""
    from tests.worlds import build_world

    return build_world(tmp_path_factory.mktemp("built"))
