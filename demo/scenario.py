"""What a program manager does to the demo's world before the pipeline runs, so the closed loop
has something to close: a new program for a segment nobody enrolled by hand, with a program-level
experiment on its send time and nudges, and a program that has ended. After the build, a member of the new program's segment is deleted, as happens between
a build and a sync, so the sync has a change to refuse.

The changes go into the store the way the API writes them (rows with audit columns), and the
planted truth is kept here for the report and the tests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
from sqlalchemy import select

from coaching import clock
from coaching.domain import ExperimentLevel, ExperimentStatus, ProgramStatus, SegmentKind
from coaching.lake import published_mart
from coaching.settings import Settings
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import (
    Experiment,
    ExperimentVariant,
    Organization,
    Program,
    Segment,
    Worker,
)

ACTOR = "demo:program-manager"
NEW_PROGRAM_HOLDOUT = 0.1
# The new program's experiment: the journey's own send times and nudges against evenings
# without nudges (what a program-level variant may change).
EVENING_SETTINGS = {"send_time": "18:00:00", "follow_up": {"max_nudges": 0}}


@dataclass(frozen=True)
class PlantedPrograms:
    new_program_id: str
    new_program_name: str
    segment_id: str
    segment_name: str
    ended_program_id: str
    ended_program_name: str
    ended_on: date
    experiment_id: str
    experiment_name: str
    experiment_salt: str
    variant_keys: dict[str, str]  # variant id -> key, control first


def plant_programs(settings: Settings, end_date: date) -> PlantedPrograms:
    """A new program starting on the world's last day for the first client organization's
    performance segment, and the second program's end moved to two days before."""
    engine = store_engine(settings)
    with transaction(engine) as session:
        programs = list(
            session.scalars(
                select(Program)
                .join(Organization, Organization.id == Program.organization_id)
                .where(Program.status == ProgramStatus.ACTIVE)
                .order_by(Organization.slug)
            )
        )
        first, second = programs[0], programs[1]
        segment = session.scalars(
            select(Segment).where(
                Segment.organization_id == first.organization_id,
                Segment.kind == SegmentKind.PERFORMANCE,
            )
        ).first()
        assert segment is not None, "the simulator gives every organization a performance segment"
        new = Program(
            # Derived from the world's own ids, so the demo's holdouts are the same every run.
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"coach-demo:{first.id}:refresher")),
            organization_id=first.organization_id,
            name=f"{segment.name} refresher",
            journey_id=first.journey_id,
            segment_id=segment.id,
            status=ProgramStatus.ACTIVE,
            starts_on=end_date,
            holdout_share=NEW_PROGRAM_HOLDOUT,
            objectives={"completion_share": 0.5, "reply_rate": 0.4},
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        session.add(new)
        session.flush()
        experiment = Experiment(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"coach-demo:{new.id}:evenings")),
            organization_id=new.organization_id,
            name=f"{new.name}: evenings without nudges",
            level=ExperimentLevel.PROGRAM,
            hypothesis="Evening sends get replies without nudging.",
            program_id=new.id,
            status=ExperimentStatus.RUNNING,
            salt=f"demo-{new.id[:8]}",
            primary_metric="reply_rate_24h",
            guardrail_metrics=["opt_out_rate"],
            created_by=ACTOR,
            updated_by=ACTOR,
        )
        session.add(experiment)
        session.flush()
        variants = [
            ExperimentVariant(experiment_id=experiment.id, key="journey", name="The journey's",
                              is_control=True, weight=0.5, settings={}),
            ExperimentVariant(experiment_id=experiment.id, key="evening", name="Evenings",
                              weight=0.5, settings=EVENING_SETTINGS),
        ]  # fmt: skip
        for variant in variants:
            variant.organization_id = new.organization_id
            variant.created_by = variant.updated_by = ACTOR
            session.add(variant)
        ended_on = end_date - timedelta(days=2)
        second.ends_on = ended_on
        second.updated_by = ACTOR
        session.flush()
        planted = PlantedPrograms(
            new.id, new.name, segment.id, segment.name, second.id, second.name, ended_on,
            experiment.id, experiment.name, experiment.salt, {v.id: v.key for v in variants},
        )  # fmt: skip
    engine.dispose()
    return planted


def delete_a_planned_member(settings: Settings, planted: PlantedPrograms) -> str | None:
    """Soft-delete one worker the enrollment plan would add to the new program (after the build,
    before the sync); returns the worker's id."""
    path = published_mart(settings.lake_dir, "enrollment_plan")
    with duckdb.connect() as con:
        row = con.execute(
            "select worker_id from read_parquet(?) where program_id = ? "
            "and desired_status = 'active' and enrollment_id is null order by worker_id limit 1",
            [str(path), planted.new_program_id],
        ).fetchone()
    if row is None:
        return None
    engine = store_engine(settings)
    with transaction(engine) as session:
        worker = session.get(Worker, row[0])
        assert worker is not None
        worker.deleted_at = clock.now()
        worker.updated_by = ACTOR
    engine.dispose()
    return row[0]
