"""Incremental where it pays: a day more of a world is taken in by recomputing only what it
touched, and a full refresh gives the same rows."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from coaching.settings import Settings
from coaching.simulator.config import SimulationConfig
from coaching.simulator.continuation import continue_world
from coaching.simulator.run import simulate
from coaching.store.engine import store_engine
from coaching.store.tables import MessageEvent
from orchestration.lib import bronze_build
from orchestration.lib.warehouse import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_vars
from orchestration.runs import ingest
from tests.conftest import make_settings

MODELS = ["message_status_ranks", "stg_lake__message_events", "int_message_statuses",
          "int_message_replies", "stg_store__enrollments", "stg_store__touchpoints",
          "stg_store__content", "int_content_options", "messages"]  # fmt: skip
COMPARED = {
    "int_message_statuses": "select * exclude (ingested_at, built_at) "
    "from intermediate.int_message_statuses",
    "int_message_replies": "select * exclude (ingested_at, built_at) "
    "from intermediate.int_message_replies",
    "messages": "select * exclude (built_at) from marts.messages",
}


def _dbt_run(settings: Settings, *extra: str) -> None:
    variables = dbt_vars(settings.lake_dir, settings.warehouse_path, "2026-11-02")
    done = subprocess.run(
        [DBT_EXECUTABLE, "build", "--select", *MODELS, "--resource-type", "seed",
         "--resource-type", "model", "--vars", variables, *extra],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]


def _rows(settings: Settings) -> tuple[dict[str, list[tuple]], dict]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        rows = {
            name: sorted(con.sql(query).fetchall(), key=repr) for name, query in COMPARED.items()
        }
        built = dict(
            con.sql(
                "select built_at, count(*) from intermediate.int_message_statuses group by 1"
            ).fetchall()
        )
    finally:
        con.close()
    return rows, built


def _replies(settings: Settings, message_sid: str) -> int:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(
            "select replies from marts.messages where message_sid = ?", [message_sid]
        ).fetchall()[0][0]
    finally:
        con.close()


def _send_late(settings: Settings) -> dict:
    """A message sent before one of the replies already built, whose event reaches the store only
    now (a sender that crashed before recording it, say): the reply is now its, not the older
    message's."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        reply = (
            con.sql(
                "select r.inbound_sid, r.received_at, r.in_reply_to_sid, s.* exclude (message_sid) "
                "from intermediate.int_message_replies r join intermediate.int_message_statuses s "
                "on s.message_sid = r.in_reply_to_sid "
                "where r.received_at > r.in_reply_to_sent_at + interval 10 minute "
                # the older message's events all lie in earlier days, which ingestion leaves alone:
                # only the reply's move can make the build recompute it
                "and cast(r.received_at as date) > cast(greatest(s.sent_at, s.delivered_at, "
                "s.read_at, s.failed_at) as date) "
                "order by r.received_at, r.inbound_sid limit 1"
            )
            .fetchdf()
            .to_dict("records")[0]
        )
    finally:
        con.close()
    engine = store_engine(settings)
    table = MessageEvent.__table__
    with engine.begin() as connection:
        event = dict(
            connection.execute(table.select().where(table.c.kind == "outbound").limit(1))
            .mappings()
            .one()
        )
        event.pop("id")
        sid = "SM" + "1a7e" * 8
        event.update(
            message_sid=sid, event_key=f"{sid}:outbound", organization_id=reply["organization_id"],
            worker_id=reply["worker_id"], to_number=reply["to_number"],
            from_number=reply["from_number"], channel=reply["channel"],
            enrollment_id=reply["enrollment_id"], touchpoint_id=reply["touchpoint_id"],
            experiment_variant_id=None, occurred_at=reply["received_at"] - timedelta(minutes=1),
        )  # fmt: skip
        connection.execute(table.insert().values(**event))
    engine.dispose()
    return {"inbound_sid": reply["inbound_sid"], "before": reply["in_reply_to_sid"], "late": sid}


@pytest.fixture(scope="module")
def next_day(tmp_path_factory: pytest.TempPathFactory) -> dict:
    settings = make_settings(tmp_path_factory.mktemp("incremental"))
    # A batch per bronze day, as a large lake has: each day carries its own ingestion time.
    patch = pytest.MonkeyPatch()
    patch.setattr(bronze_build, "ROWS_PER_BATCH", 1)
    simulate(settings, SimulationConfig(seed=17, workers=500, days=6, end_date=date(2026, 11, 1)))
    instance = dg.DagsterInstance.ephemeral()
    ingest(settings, instance)
    _dbt_run(settings)
    before, _ = _rows(settings)
    late = _send_late(settings)
    late["replies_before"] = _replies(settings, late["before"])
    continue_world(settings, 1)
    ingest(settings, instance)
    _dbt_run(settings)
    incremental, built = _rows(settings)
    late["replies"] = {sid: _replies(settings, sid) for sid in (late["before"], late["late"])}
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    late["attributed_to"] = con.execute(
        "select in_reply_to_sid from intermediate.int_message_replies where inbound_sid = ?",
        [late["inbound_sid"]],
    ).fetchall()[0][0]
    con.close()
    _dbt_run(settings, "--full-refresh")
    full, _ = _rows(settings)
    patch.undo()
    return {"before": before, "incremental": incremental, "built": built, "full": full,
            "late": late}  # fmt: skip


@pytest.mark.parametrize("model", list(COMPARED))
def test_the_next_day_built_incrementally_equals_a_full_refresh(next_day, model: str) -> None:
    assert next_day["incremental"][model] == next_day["full"][model]
    assert len(next_day["incremental"][model]) > len(next_day["before"][model])


def test_a_message_ingested_late_takes_the_replies_after_it(next_day) -> None:
    """The incremental build moved the reply to the late message, and off the older one."""
    late = next_day["late"]
    assert late["attributed_to"] == late["late"]
    assert late["replies"][late["late"]] >= 1
    assert late["replies"][late["before"]] == late["replies_before"] - 1


def test_the_next_day_recomputes_only_some_messages(next_day) -> None:
    """Messages of the first days, whose events were not rewritten, keep their first build."""
    built = next_day["built"]
    assert len(built) == 2, "rows of the full build and rows of the incremental one"
    kept = built[min(built)]
    assert 0 < kept < len(next_day["incremental"]["int_message_statuses"])
