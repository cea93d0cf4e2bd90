"""The whole loop on a small world: build, activation through the Dagster asset's sender to the
emulator, callbacks and replies through the API's webhooks, and a second build that sees them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from coaching.simulator.config import SimulationConfig
from coaching.simulator.run import simulate
from demo.loop import run_loop
from orchestration.runs import ingest, transform
from tests.conftest import make_settings

END = date(2026, 11, 1)


def test_sends_come_back_as_events_the_next_build_sees(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    simulate(settings, SimulationConfig(seed=41, workers=700, days=8, end_date=END))
    instance = dg.DagsterInstance.ephemeral()
    ingest(settings, instance)
    transform(settings, instance, as_of=END.isoformat())
    loop = run_loop(settings, reply_share=0.5)
    sent = loop.activation.get("sent", 0)
    assert sent > 20
    assert loop.double_sent == 0 and loop.accepted_by_twilio == loop.sent_rows
    assert sum(loop.statuses.values()) == loop.sent_rows
    assert set(loop.statuses) <= {"delivered", "read", "undelivered", "failed"}
    assert loop.replies > 0
    ingest(settings, instance)
    transform(settings, instance, as_of=END.isoformat())
    fct = settings.lake_dir / "gold" / "messages.parquet"
    log = settings.home / "twilio" / "messages.jsonl"
    with duckdb.connect() as con:
        seen = con.execute(
            "select count(*), count(*) filter (where replies > 0) from read_parquet(?) f "
            "join read_json_auto(?) l on l.sid = f.message_sid",
            [str(fct), str(log)],
        ).fetchall()[0]
    assert seen[0] == loop.accepted_by_twilio  # every message Twilio accepted is in the mart
    assert seen[1] > 0  # and replies are attributed to them
