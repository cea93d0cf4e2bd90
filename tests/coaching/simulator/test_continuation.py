"""Continuing a simulated world: deterministic, and only the new days reach the store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from coaching.errors import InputError
from coaching.settings import Settings
from coaching.simulator.config import SimulationConfig
from coaching.simulator.continuation import continue_world
from coaching.simulator.run import simulate
from coaching.store.engine import store_engine
from coaching.store.tables import Enrollment, MessageEvent, Worker
from tests.conftest import make_settings

CONFIG = SimulationConfig(seed=13, workers=700, days=6, end_date=date(2026, 11, 1))


def _world(home: Path) -> Settings:
    settings = make_settings(home)
    simulate(settings, CONFIG)
    return settings


def _store(settings: Settings) -> dict[str, list[str]]:
    engine = store_engine(settings)
    with engine.connect() as connection:
        events = connection.execute(select(MessageEvent.__table__)).mappings().all()
        workers = connection.execute(
            select(Worker.id, Worker.whatsapp_opt_out_at, Worker.updated_at)
        ).all()
        enrollments = connection.execute(
            select(Enrollment.id, Enrollment.status, Enrollment.ended_at)
        ).all()
    engine.dispose()

    def rows(items: Any) -> list[str]:
        return sorted(json.dumps(list(r), default=str) for r in items)

    return {
        "events": sorted(
            json.dumps({k: v for k, v in e.items() if k != "id"}, default=str, sort_keys=True)
            for e in events
        ),
        "workers": rows(workers),
        "enrollments": rows(enrollments),
    }


@pytest.fixture(scope="module")
def continued(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    once, twice = (_world(tmp_path_factory.mktemp(name)) for name in ("once", "twice"))
    before = _store(once)
    manifest = json.loads((once.simulation_dir / "manifest.json").read_text())
    by_two = continue_world(once, 2)
    continue_world(twice, 1)
    by_one_and_one = continue_world(twice, 1)
    return {
        "before": before,
        "before_manifest": manifest,
        "before_store_events": manifest["events"]["store"],
        "once": (once, by_two),
        "twice": (twice, by_one_and_one),
    }


def test_two_days_at_once_equal_one_day_twice(continued) -> None:
    (once, by_two), (twice, by_one_and_one) = continued["once"], continued["twice"]
    assert _store(once) == _store(twice)
    assert by_two == by_one_and_one
    assert by_two["continued_days"] == 2
    assert by_two["end_date"] == (CONFIG.end_date + timedelta(days=2)).isoformat()


def test_only_the_new_days_reach_the_store(continued) -> None:
    once, manifest = continued["once"]
    before, after = continued["before"]["events"], _store(once)["events"]
    assert set(before) <= set(after)
    new = [json.loads(e) for e in set(after) - set(before)]
    assert len(new) == manifest["events"]["store"] - continued["before_store_events"]
    # Every new event happens on a new day in its organization's timezone: after the earliest
    # local midnight that starts the first new day anywhere (UTC+14) and before the latest end.
    earliest = datetime.combine(CONFIG.end_date, time(0), UTC) - timedelta(hours=14)
    latest = datetime.combine(CONFIG.end_date + timedelta(days=2), time(0), UTC) + timedelta(
        hours=12, minutes=5
    )
    occurred = [datetime.fromisoformat(e["occurred_at"]) for e in new]
    assert min(occurred) >= earliest and max(occurred) < latest


def test_the_new_days_change_what_they_should(continued) -> None:
    once, manifest = continued["once"]
    before, after = continued["before"], _store(once)
    assert manifest["messages"]["outbound"] > 0
    # Opt-outs and finished journeys of the new days are updates; earlier rows are untouched.
    changed_workers = set(after["workers"]) - set(before["workers"])
    assert (
        len(changed_workers)
        == manifest["counts"]["opted_out_workers"]
        - (continued["before_manifest"]["counts"]["opted_out_workers"])
    )
    assert set(after["enrollments"]) != set(before["enrollments"]) or not changed_workers


def test_a_store_with_no_world_cannot_be_continued(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no simulated world"):
        continue_world(make_settings(tmp_path), 1)
    settings = _world(tmp_path / "world")
    with pytest.raises(InputError, match="at least 1"):
        continue_world(settings, 0)
