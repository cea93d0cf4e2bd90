"""The whole loop on a small world: a program manager starts a program for a segment and ends
another; the build plans the enrollments, the sync applies them (rejecting a worker deleted since
the build), the rebuilt schedule sends to the new enrollments and nothing to the ended program or
to holdouts; callbacks and replies come back through the API's webhooks, and the next build sees
them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import dagster as dg
import duckdb
import numpy as np
from sqlalchemy import select

from activation.enrollment_sync import sync_enrollments
from coaching.experiments.assignment import bucket, choose
from coaching.lake import published_mart
from coaching.simulator.config import SimulationConfig
from coaching.simulator.run import simulate
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import Enrollment, ExperimentAssignment, Worker
from demo.loop import enroll, recorded_assignments, run_loop
from demo.scenario import NEW_PROGRAM_HOLDOUT, plant_programs
from orchestration.runs import ingest, transform
from tests.conftest import make_settings
from tests.worlds import published

END = date(2026, 11, 1)


def test_programs_enroll_their_segment_and_sends_come_back(tmp_path) -> None:
    settings = make_settings(tmp_path)
    simulate(settings, SimulationConfig(seed=41, workers=700, days=8, end_date=END))
    planted = plant_programs(settings, END)
    instance = dg.DagsterInstance.ephemeral()
    ingest(settings, instance)
    transform(settings, instance, as_of=END.isoformat())
    gold = settings.lake_dir / "gold"
    members = {
        worker
        for (worker,) in duckdb.sql(
            f"select worker_id from {published(settings.lake_dir, 'segment_membership')} "
            f"where segment_id = '{planted.segment_id}'"
        ).fetchall()
    }
    engine = store_engine(settings)
    with transaction(engine) as session:
        ended_before = set(
            session.scalars(
                select(Enrollment.id).where(
                    Enrollment.program_id == planted.ended_program_id, Enrollment.status == "active"
                )
            )
        )

    step = enroll(settings, planted, datetime.combine(END, time(0, 5), UTC), END.isoformat())

    with transaction(engine) as session:
        live = {
            w.id
            for w in session.scalars(select(Worker))
            if w.deleted_at is None and w.whatsapp_opt_out_at is None
        }
        added = {
            e.worker_id: e.is_holdout
            for e in session.scalars(
                select(Enrollment).where(Enrollment.program_id == planted.new_program_id)
            )
        }
        ended_after = dict(
            session.execute(
                select(Enrollment.id, Enrollment.status).where(Enrollment.id.in_(ended_before))
            ).all()
        )
    # The truth: the segment's members, less opted-out and deleted workers (one deleted after the
    # build is refused with its reason); holdouts by the stable hash of program and worker.
    assert step.deleted_worker in members and step.deleted_worker not in live
    assert set(added) == (members & live)
    assert all(
        held == (bucket(f"holdout:{planted.new_program_id}", worker) < NEW_PROGRAM_HOLDOUT)
        for worker, held in added.items()
    )
    new = next(p for p in step.applied.programs if p.program_id == planted.new_program_id)
    assert [r.reason for r in new.rejections] == ["the worker no longer exists"]
    assert ended_before and set(ended_after.values()) <= {"completed", "expired"}
    assert step.new_program_due > 0 and step.ended_program_planned == 0
    # Once applied, the rebuilt plan and the store agree; the one change left is the deleted
    # worker's other enrollments, which the rebuild now ends as dropped.
    again = sync_enrollments(engine, settings.lake_dir, dry_run=True)
    assert again.totals()["added"] == 0
    assert {(row.worker_id, row.desired_status) for p in again.programs for _, row in p.ends} <= {
        (step.deleted_worker, "dropped")
    }

    # The new program's experiment assigns its new enrollments by the stable hash, and the
    # evening variant's settings change their schedule (18:00, no nudges).
    def planted_variant(worker: str) -> str:
        variants = list(planted.variant_keys)  # control first
        return variants[
            int(choose(np.array([bucket(planted.experiment_salt, worker)]), [0.5, 0.5])[0])
        ]

    with duckdb.connect() as con:
        scheduled = con.execute(
            "select worker_id, program_variant_id, left(cast(local_send_time as varchar), 5), "
            "program_assignment_source, is_follow_up from read_parquet(?) where program_id = ?",
            [str(published_mart(settings.lake_dir, "activation_schedule")), planted.new_program_id],
        ).fetchall()
    assert scheduled and {key for key in step.new_program_variants} == {"journey", "evening"}
    for worker, variant, at, source, nudge in scheduled:
        assert variant == planted_variant(worker) and source == "computed"
        if planted.variant_keys[variant] == "evening":
            assert at == "18:00" and not nudge

    loop = run_loop(settings, reply_share=0.5)
    recorded = recorded_assignments(settings, planted)
    with transaction(engine) as session:
        stored = session.execute(
            select(ExperimentAssignment.worker_id, ExperimentAssignment.variant_id).where(
                ExperimentAssignment.experiment_id == planted.experiment_id
            )
        ).all()
    assert sum(recorded.values()) == len(stored) > 0
    assert all(variant == planted_variant(worker) for worker, variant in stored)
    log = settings.home / "twilio" / "messages.jsonl"
    assert loop.sent_by_program[planted.new_program_id] > 0
    assert loop.sent_by_program[planted.ended_program_id] == 0, loop.sent_by_program
    assert loop.sent_to_holdouts == 0
    assert loop.double_sent == 0 and loop.accepted_by_twilio == loop.sent_rows
    assert sum(loop.statuses.values()) == loop.sent_rows
    assert set(loop.statuses) <= {"delivered", "read", "undelivered", "failed"}
    assert loop.replies > 0
    # Every message Twilio accepted was rendered: no placeholder in any text or template variable.
    accepted = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(accepted) == loop.accepted_by_twilio
    bodies = [m["body"] or "" for m in accepted]
    variables = [v for m in accepted for v in json.loads(m["content_variables"] or "{}").values()]
    assert any("{{" not in b and b for b in bodies)
    assert not [text for text in bodies + variables if "{{" in text or "}}" in text]
    ingest(settings, instance)
    transform(settings, instance, as_of=END.isoformat())
    messages = gold / "messages.parquet"
    with duckdb.connect() as con:
        seen = con.execute(
            "select count(*), count(*) filter (where replies > 0) from read_parquet(?) f "
            "join read_json_auto(?) l on l.sid = f.message_sid",
            [str(messages), str(log)],
        ).fetchall()[0]
    assert seen[0] == loop.accepted_by_twilio  # every message Twilio accepted is in the mart
    assert seen[1] > 0  # and replies are attributed to them
    engine.dispose()
