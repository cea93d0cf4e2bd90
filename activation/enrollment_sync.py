"""The enrollment sync: the warehouse's enrollment plan applied to the store's enrollments, the
way warehouse-activation tools sync a computed model back into an operational system.

`enrollment_plan` (a published mart) says which enrollment each program's workers should have.
Each run diffs it against what the store holds *now*, per program:

- a planned `active` enrollment the store does not have is added (as a holdout when the stable
  hash says so); an active one the plan ends is ended with the planned status;
- everything else is unchanged, so a second run right after the first changes nothing;
- a change the store cannot take (the worker deleted since the build, another organization's
  worker) is rejected and kept with its reason;
- a program whose target segment did not evaluate changes nothing (`skipped`), and one whose
  additions and segment-driven ends exceed its `max_sync_change_share` of its active enrollments
  changes nothing (`stopped`): a bad segment never mass-enrolls or mass-ends. Other programs go on.

Every run writes one `enrollment_syncs` row per program; a dry run computes the same report and
writes nothing. The diff (`plan_program`) is a pure function; loading and writing are at the edges.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import Engine, select, update

from activation.outbox import insert_for
from coaching import clock
from coaching.domain import EnrollmentStatus, ProgramStatus, SyncStatus
from coaching.lake import published_mart
from coaching.store.engine import transaction
from coaching.store.tables import (
    Enrollment,
    EnrollmentSync,
    EnrollmentSyncRejection,
    Program,
    Worker,
)
from coaching.store.types import new_id, utcnow

PLAN = "enrollment_plan"
ACTOR = "enrollment-sync"
# Below this many active enrollments the largest-change guard does not apply: a new program's
# first fill is all additions by design.
GUARD_BASE = 20
CHUNK = 5_000


@dataclass(frozen=True)
class Planned:
    """One row of the enrollment plan."""

    program_id: str
    organization_id: str
    worker_id: str
    desired_status: str
    is_holdout: bool
    is_segment_driven: bool
    program_problem: str | None
    reason: str


@dataclass(frozen=True)
class Current:
    """A worker's enrollment in the program, as the store holds it now."""

    enrollment_id: str
    status: str


@dataclass(frozen=True)
class ProgramFacts:
    """What the store says now about the program and the workers the plan names."""

    organization_id: str | None  # None: the program is gone
    is_active: bool
    max_change_share: float
    enrollments: dict[str, Current]
    worker_organizations: dict[str, str]  # live workers only


@dataclass(frozen=True)
class Rejection:
    worker_id: str
    change: str  # add | end
    reason: str


