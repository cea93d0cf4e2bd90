"""The enrollment sync: the plan applied to the store by diff, on SQLite and PostgreSQL. Adds and
ends, a re-run that changes nothing, a dry run that changes nothing, rejected rows kept with
their reasons, the largest-change guard, and a segment that did not evaluate."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from activation.enrollment_sync import (
    Current,
    Planned,
    ProgramFacts,
    plan_program,
    sync_enrollments,
)
from coaching.domain import SyncStatus
from coaching.lake import published_mart
from coaching.store import migrate
from coaching.store.engine import make_engine, store_engine, transaction
from coaching.store.tables import (
    Enrollment,
    EnrollmentSync,
    EnrollmentSyncRejection,
    Journey,
    Program,
    Worker,
)
from coaching.store.types import new_id
from tests.activation.factories import sending_organization
from tests.store_keys import TEST_FIELD_KEYS

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def planned(worker: str, status: str = "active", **values) -> Planned:
    defaults = {
        "program_id": "p", "organization_id": "o", "worker_id": worker, "desired_status": status,
        "is_holdout": False, "is_segment_driven": False, "program_problem": None, "reason": "",
    }  # fmt: skip
    return Planned(**{**defaults, **values})


def facts(active: int = 0, share: float = 0.25, **values) -> ProgramFacts:
    enrollments = {f"a{i}": Current(f"e{i}", "active") for i in range(active)}
    owners = {f"a{i}": "o" for i in range(active)} | {f"n{i}": "o" for i in range(100)}
    defaults = {"organization_id": "o", "is_active": True, "max_change_share": share,
                "enrollments": enrollments, "worker_organizations": owners}  # fmt: skip
    return ProgramFacts(**{**defaults, **values})


# --- the diff, as a pure function ---------------------------------------------------------------


def test_members_are_added_and_planned_ends_end_active_enrollments() -> None:
    rows = [planned("n0"), planned("n1", is_holdout=True), planned("a0"), planned("a1", "expired")]
    sync = plan_program("p", rows, facts(active=3))
    assert [r.worker_id for r in sync.adds] == ["n0", "n1"] and sync.held_out == 1
    assert [(c.enrollment_id, r.desired_status) for c, r in sync.ends] == [("e1", "expired")]
    assert sync.unchanged == 2  # a0 stays active; a2 is not in the plan and is left alone
    assert sync.status == SyncStatus.APPLIED


def test_a_first_fill_is_not_held_back_but_a_mass_change_is() -> None:
    first = plan_program("p", [planned(f"n{i}") for i in range(60)], facts(active=0))
    assert first.status == SyncStatus.APPLIED and len(first.adds) == 60
    rows = [planned(f"a{i}", "dropped", is_segment_driven=True) for i in range(30)]
    mass = plan_program("p", rows, facts(active=40, share=0.5))
    assert mass.status == SyncStatus.STOPPED and mass.adds == [] and mass.ends == []
    assert "30 against 40 active enrollments (75%)" in mass.reason
    assert mass.unchanged == 40
    # The calendar ending a program is no segment accident: not guarded.
    expired = plan_program("p", [planned(f"a{i}", "expired") for i in range(40)], facts(active=40))
    assert expired.status == SyncStatus.APPLIED and len(expired.ends) == 40


def test_a_segment_that_did_not_evaluate_changes_nothing() -> None:
    rows = [planned("a0", program_problem="the target segment did not evaluate: boom")]
    sync = plan_program("p", rows, facts(active=25))
    assert sync.status == SyncStatus.SKIPPED and "boom" in sync.reason
    assert sync.adds == [] and sync.ends == [] and sync.unchanged == 25


def test_changes_the_store_cannot_take_are_rejected_with_reasons() -> None:
    rows = [planned("gone"), planned("stranger"), planned("n0")]
    owners = {"stranger": "other", "n0": "o"}
    sync = plan_program("p", rows, facts(worker_organizations=owners))
    assert [(r.worker_id, r.reason) for r in sync.rejections] == [
        ("gone", "the worker no longer exists"),
        ("stranger", "the worker belongs to another organization"),
    ]
    assert [r.worker_id for r in sync.adds] == ["n0"]
    assert plan_program("p", rows, facts(is_active=False)).status == SyncStatus.SKIPPED


# --- against the store ---------------------------------------------------------------------------


def seed_program(engine) -> tuple[str, str, list[str]]:
    """An organization with one active program, 30 workers, the first 20 enrolled."""
    with transaction(engine) as session:
        org = sending_organization(session, f"org-{new_id()[:8]}", "+14155550100")
        journey = Journey(organization_id=org.id, name="J", status="published")
        session.add(journey)
        session.flush()
        program = Program(organization_id=org.id, name="P", journey_id=journey.id,
                          status="active", starts_on=date(2026, 10, 1),
                          max_sync_change_share=0.5)  # fmt: skip
        session.add(program)
        workers = [
            Worker(organization_id=org.id, phone_e164=f"+2547000{i:05d}", language="en")
            for i in range(30)
        ]
        session.add_all(workers)
        session.flush()
        enrolled = {"organization_id": org.id, "program_id": program.id, "enrolled_at": NOW}
        session.add_all(Enrollment(**enrolled, worker_id=w.id) for w in workers[:20])
        return org.id, program.id, [w.id for w in workers]


@pytest.fixture
def world(private_store_url: str, tmp_path: Path):
    """A store of the test's own: the sync reads and writes every enrollment in it."""
    engine = make_engine(private_store_url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    ids = seed_program(engine)
    yield engine, tmp_path / "lake", *ids
    engine.dispose()


def publish(lake: Path, rows: list[Planned]) -> None:
    path = published_mart(lake, "enrollment_plan")
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([(n, pa.bool_() if n.startswith("is_") else pa.string())
                        for n in Planned.__dataclass_fields__])  # fmt: skip
    pq.write_table(pa.Table.from_pylist([asdict(r) for r in rows], schema=schema), path)


def enrollments(engine) -> dict[str, tuple[str, bool]]:
    with transaction(engine) as session:
        return {
            w: (s, h)
            for w, s, h in session.execute(
                select(Enrollment.worker_id, Enrollment.status, Enrollment.is_holdout)
            )
        }


def test_the_sync_adds_ends_and_a_rerun_or_a_dry_run_changes_nothing(world) -> None:
    engine, lake, org, program, workers = world
    rows = [planned(w, program_id=program, organization_id=org) for w in workers[:18]]
    rows += [
        planned(w, "completed", program_id=program, organization_id=org) for w in workers[18:20]
    ]
    rows += [planned(w, program_id=program, organization_id=org, is_holdout=i == 0)
             for i, w in enumerate(workers[20:25])]  # fmt: skip
    publish(lake, rows)
    before = enrollments(engine)
    dry = sync_enrollments(engine, lake, dry_run=True, now=NOW)
    assert dry.totals()["added"] == 5 and dry.totals()["ended"] == 2
    assert enrollments(engine) == before  # a dry run writes nothing, not even the log
    with transaction(engine) as session:
        assert session.scalars(select(EnrollmentSync)).all() == []

    report = sync_enrollments(engine, lake, now=NOW)
    totals = report.totals()
    assert (totals["added"], totals["held_out"], totals["ended"], totals["rejected"]) == (
        5,
        1,
        2,
        0,
    )
    after = enrollments(engine)
    assert len(after) == 25 and after[workers[20]] == ("active", True)
    assert after[workers[18]][0] == after[workers[19]][0] == "completed"

    again = sync_enrollments(engine, lake, now=NOW)
    assert again.totals()["added"] == again.totals()["ended"] == 0
    assert again.totals()["unchanged"] == 25
    assert enrollments(engine) == after
    with transaction(engine) as session:
        log = session.scalars(select(EnrollmentSync).order_by(EnrollmentSync.added.desc())).all()
    assert [(r.status, r.added, r.ended) for r in log] == [("applied", 5, 2), ("applied", 0, 0)]


def test_rejected_rows_are_stored_and_the_guard_stops_one_program(world) -> None:
    engine, lake, org, program, workers = world
    with transaction(engine) as session:
        session.get(Worker, workers[25]).deleted_at = NOW
    rows = [planned(workers[25], program_id=program, organization_id=org)]
    rows += [planned(w, program_id=program, organization_id=org) for w in workers[26:28]]
    publish(lake, rows)
    report = sync_enrollments(engine, lake, now=NOW)
    assert report.totals()["rejected"] == 1 and report.totals()["added"] == 2
    with transaction(engine) as session:
        (rejection,) = session.scalars(select(EnrollmentSyncRejection)).all()
    assert (rejection.worker_id, rejection.reason) == (workers[25], "the worker no longer exists")

    # 15 of 22 active workers leaving the segment at once: held back, nothing changes.
    leaving = [planned(w, "dropped", program_id=program, organization_id=org,
                       is_segment_driven=True) for w in workers[:15]]  # fmt: skip
    publish(lake, leaving)
    before = enrollments(engine)
    stopped = sync_enrollments(engine, lake, now=NOW)
    (only,) = stopped.programs
    assert only.status == SyncStatus.STOPPED and "max_sync_change_share" in only.reason
    assert enrollments(engine) == before


def test_the_dagster_asset_syncs_and_its_check_names_a_program_held_back(tmp_path: Path) -> None:
    import dagster as dg

    from orchestration.defs.activation.assets import PROGRAMS_SYNCED, enrollment_sync
    from orchestration.resources import default_resources
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    engine = store_engine(settings)
    migrate.upgrade(engine)
    org, program, workers = seed_program(engine)
    problem = "the target segment did not evaluate: unknown feature shoe_size"
    publish(settings.lake_dir, [planned(w, "dropped", program_id=program, organization_id=org,
                                        program_problem=problem) for w in workers[:20]])  # fmt: skip
    before = enrollments(engine)
    result = dg.materialize([enrollment_sync], resources=default_resources(settings))
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == PROGRAMS_SYNCED and not check.passed
    assert problem in str(check.metadata["held_back"].value)
    (materialization,) = result.get_asset_materialization_events()
    metadata = materialization.event_specific_data.materialization.metadata
    assert metadata["skipped"].value == 1 and metadata["ended"].value == 0
    assert enrollments(engine) == before  # a segment that failed never mass-ends enrollments
    with transaction(engine) as session:
        (log,) = session.scalars(select(EnrollmentSync)).all()
    assert (log.status, log.reason, log.unchanged) == ("skipped", problem, 20)
    engine.dispose()
