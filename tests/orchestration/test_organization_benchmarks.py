"""Anonymized benchmarks on a world of sixteen client organizations: each organization's metrics
and type as the store says, and cells of similar organizations published only from five up.

Sixteen organizations of falling size (the simulator's 1/(i+1) shares) cycling health, health,
agriculture, retail: five small health organizations share a cell; the larger health ones and the
agriculture and retail ones are too few in theirs, so their cells are withheld."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from coaching.lake import published_mart
from coaching.settings import Settings
from coaching.simulator.config import SimulationConfig
from coaching.simulator.run import simulate
from orchestration.runs import ingest, transform
from tests.coaching.simulator.truth import store_table
from tests.conftest import make_settings

END = date(2026, 11, 20)
MINIMUM = 5
METRICS = ("reply_rate", "completion_share", "retention_share")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("benchmarks"))
    config = SimulationConfig(seed=47, workers=1_800, days=5, client_organizations=16, end_date=END)
    simulate(settings, config)
    instance = dg.DagsterInstance.ephemeral()
    ingest(settings, instance)
    summary = transform(settings, instance, as_of=END.isoformat())
    assert summary.failed_checks == []
    return settings


def size_band(workers: int) -> str:
    for limit, band in ((100, "1-99"), (1_000, "100-999"), (10_000, "1000-9999")):
        if workers < limit:
            return band
    return "10000+"


def expected_metrics(settings: Settings) -> dict[str, dict[str, Any]]:
    """Each client organization's type, band and metrics, read from the store and the published
    message and progress marts, sharing no code with the models."""
    organizations = [
        o["id"]
        for o in store_table(settings, "organizations").to_pylist()
        if o["type"] == "client" and o["deleted_at"] is None
    ]
    workers = defaultdict(list)
    for w in store_table(settings, "workers").to_pylist():
        if w["deleted_at"] is None:
            workers[w["organization_id"]].append(w)
    gold = Path(settings.lake_dir) / "gold"
    window_end = END + timedelta(days=1)
    replies = dict(
        (row[0], row[1])
        for row in duckdb.execute(
            f"""
            select organization_id,
                   count(*) filter (where replied_within_24h) / count(*)
            from read_parquet('{gold}/messages.parquet')
            where enrollment_id is not null and not is_follow_up and is_delivered
              and sent_at >= ?::timestamptz - interval 28 day and sent_at < ?::timestamptz
            group by organization_id
            """,
            [window_end.isoformat(), window_end.isoformat()],
        ).fetchall()
    )
    completion = dict(
        duckdb.execute(
            f"""
            select organization_id, count(*) filter (where state = 'completed') / count(*)
            from read_parquet('{gold}/worker_progress.parquet') where not is_holdout
            group by organization_id
            """
        ).fetchall()
    )
    expected = {}
    for organization in organizations:
        people = workers[organization]
        if not people:
            continue
        roles = Counter(w["job_role"] or "unspecified" for w in people)
        worker_type = min(roles, key=lambda role: (-roles[role], role))
        opted_in = [w for w in people if w["whatsapp_opt_in_at"] is not None]
        retained = [w for w in opted_in if w["whatsapp_opt_out_at"] is None]
        expected[organization] = {
            "worker_type": worker_type,
            "size_band": size_band(len(people)),
            "workers": len(people),
            "reply_rate": replies.get(organization),
            "completion_share": completion.get(organization),
            "retention_share": len(retained) / len(opted_in) if opted_in else None,
        }
    return expected


def rows(settings: Settings, mart: str) -> list[dict[str, Any]]:
    return pq.read_table(published_mart(settings.lake_dir, mart)).to_pylist()


def test_each_organization_is_typed_sized_and_measured_as_the_store_says(world) -> None:
    expected = expected_metrics(world)
    published = {r["organization_id"]: r for r in rows(world, "organization_metrics")}
    assert set(published) == set(expected) and len(expected) == 16
    for organization, truth in expected.items():
        row = published[organization]
        for column, value in truth.items():
            if isinstance(value, float):
                assert row[column] == pytest.approx(value, abs=1e-4), (organization, column)
            else:
                assert row[column] == value, (organization, column)


def test_only_cells_of_five_organizations_are_published_without_naming_any(world) -> None:
    cells = defaultdict(list)
    for truth in expected_metrics(world).values():
        cells[(truth["worker_type"], truth["size_band"])].append(truth)
    large = {cell: members for cell, members in cells.items() if len(members) >= MINIMUM}
    assert large and len(large) < len(cells)  # the world has cells on both sides of the line

    path = published_mart(world.lake_dir, "organization_benchmarks")
    assert path.parent.name == "gold"
    assert not {"organization_id", "name"} & set(pq.read_schema(path).names)
    published = {
        (r["worker_type"], r["size_band"]): r for r in rows(world, "organization_benchmarks")
    }
    assert set(published) == set(large)
    for cell, members in large.items():
        row = published[cell]
        assert row["organizations"] == len(members)
        assert all(row[f"{metric}_median"] is not None for metric in METRICS), row
        for metric in METRICS:
            values = [m[metric] for m in members if m[metric] is not None]
            for statistic, q in (("p25", 25), ("median", 50), ("p75", 75)):
                got = row[f"{metric}_{statistic}"]
                if len(values) < MINIMUM:
                    assert got is None, (cell, metric)
                else:
                    want = float(np.percentile(np.round(values, 4), q))
                    assert got == pytest.approx(want, abs=1e-4), (cell, metric, statistic)
