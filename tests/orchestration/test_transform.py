"""dbt inside Dagster on a small simulated world: the build is green and the marts tell the truth."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest

from coaching.settings import Settings
from coaching.simulator.config import SimulationConfig
from coaching.simulator.run import simulate
from orchestration.pipeline import ingest, transform
from tests.conftest import make_settings

END = date(2026, 11, 1)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict[str, Any], Any]:
    settings = make_settings(tmp_path_factory.mktemp("transform"))
    manifest = simulate(settings, SimulationConfig(seed=31, workers=1200, days=12, end_date=END))
    instance = dg.DagsterInstance.ephemeral()
    ingest(settings, instance)
    summary = transform(settings, instance, as_of=END.isoformat())
    return settings, manifest, summary


def gold(settings: Settings, mart: str) -> duckdb.DuckDBPyRelation:
    return duckdb.sql(
        f"select * from read_parquet('{Path(settings.lake_dir) / 'gold' / (mart + '.parquet')}')"
    )


def test_build_is_green_and_marts_are_published(built) -> None:
    settings, _, summary = built
    assert summary.failed_checks == []
    for mart, rows in summary.published.items():
        path = Path(settings.lake_dir) / "gold" / f"{mart}.parquet"
        assert pq.ParquetFile(path).metadata.num_rows == rows > 0


def test_progress_counts_match_the_simulated_sends(built) -> None:
    settings, manifest, _ = built
    raw = (
        Path(settings.lake_dir) / "raw" / "message_events"
    )  # landing and store events, as taken in
    truth = Path(settings.simulation_dir) / manifest["truth_file"]
    con = duckdb.connect()
    # Main (not follow-up) messages as the simulator wrote them, minus rows it planted as bad.
    expected = con.execute(
        f"""
        select count(distinct (enrollment_id, touchpoint_id))
        from read_parquet('{raw}/*.parquet', union_by_name = true)
        where kind = 'outbound' and not is_follow_up
          and event_key not in (select key from read_parquet('{truth}'))
        """
    ).fetchall()[0][0]
    sent = gold(settings, "worker_progress").aggregate("sum(touchpoints_sent)").fetchall()[0][0]
    assert sent == expected > 0


def test_opted_out_workers_are_marked(built) -> None:
    settings, manifest, _ = built
    opted = (
        gold(settings, "dim_workers").filter("is_opted_out").aggregate("count(*)").fetchall()[0][0]
    )
    assert opted == manifest["counts"]["opted_out_workers"]


def test_holdout_enrollments_receive_nothing(built) -> None:
    settings, _, _ = built
    rows = (
        gold(settings, "worker_progress")
        .filter("is_holdout")
        .aggregate("count(*), sum(touchpoints_sent)")
        .fetchall()[0]
    )
    assert rows[0] > 0 and rows[1] == 0


def test_every_message_has_one_resolved_status(built) -> None:
    settings, manifest, _ = built
    messages = gold(settings, "fct_messages")
    counts = dict(messages.aggregate("final_status, count(*)").fetchall())
    assert set(counts) <= {
        "accepted",
        "queued",
        "sent",
        "delivered",
        "read",
        "undelivered",
        "failed",
    }
    out_of_order = (
        messages.filter("had_out_of_order_callbacks").aggregate("count(*)").fetchall()[0][0]
    )
    assert out_of_order == pytest.approx(manifest["messages"]["out_of_order_statuses"], rel=0.1)
    replied = messages.filter("replied_within_24h").aggregate("count(*)").fetchall()[0][0]
    assert replied == pytest.approx(manifest["messages"]["replies_24h"], rel=0.05)
