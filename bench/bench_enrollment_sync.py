"""The enrollment sync at scale: a plan of many workers in many programs applied to the store,
against a hand-rolled sync measured in the same run (per planned row: look the enrollment up,
then insert or update it through the ORM, one transaction per program).

The world: `--workers` workers spread over `--programs` programs (one organization each); 80% of
them already enrolled; the plan enrolls every worker (20% additions, a tenth of them holdouts)
and ends 5% of the existing enrollments (the program calendar: not guarded). Both sides start
from the same store file (copied), in their own process, so each side's peak memory is its own.

    python bench/bench_enrollment_sync.py                      # 200,000 workers in 200 programs
    python bench/bench_enrollment_sync.py --workers 1000000    # the issue's scale (several minutes)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import GIB, measure
from coaching.lake import published_mart

NOW = datetime(2026, 11, 2, 0, 5, tzinfo=UTC)


def prepare(folder: Path, workers: int, programs: int) -> None:
    """The store and the published plan both sides start from."""
    from bench.measure import folder_store
    from coaching.store import migrate
    from coaching.store.bulk import insert_rows
    from coaching.store.types import new_id

    engine = folder_store(folder)
    migrate.upgrade(engine)
    stamp = {"created_at": NOW, "updated_at": NOW}
    orgs, journeys, program_rows, worker_rows, enrollment_rows, plan = [], [], [], [], [], []
    per_program = workers // programs
    for p in range(programs):
        org, journey, program = new_id(), new_id(), new_id()
        orgs.append({"id": org, "name": f"O{p}", "slug": f"o{p}", "type": "client",
                     "tier": "premium", "approval_status": "approved", "timezone": "UTC",
                     "monthly_message_quota": 10**6, "sms_fallback_enabled": False, **stamp})  # fmt: skip
        journeys.append({"id": journey, "organization_id": org, "name": "J",
                         "status": "published", "languages": ["en"],
                         "is_marketplace_listed": False, **stamp})  # fmt: skip
        program_rows.append({"id": program, "organization_id": org, "name": f"P{p}",
                             "journey_id": journey, "status": "active",
                             "starts_on": date(2026, 10, 1), "holdout_share": 0.1,
                             "channel": "whatsapp", "on_segment_exit": "keep",
                             "max_sync_change_share": 1.0, "objectives": {}, **stamp})  # fmt: skip
        for w in range(per_program):
            worker = new_id()
            worker_rows.append({"id": worker, "organization_id": org, "language": "en",
                                "phone_e164": f"+2547{p:03d}{w:05d}", "timezone": "UTC",
                                "attributes": {}, **stamp})  # fmt: skip
            enrolled = w < per_program * 0.8
            ends = enrolled and w < per_program * 0.05
            if enrolled:
                enrollment_rows.append({"id": new_id(), "organization_id": org,
                                        "program_id": program, "worker_id": worker,
                                        "enrolled_at": NOW, "status": "active",
                                        "is_holdout": False, **stamp})  # fmt: skip
            plan.append({"program_id": program, "organization_id": org, "worker_id": worker,
                         "desired_status": "expired" if ends else "active",
                         "is_holdout": not enrolled and w % 10 == 0,
                         "is_segment_driven": False, "program_problem": None,
                         "reason": "bench"})  # fmt: skip
    with engine.begin() as connection:
        for table, rows in (("organizations", orgs), ("journeys", journeys),
                            ("programs", program_rows), ("workers", worker_rows),
                            ("enrollments", enrollment_rows)):  # fmt: skip
            insert_rows(connection, table, rows)
    engine.dispose()
    target = published_mart(folder / "lake", "enrollment_plan")
    target.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(plan), target)


def run_sync(folder: Path) -> None:
    from activation.enrollment_sync import sync_enrollments
    from bench.measure import folder_store

    engine = folder_store(folder)
    totals = sync_enrollments(engine, folder / "lake", now=NOW).totals()
    print(totals["added"], totals["ended"])


def run_naive(folder: Path) -> None:
    """What a sync written without a diff looks like: one lookup and one ORM write per row."""
    from sqlalchemy import select

    from activation.enrollment_sync import read_plan
    from bench.measure import folder_store
    from coaching.store.engine import transaction
    from coaching.store.tables import Enrollment

    engine = folder_store(folder)
    added = ended = 0
    for program_id, rows in read_plan(folder / "lake").items():
        with transaction(engine) as session:
            for row in rows:
                current = session.scalar(
                    select(Enrollment).where(  # by the unique index, organization first
                        Enrollment.organization_id == row.organization_id,
                        Enrollment.program_id == program_id,
                        Enrollment.worker_id == row.worker_id,
                    )
                )
                if current is None and row.desired_status == "active":
                    session.add(Enrollment(organization_id=row.organization_id,
                                           program_id=program_id, worker_id=row.worker_id,
                                           enrolled_at=NOW, is_holdout=row.is_holdout))  # fmt: skip
                    added += 1
                elif current is not None and current.status == "active" != row.desired_status:
                    current.status, current.ended_at = row.desired_status, NOW
                    ended += 1
    print(added, ended)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=200_000)
    parser.add_argument("--programs", type=int, default=200)
    parser.add_argument("side", nargs="?", choices=["prepare", "sync", "naive"])
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.side == "prepare":
        return prepare(args.folder, args.workers, args.programs)
    if args.side in ("sync", "naive"):
        return (run_sync if args.side == "sync" else run_naive)(args.folder)

    root = Path(tempfile.mkdtemp(prefix="coach-bench-sync-"))
    try:
        base = root / "base"
        base.mkdir()
        size = ["--workers", str(args.workers), "--programs", str(args.programs)]
        prepared = measure([sys.executable, __file__, "prepare", "--folder", str(base), *size])
        print(f"world: {args.workers:,} workers in {args.programs} programs, "
              f"prepared in {prepared.seconds:.1f} s")  # fmt: skip
        results = {}
        for side in ("naive", "sync"):
            folder = root / side
            shutil.copytree(base, folder)
            results[side] = measure([sys.executable, __file__, side, "--folder", str(folder)])
            added, ended = results[side].stdout.split()
            print(f"{side:>6}: {results[side].seconds:7.1f} s, peak {results[side].peak_rss / GIB:.2f} "
                  f"GiB, added {int(added):,}, ended {int(ended):,}")  # fmt: skip
        assert results["sync"].stdout == results["naive"].stdout, "both sides must agree"
        ratio = results["naive"].seconds / results["sync"].seconds
        print(f"enrollment sync: {ratio:.1f}x faster than the per-row sync of the same plan")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
