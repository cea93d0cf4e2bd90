"""The branching schedule at scale: each enrollment's next step decided by the journey state
machine (`journey_states`, compiled by dbt, then joined to the plan as `int_schedule_candidates`
does), against the linear schedule it replaced (the first unsent touchpoint on its day offset),
measured in the same run on the same warehouse.

The warehouse is synthetic and built in DuckDB: `--workers` enrollments spread over `--programs`
programs, each journey the simulator's (eight main touchpoints over three weeks and four branches
behind a wrong quiz answer, a low check-in, two silent days and the COACH keyword), every
enrollment part-way through it with the main messages of its days sent and half of them answered.
Each side runs in its own process, so each side's peak memory is its own.

    python bench/bench_journey_schedule.py                      # 200,000 workers in 200 programs
    python bench/bench_journey_schedule.py --workers 1000000    # the issue's scale
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import GIB, measure

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-01"
OFFSETS = (0, 1, 3, 5, 7, 10, 14, 21)  # the main flow
KINDS = ("message", "quiz", "message", "check_in", "message", "quiz", "reflection", "check_in")
# (source position, rule kind, keyword, quiz_correct, below_score, branch position, after_days)
RULES = (
    (1, "quiz_answer", None, False, None, 8, 1),
    (3, "check_in_below", None, None, 3, 9, 1),
    (4, "no_reply", None, None, None, 10, 2),
    (6, "reply_keyword", "COACH", None, None, 11, 1),
)
RETURNS_TO = {8: 2, 9: 4, 10: 5, 11: 7}

LINEAR = """
create table schedule as
select plan.enrollment_id, plan.touchpoint_id,
    cast(timezone(workers.timezone, plan.enrolled_at) as date) + plan.effective_day_offset as local_date
from intermediate.int_enrollment_touchpoints as plan
inner join marts.workers as workers on workers.worker_id = plan.worker_id
where not plan.is_sent and not plan.is_branch
qualify row_number() over (partition by plan.enrollment_id order by plan.position) = 1
"""

BRANCHING = """
create table schedule as
with states as (
{states}
)
select plan.enrollment_id, plan.touchpoint_id, states.next_local_date as local_date
from intermediate.int_enrollment_touchpoints as plan
inner join states
    on states.enrollment_id = plan.enrollment_id
    and states.next_touchpoint_id = plan.touchpoint_id