@dataclass
class ProgramSync:
    """One program's part of a run: the changes, or why there are none."""

    program_id: str
    organization_id: str
    status: SyncStatus = SyncStatus.APPLIED
    reason: str | None = None
    adds: list[Planned] = field(default_factory=list)
    ends: list[tuple[Current, Planned]] = field(default_factory=list)
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def held_out(self) -> int:
        return sum(row.is_holdout for row in self.adds)

    @property
    def ended_by_status(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for _, row in self.ends:
            counts[row.desired_status] += 1
        return dict(sorted(counts.items()))

    def hold_back(self, status: SyncStatus, reason: str) -> None:
        """Change nothing for this program, and say why."""
        self.unchanged += len(self.adds) + len(self.ends)
        self.adds, self.ends, self.status, self.reason = [], [], status, reason


def plan_program(
    program_id: str, rows: Sequence[Planned], facts: ProgramFacts, guard_base: int = GUARD_BASE
) -> ProgramSync:
    """The diff of one program's plan against the store, with the guards applied."""
    organization_id = rows[0].organization_id if rows else (facts.organization_id or "")
    sync = ProgramSync(program_id, organization_id)
    if facts.organization_id is None or not facts.is_active:
        sync.unchanged = len(facts.enrollments)
        sync.status, sync.reason = SyncStatus.SKIPPED, "the program is no longer active"
        return sync
    problem = next((row.program_problem for row in rows if row.program_problem), None)
    if problem:
        sync.unchanged = len(facts.enrollments)
        sync.status, sync.reason = SyncStatus.SKIPPED, problem
        return sync
    for row in rows:
        current = facts.enrollments.get(row.worker_id)
        if row.desired_status == EnrollmentStatus.ACTIVE:
            if current is not None:
                sync.unchanged += 1
                continue
            owner = facts.worker_organizations.get(row.worker_id)
            if owner is None:
                sync.rejections.append(
                    Rejection(row.worker_id, "add", "the worker no longer exists")
                )
            elif owner != facts.organization_id:
                sync.rejections.append(
                    Rejection(row.worker_id, "add", "the worker belongs to another organization")
                )
            else:
                sync.adds.append(row)
        elif current is not None and current.status == EnrollmentStatus.ACTIVE:
            sync.ends.append((current, row))
        elif current is not None:
            sync.unchanged += 1
    planned = {row.worker_id for row in rows}
    sync.unchanged += sum(worker not in planned for worker in facts.enrollments)
    active = sum(c.status == EnrollmentStatus.ACTIVE for c in facts.enrollments.values())
    guarded = len(sync.adds) + sum(row.is_segment_driven for _, row in sync.ends)
    if active >= guard_base and guarded > facts.max_change_share * active:
        sync.hold_back(
            SyncStatus.STOPPED,
            f"would add or drop {guarded} against {active} active enrollments "
            f"({guarded / active:.0%}), more than the {facts.max_change_share:.0%} this program "
            "allows (max_sync_change_share)",
        )
    return sync


@dataclass
class SyncReport:
    run_id: str
    dry_run: bool
    programs: list[ProgramSync] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """Everything the run did, by name (Dagster metadata, the demo's tally)."""
        return {
            "programs": len(self.programs),
            "added": sum(len(p.adds) for p in self.programs),
            "held_out": sum(p.held_out for p in self.programs),
            "ended": sum(len(p.ends) for p in self.programs),
            "unchanged": sum(p.unchanged for p in self.programs),
            "rejected": sum(len(p.rejections) for p in self.programs),
            "skipped": sum(p.status == SyncStatus.SKIPPED for p in self.programs),
            "stopped": sum(p.status == SyncStatus.STOPPED for p in self.programs),
        }

    def describe(self, names: dict[str, str] | None = None) -> str:
        names = names or {}
        verb = "would change" if self.dry_run else "changed"
        lines = [f"enrollment sync ({'dry run' if self.dry_run else 'applied'}): {verb}"]
        for p in self.programs:
            ended = ", ".join(f"{s} {n}" for s, n in p.ended_by_status.items()) or "none"
            line = (
                f"  {names.get(p.program_id, p.program_id):<36} {p.status:<8} "
                f"added {len(p.adds)} (held out {p.held_out}), ended {len(p.ends)} ({ended}), "
                f"unchanged {p.unchanged}, rejected {len(p.rejections)}"
            )
            lines.append(line + (f": {p.reason}" if p.reason else ""))
        if not self.programs:
            lines.append("  no active program in the plan")
        return "\n".join(lines)


# --- reading --------------------------------------------------------------------------------


def plan_version(lake_dir: Path | str) -> int | None:
    """Which published plan is there (its file is replaced whole on every build), or None."""
    path = published_mart(lake_dir, PLAN)
    return path.stat().st_mtime_ns if path.exists() else None


def read_plan(lake_dir: Path | str) -> dict[str, list[Planned]]:
    """The published plan by program; empty when no build has published it yet."""
    path = published_mart(lake_dir, PLAN)
    if not path.exists():
        return {}
    names = [f for f in Planned.__dataclass_fields__]
    table = pq.read_table(path, columns=names)
    by_program: dict[str, list[Planned]] = defaultdict(list)
    for record in table.to_pylist():
        by_program[record["program_id"]].append(Planned(**record))
    return dict(by_program)


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def load_facts(
    engine: Engine, organization_id: str, program_id: str, worker_ids: Sequence[str]
) -> ProgramFacts:
    with transaction(engine) as session:
        program = session.get(Program, program_id)
        enrollments = {
            worker: Current(enrollment, status)
            for enrollment, worker, status in session.execute(
                select(Enrollment.id, Enrollment.worker_id, Enrollment.status).where(
                    # Organization first: the (organization, program, worker) index serves it.
                    Enrollment.organization_id == organization_id,
                    Enrollment.program_id == program_id,
                    Enrollment.deleted_at.is_(None),
                )
            )
        }
        owners: dict[str, str] = {}
        for chunk in _chunks(sorted(set(worker_ids))):
            owners.update(
                session.execute(
                    select(Worker.id, Worker.organization_id).where(
                        Worker.id.in_(chunk), Worker.deleted_at.is_(None)
                    )
                ).all()
            )
    live = program is not None and program.deleted_at is None
    return ProgramFacts(
        organization_id=program.organization_id if live else None,
        is_active=live and program.status == ProgramStatus.ACTIVE,
        max_change_share=program.max_sync_change_share if live else 0.0,
        enrollments=enrollments,
        worker_organizations=owners,
    )


# --- writing --------------------------------------------------------------------------------


def _apply(engine: Engine, run_id: str, sync: ProgramSync, now: datetime) -> None:
    """One program's changes, its rejections and its log row, in one transaction. `now` dates
    the enrollments (enrolled, ended); the audit columns carry the real time of the write, since
    ingestion moves rows by the `updated_at` watermark."""
    written = utcnow()
    stamp = {"created_at": written, "updated_at": written, "created_by": ACTOR, "updated_by": ACTOR}
    with transaction(engine) as session:
        if sync.adds:
            # The unique (organization, program, worker) index makes a concurrent add a no-op;
            # one executemany (insertmanyvalues) with RETURNING says which rows went in.
            statement = (
                insert_for(engine)(Enrollment.__table__)
                .on_conflict_do_nothing()
                .returning(Enrollment.__table__.c.worker_id)
            )
            rows = [
                {
                    "id": new_id(),
                    "organization_id": row.organization_id,
                    "program_id": row.program_id,
                    "worker_id": row.worker_id,
                    "enrolled_at": now,
                    "status": EnrollmentStatus.ACTIVE,
                    "is_holdout": row.is_holdout,
                    "ended_at": None,
                    **stamp,
                    "deleted_at": None,
                }
                for row in sync.adds
            ]
            added = set(session.execute(statement, rows).scalars())
            sync.unchanged += len(sync.adds) - len(added)
            sync.adds = [row for row in sync.adds if row.worker_id in added]
        ended: set[str] = set()
        by_status: dict[str, list[str]] = defaultdict(list)
        for current, row in sync.ends:
            by_status[row.desired_status].append(current.enrollment_id)
        for status, ids in by_status.items():
            for chunk in _chunks(ids):
                # Only rows still active: an enrollment ended meanwhile is left as it is.
                ended.update(
                    session.scalars(
                        update(Enrollment)
                        .where(Enrollment.id.in_(chunk), Enrollment.status == "active")
                        .values(status=status, ended_at=now, updated_at=written, updated_by=ACTOR)
                        .returning(Enrollment.id)
                    )
                )
        sync.unchanged += len(sync.ends) - len(ended)
        sync.ends = [(c, r) for c, r in sync.ends if c.enrollment_id in ended]
        if sync.rejections:
            session.execute(
                insert_for(engine)(EnrollmentSyncRejection),
                [
                    {
                        "id": new_id(),
                        "organization_id": sync.organization_id,
                        "run_id": run_id,
                        "program_id": sync.program_id,
                        "worker_id": r.worker_id,
                        "change": r.change,
                        "reason": r.reason,
                        **stamp,
                    }
                    for r in sync.rejections
                ],
            )
        session.add(
            EnrollmentSync(
                organization_id=sync.organization_id,
                run_id=run_id,
                program_id=sync.program_id,
                started_at=now,
                status=sync.status,
                reason=sync.reason,
                added=len(sync.adds),
                held_out=sync.held_out,
                ended=len(sync.ends),
                unchanged=sync.unchanged,
                rejected=len(sync.rejections),
                **stamp,
            )
        )


def sync_enrollments(
    engine: Engine, lake_dir: Path | str, *, dry_run: bool = False, now: datetime | None = None
) -> SyncReport:
    """Apply the published plan (or, with `dry_run`, only say what would change)."""
    now = now or clock.now()
    report = SyncReport(run_id=new_id(), dry_run=dry_run)
    for program_id, rows in sorted(read_plan(lake_dir).items()):
        organization_id = rows[0].organization_id
        facts = load_facts(engine, organization_id, program_id, [r.worker_id for r in rows])
        sync = plan_program(program_id, rows, facts)
        if not dry_run and sync.organization_id:
            _apply(engine, report.run_id, sync, now)
        report.programs.append(sync)
    return report


def program_names(engine: Engine) -> dict[str, str]:
    with transaction(engine) as session:
        return dict(session.execute(select(Program.id, Program.name)).all())