inner join marts.workers as workers on workers.worker_id = plan.worker_id
where not plan.is_sent
"""


def prepare(folder: Path, workers: int, programs: int) -> None:
    """The synthetic warehouse both sides read."""
    import duckdb

    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    con.execute("create schema intermediate; create schema marts")
    con.execute(
        "create table steps as select * from (values "
        + ", ".join(
            f"({p}, {'true' if p >= 8 else 'false'}, "
            f"{RETURNS_TO.get(p, p + 1 if p < 7 else 'null')}, "
            f"{OFFSETS[p] if p < 8 else 0}, '{KINDS[p] if p < 8 else 'message'}')"
            for p in range(12)
        )
        + ") as t(position, is_branch, flow_next_position, day_offset, kind)"
    )
    con.execute(
        f"""
        create table enrollments as
        select 'e' || i as enrollment_id, 'o' || (i % {programs}) as organization_id,
            'p' || (i % {programs}) as program_id, 'w' || i as worker_id,
            timestamptz '2026-10-01 06:00:00+00' + to_days(cast(i % 31 as integer)) as enrolled_at,
            -- how far along: the main touchpoints of the days since enrollment, sent
            (select count(*) from steps where not is_branch
                and day_offset <= date_diff('day', date '2026-10-01' + cast(i % 31 as integer),
                                            date '{AS_OF}')) as sent_main
        from range({workers}) as r(i)
        """
    )
    con.execute(
        """
        create table marts.workers as
        select worker_id, 'Africa/Nairobi' as timezone from enrollments
        """
    )
    con.execute(
        """
        create table intermediate.int_enrollment_touchpoints as
        select e.enrollment_id, e.organization_id, e.program_id, e.worker_id, e.enrolled_at,
            'active' as enrollment_status, false as is_holdout,
            e.program_id || '_t' || s.position as touchpoint_id, s.position, s.kind,
            s.is_branch, s.flow_next_position, s.day_offset as effective_day_offset,
            (not s.is_branch and s.position < e.sent_main) as is_sent
        from enrollments as e cross join steps as s
        """
    )
    con.execute(
        f"""
        create table intermediate.int_enrollment_settings as
        select enrollment_id, organization_id, program_id, 'j' || program_id as journey_id,
            worker_id, enrolled_at, 'active' as enrollment_status, false as is_holdout,
            1.0 as cadence_factor
        from enrollments;
        create table intermediate.int_journey_steps as
        select 'p' || p || '_t' || s.position as touchpoint_id, 'jp' || p as journey_id,
            s.position, s.is_branch, s.flow_next_position, s.day_offset, s.kind,
            s.position = 0 as is_first
        from range({programs}) as r(p) cross join steps as s
        """
    )
    con.execute(
        """
        create table marts.messages as
        select 'SM' || e.enrollment_id || '_' || s.position as message_sid, e.enrollment_id,
            e.program_id || '_t' || s.position as touchpoint_id, false as is_follow_up,
            e.enrolled_at + to_days(s.day_offset) as sent_at,
            case when hash(e.enrollment_id, s.position) % 2 = 0
                then e.enrolled_at + to_days(s.day_offset) + interval 2 hour end as first_reply_at,
            case when hash(e.enrollment_id, s.position) % 2 = 0 then
                case s.kind when 'quiz' then 'B' when 'check_in' then '2'
                    else (case when hash(e.enrollment_id) % 7 = 0 then 'COACH' else 'Thanks' end)
                end end as first_reply_body,
            case when s.kind = 'quiz' and hash(e.enrollment_id, s.position) % 2 = 0
                then hash(e.enrollment_id) % 3 > 0 end as quiz_answer_correct,
            case when s.kind = 'check_in' and hash(e.enrollment_id, s.position) % 2 = 0
                then cast(1 + hash(e.enrollment_id) % 5 as integer) end as check_in_score
        from enrollments as e
        inner join steps as s on not s.is_branch and s.position < e.sent_main
        """
    )
    con.execute(
        "create table intermediate.int_journey_rules as select * from ("
        + " union all ".join(
            f"select 'p' || p || '_t{src}' as touchpoint_id, 0 as rule_index, '{kind}' as rule_kind, "
            f"{_sql(keyword)} as keyword, {_sql(correct)} as quiz_correct, "
            f"{_sql(score)} as below_score, null::varchar as segment_id, "
            f"null::boolean as segment_member, {target} as goto_position, {after} as after_days "
            f"from range({programs}) as r(p)"
            for src, kind, keyword, correct, score, target, after in RULES
        )
        + ")"
    )
    con.execute(
        "create table intermediate.int_segment_evaluations as "
        "select 's1' as segment_id, null::varchar as worker_id, null::varchar as problem"
    )
    con.execute("drop table enrollments; drop table steps")
    con.close()


def _sql(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def compiled_states(folder: Path) -> str:
    """journey_states as dbt compiles it against the synthetic warehouse."""
    from orchestration.lib.warehouse import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_vars

    target = folder / "dbt-target"
    subprocess.run(
        [
            DBT_EXECUTABLE,
            "compile",
            "--select",
            "journey_states",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--vars",
            dbt_vars(folder / "lake", folder / "warehouse.duckdb", as_of=AS_OF),
            "--target-path",
            str(target),
            "--quiet",
        ],
        check=True,
        capture_output=True,  # compile prints the SQL it compiled
    )
    (path,) = target.rglob("journey_states.sql")
    return path.read_text()


def side(folder: Path, sql: str) -> str:
    """Run one side's statement on a copy of the warehouse; print its row count."""
    import shutil

    import duckdb

    scratch = Path(tempfile.mkdtemp(dir=folder))
    copy = scratch / "warehouse.duckdb"  # the catalog name the compiled SQL refers to
    shutil.copy(folder / "warehouse.duckdb", copy)
    con = duckdb.connect(str(copy))
    con.execute("set threads = 2")
    con.execute(sql)
    rows = con.execute("select count(*) from schedule").fetchone()[0]
    con.close()
    shutil.rmtree(scratch)
    return json.dumps({"rows": rows})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=200_000)
    parser.add_argument("--programs", type=int, default=200)
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        folder = Path(args.folder)
        print(side(folder, (folder / f"{args.side}.sql").read_text()))
        return
    folder = Path(tempfile.mkdtemp(prefix="coach-bench-journeys-"))
    prepare(folder, args.workers, args.programs)
    (folder / "linear.sql").write_text(LINEAR)
    (folder / "branching.sql").write_text(BRANCHING.format(states=compiled_states(folder)))
    results = {}
    for name in ("linear", "branching"):
        measured = measure(
            [sys.executable, __file__, "--side", name, "--folder", str(folder)],
        )
        results[name] = (measured, json.loads(measured.stdout.strip().splitlines()[-1]))
    linear, branching = results["linear"][0], results["branching"][0]
    print(
        f"next step for {args.workers:,} enrollments in {args.programs} programs "
        f"(12 touchpoints each, 4 of them branches)"
    )
    for name, (measured, out) in results.items():
        print(
            f"  {name:<10} {measured.seconds:7.2f} s  peak {measured.peak_rss / GIB:5.2f} GiB  "
            f"{out['rows']:,} steps planned"
        )
    print(f"  ratio branching / linear: {branching.seconds / linear.seconds:.2f}x time")
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
