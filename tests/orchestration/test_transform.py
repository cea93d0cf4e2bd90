"""dbt inside Dagster on a small simulated world: the build is green and the marts tell the truth."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from coaching.lake import published_mart
from coaching.settings import Settings
from orchestration.lib.warehouse import dbt_target
from orchestration.runs import transform
from tests.coaching.simulator.truth import store_table
from tests.processes import stop
from tests.worlds import BROKEN, END, published


@pytest.fixture(scope="module")
def built(
    built_world: tuple[Settings, dict[str, Any], Any],
) -> tuple[Settings, dict[str, Any], Any]:
    return built_world


def gold(settings: Settings, mart: str) -> duckdb.DuckDBPyRelation:
    return duckdb.sql(f"select * from {published(settings.lake_dir, mart)}")


def test_build_is_green_and_marts_are_published(built) -> None:
    settings, _, summary = built
    assert summary.failed_checks == []
    for mart, rows in summary.published.items():
        path = published_mart(settings.lake_dir, mart)
        assert pq.ParquetFile(path).metadata.num_rows == rows
        # Four client organizations fill no benchmark cell of five (test_organization_benchmarks).
        assert rows > 0 or mart == "organization_benchmarks"


def test_progress_counts_match_the_simulated_sends(built) -> None:
    settings, manifest, _ = built
    raw = (
        Path(settings.lake_dir) / "raw" / "message_events"
    )  # landing and store events, as taken in
    truth = Path(settings.simulation_dir) / manifest["truth_file"]
    con = duckdb.connect()
    branches = [t["id"] for t in store_table(settings, "touchpoints").to_pylist() if t["branch"]]
    # Main-flow (not follow-up, not branch) messages as the simulator wrote them, minus rows it
    # planted as bad: progress is counted through the main flow.
    expected = con.execute(
        f"""
        select count(distinct (enrollment_id, touchpoint_id))
        from read_parquet('{raw}/*.parquet', union_by_name = true)
        where kind = 'outbound' and not is_follow_up
          and event_key not in (select key from read_parquet('{truth}'))
          and touchpoint_id not in (select unnest(?::varchar[]))
        """,
        [branches],
    ).fetchall()[0][0]
    sent = gold(settings, "worker_progress").aggregate("sum(touchpoints_sent)").fetchall()[0][0]
    assert sent == expected > 0


def test_opted_out_workers_are_marked(built) -> None:
    settings, manifest, _ = built
    opted = gold(settings, "workers").filter("is_opted_out").aggregate("count(*)").fetchall()[0][0]
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
    messages = gold(settings, "messages")
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


def test_a_broken_segment_is_reported_and_the_others_evaluated(built) -> None:
    settings, _, _ = built
    rows = gold(settings, "segments").to_arrow_table().to_pylist()
    broken = [r for r in rows if r["name"] == BROKEN]
    assert len(broken) == 1 and not broken[0]["is_evaluated"]
    assert "root.rules[0].feature" in broken[0]["problem"] and "shoe_size" in broken[0]["problem"]
    others = [r for r in rows if r["name"] != BROKEN]
    assert len(others) == 20 and all(r["is_evaluated"] for r in others)


def test_frontline_segments_hold_exactly_the_frontline_roles(built) -> None:
    settings, _, _ = built
    con = duckdb.connect()
    mismatches = con.execute(
        f"""
        with expected as (
            select s.segment_id, w.worker_id
            from {published(settings.lake_dir, "segments")} s
            join {published(settings.lake_dir, "worker_features")} w using (organization_id)
            where s.name = 'Frontline staff'
              and w.job_role in (select unnest(from_json(json_extract(s.rule, '$.root.rules[0].value'), '["VARCHAR"]')))
        ),
        actual as (
            select m.segment_id, m.worker_id from {published(settings.lake_dir, "segment_membership")} m
            join {published(settings.lake_dir, "segments")} s using (segment_id) where s.name = 'Frontline staff'
        )
        select (select count(*) from (select * from expected except select * from actual))
             + (select count(*) from (select * from actual except select * from expected)),
               (select count(*) from actual)
        """
    ).fetchall()[0]
    assert mismatches[0] == 0 and mismatches[1] > 0


def test_the_schedule_excludes_every_opt_out_and_keys_are_unique(built) -> None:
    settings, _, _ = built
    con = duckdb.connect()
    rows = con.execute(
        f"""
        select count(*), count(distinct idempotency_key),
               count(*) filter (where w.is_opted_out or w.status = 'deleted'),
               count(*) filter (where p.is_holdout)
        from {published(settings.lake_dir, "activation_schedule")} s
        join {published(settings.lake_dir, "workers")} w using (worker_id)
        join {published(settings.lake_dir, "worker_progress")} p using (enrollment_id)
        """
    ).fetchall()[0]
    assert rows[0] > 0 and rows[0] == rows[1]
    assert rows[2] == 0 and rows[3] == 0


def test_dbt_docs_generate_offline(built) -> None:
    import json
    import subprocess

    from orchestration.lib.warehouse import DBT_EXECUTABLE, DBT_PROJECT_DIR, dbt_vars

    settings, _, _ = built
    target = Path(settings.home) / "dbt-docs"
    env = {"PATH": "/usr/bin:/bin"}
    variables = dbt_vars(settings.lake_dir, settings.warehouse_path)
    subprocess.run(
        [DBT_EXECUTABLE, "docs", "generate", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target), "--quiet",
         "--vars", variables],
        check=True, env=env, cwd=DBT_PROJECT_DIR,
    )  # fmt: skip
    catalog = json.loads((target / "catalog.json").read_text())
    assert "model.coaching.activation_schedule" in catalog["nodes"]
    assert (target / "index.html").exists()
    # The site answers on localhost as `make docs` serves it, with the models and the exposures.
    import httpx

    from api.server import free_port

    port = free_port()
    server = subprocess.Popen(
        [DBT_EXECUTABLE, "docs", "serve", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target),
         "--host", "127.0.0.1", "--port", str(port), "--no-browser", "--vars", variables],
        env=env, cwd=DBT_PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        manifest = None
        for _ in range(100):
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/manifest.json", timeout=2)
                if answer.status_code == 200:
                    manifest = answer.json()
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert manifest is not None, "the docs site did not answer"
        assert "model.coaching.messages" in manifest["nodes"]
        exposures = manifest["exposures"]
        assert {"exposure.coaching.activation_sender", "exposure.coaching.admin_api"} <= set(
            exposures
        )
        assert "dbt Docs" in httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text
    finally:
        stop(server)


def test_every_experiment_gets_a_readout_and_a_decision(built) -> None:
    settings, manifest, _ = built
    results = (
        gold(settings, "experiment_results")
        .filter("dimension = 'all'")
        .to_arrow_table()
        .to_pylist()
    )
    by_experiment = {}
    for row in results:
        by_experiment.setdefault(row["experiment_id"], []).append(row)
    assert set(by_experiment) == {e["id"] for e in manifest["experiments"]}
    for rows in by_experiment.values():
        assert {r["metric"] for r in rows} == {
            "reply_rate_24h",
            "opt_out_rate",
            "delivery_failure_rate",
            "replies_per_worker",
        }
        # A guardrail nobody tripped in either arm (no opt-out in a small experiment) has
        # nothing to compare; every other readout is a number.
        assert all(
            r["status"] == "ok"
            or (r["metric"] != "reply_rate_24h" and "identical" in r["status_reason"])
            for r in rows
        )
        assert [r["status"] for r in rows if r["metric"] == "reply_rate_24h"] == ["ok"] * sum(
            r["metric"] == "reply_rate_24h" for r in rows
        )
        assert rows[0]["decision"] in {"too_early", "ship", "keep_running", "stop_for_futility"}
        # The design the readout was held to: days run by the as-of day, the plan, the minimums.
        assert rows[0]["days_run"] == 13 and rows[0]["planned_days"] == 42
        assert (rows[0]["min_days"], rows[0]["min_samples_per_arm"]) == (7, 100)
        primary = next(r for r in rows if r["metric"] == "reply_rate_24h")
        assert (
            primary["always_valid_low"] <= primary["absolute_lift"] <= primary["always_valid_high"]
        )
        if primary["decision"] == "too_early":
            smallest = min(r["control_exposures"] for r in rows if r["metric"] == "reply_rate_24h")
            assert smallest < 100 or "of at least 7" in primary["decision_reason"]
        binary = [r for r in rows if r["srm_p_value"] is not None]
        assert binary and all(r["srm_p_value"] > 0.001 for r in binary)
    slices = gold(settings, "experiment_results").filter("dimension in ('region', 'language')")
    assert slices.aggregate("count(*)").fetchall()[0][0] > 0


def test_adaptive_experiments_get_allocations_and_the_others_keep_theirs(built) -> None:
    settings, _, _ = built
    rows = gold(settings, "experiment_allocations").to_arrow_table().to_pylist()
    by_experiment: dict[str, list[dict]] = {}
    for row in rows:
        by_experiment.setdefault(row["experiment_id"], []).append(row)
    assert any(r[0]["is_adaptive"] for r in by_experiment.values())
    for arms in by_experiment.values():
        assert sum(a["current_weight"] for a in arms) == pytest.approx(1)
        if not arms[0]["is_adaptive"]:
            assert all(a["current_weight"] == pytest.approx(a["planned_weight"]) for a in arms)
        else:
            assert all(a["current_weight"] >= 0.05 - 1e-9 for a in arms)


def test_new_enrollments_get_their_stable_variant_under_current_weights(built) -> None:
    """Both tiers assign a new enrollment: each running experiment of its program (program-level,
    and journey-level on the program's journey) gives it the variant of its stable bucket under
    the current weights; the schedule plans with the program-level one."""
    from coaching.experiments.assignment import bucket, choose

    settings, _, _ = built
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        result = con.execute("select * from intermediate.int_experiment_pending_assignments")
        names = [d[0] for d in result.description]
        pending = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        settings_rows = con.execute(
            "select enrollment_id, program_variant_id, program_assignment_source "
            "from intermediate.int_enrollment_settings where program_assignment_source = 'computed'"
        ).fetchall()
    # Only the new enrollment; everyone else has recorded assignments.
    (enrollment_id,) = {row["enrollment_id"] for row in pending}
    new = next(
        e for e in store_table(settings, "enrollments").to_pylist() if e["id"] == enrollment_id
    )
    experiments = {e["id"]: e for e in store_table(settings, "experiments").to_pylist()}
    running = {
        e["id"]
        for e in experiments.values()
        if e["program_id"] == new["program_id"] and e["status"] == "running"
    }
    assert {row["experiment_id"] for row in pending} == running
    assert {row["level"] for row in pending} == {"journey", "program"}
    allocations = {
        a["variant_id"]: a["current_weight"]
        for a in gold(settings, "experiment_allocations").to_arrow_table().to_pylist()
    }
    for row in pending:
        experiment = experiments[row["experiment_id"]]
        variants = sorted(
            (
                v
                for v in store_table(settings, "experiment_variants").to_pylist()
                if v["experiment_id"] == experiment["id"]
            ),
            key=lambda v: (not v["is_control"], v["key"]),
        )
        weights = [allocations.get(v["id"], v["weight"]) for v in variants]
        position = bucket(experiment["salt"], row["worker_id"])
        assert row["bucket"] == pytest.approx(position)
        assert (
            row["experiment_variant_id"]
            == variants[int(choose(np.array([position]), weights)[0])]["id"]
        )
    (program_row,) = [row for row in pending if row["level"] == "program"]
    assert settings_rows == [(enrollment_id, program_row["experiment_variant_id"], "computed")]


def test_membership_history_records_entries_and_exits_across_builds(built) -> None:
    """Runs last: it rebuilds the marts three days later."""
    settings, _, summary = built
    later = date(2026, 11, 4)
    transform(settings, dg.DagsterInstance.ephemeral(), as_of=later.isoformat())
    history = gold(settings, "segment_membership_history")
    current = gold(settings, "segment_membership").aggregate("count(*)").fetchall()[0][0]
    open_periods = history.filter("exited_on is null").aggregate("count(*)").fetchall()[0][0]
    assert open_periods == current
    first = history.filter(f"entered_on = '{END}'").aggregate("count(*)").fetchall()[0][0]
    assert first == summary.published["segment_membership"]
    # Three days on, behavioural segments move: some workers enter, some leave.
    moved = history.filter(f"entered_on = '{later}' or exited_on = '{later}'").aggregate("count(*)")
    assert moved.fetchall()[0][0] > 0
    # The new day reached dbt without changing its `--vars`: it reused its parse of the project.
    events = last_invocation_events(settings)
    assert "PartialParsingSkipParsing" in events
    assert "UnableToPartialParse" not in events


def last_invocation_events(settings: Settings) -> set[str]:
    """The names of the events dbt logged in the warehouse's last build (its log rotates: the
    oldest file first)."""
    logs = sorted(
        dbt_target(settings.warehouse_path).glob("dbt.log*"), key=lambda p: p.stat().st_mtime
    )
    names: list[str] = []
    for log in logs:
        for line in log.read_text().splitlines():
            name = json.loads(line)["info"]["name"]
            if name == "MainReportVersion":  # the first event of each invocation
                names = []
            names.append(name)
    return set(names)


def test_weekly_digests_reach_every_active_worker_with_their_figures(built) -> None:
    """Recipients from the store itself (opted in, not out, not deleted, an active enrollment, in
    an organization with digest content); figures against the leaderboards and engagement."""
    settings, _, _ = built
    con = duckdb.connect()
    for name in ("workers", "enrollments", "content"):
        con.register(name, store_table(settings, name))
    expected = {
        row[0]
        for row in con.execute(
            """
            select w.id from workers w
            where w.deleted_at is null and w.whatsapp_opt_in_at is not null
              and w.whatsapp_opt_out_at is null
              and exists (select 1 from enrollments e where e.worker_id = w.id
                          and e.status = 'active' and e.deleted_at is null)
              and exists (select 1 from content c where c.organization_id = w.organization_id
                          and c.key = 'weekly_digest' and c.deleted_at is null)
            """
        ).fetchall()
    }
    digests = con.execute(
        f"select * from {published(settings.lake_dir, 'worker_digests')}"
    ).to_arrow_table()
    con.register("digests", digests)
    assert set(digests["worker_id"].to_pylist()) == expected and digests.num_rows == len(expected)
    assert len(set(digests["week_start"].to_pylist())) == 1
    mismatched = con.execute(
        f"""
        select count(*) filter (where d.week_points != coalesce(l.points, 0)),
               count(*) filter (where l.rank_in_team is not null and d.team_rank != l.rank_in_team),
               count(*) filter (where d.streak_days != coalesce(g.current_streak_days, 0)),
               count(*) filter (where json_extract_string(d.field_values, '$.week_points')
                                      != cast(d.week_points as varchar)
                                   or json_extract_string(d.field_values, '$.team_rank')
                                      != cast(d.team_rank as varchar)),
               count(*) filter (where d.week_points > 0), count(*)
        from digests d
        left join {published(settings.lake_dir, "team_leaderboards")} l
            on l.worker_id = d.worker_id and l.week_start = d.week_start
        left join {published(settings.lake_dir, "worker_engagement")} g on g.worker_id = d.worker_id
        """
    ).fetchall()[0]
    assert mismatched[:4] == (0, 0, 0, 0)
    assert 0 < mismatched[4] < mismatched[5]  # some earned points last week, not everybody


def test_quiz_and_check_in_answers_spread_over_the_options_as_the_workers_answered(built) -> None:
    """Tapped or typed, each answer lands on the option the simulator planted; the tap share is
    the planted one. (A few replies are quarantined as dirty rows, so counts may only fall short.)"""
    settings, manifest, _ = built
    planted = {
        (q["touchpoint_id"], payload): counts
        for q in manifest["answers"]["questions"]
        for payload, counts in q["options"].items()
    }
    rows = (
        gold(settings, "question_answers")
        .aggregate(
            "touchpoint_id, answer_payload, sum(answers)::int, sum(tapped)::int, sum(typed)::int,"
            " any_value(touchpoint_kind), max(correct_share), bool_or(is_correct)",
            "touchpoint_id, answer_payload",
        )
        .fetchall()
    )
    assert {(t, p) for t, p, *_ in rows if p is not None} >= set(planted)
    tapped_total = answered_total = 0
    for touchpoint_id, payload, answers, tapped, typed, kind, _, _ in rows:
        if payload is None:
            continue  # replies to other messages that matched no option
        truth = planted.get((touchpoint_id, payload), {"tapped": 0, "typed": 0})
        assert truth["tapped"] - 2 <= tapped <= truth["tapped"], (touchpoint_id, payload)
        assert truth["typed"] - 2 <= typed <= truth["typed"] + 2, (touchpoint_id, payload)
        assert answers == tapped + typed and kind in ("quiz", "check_in")
        tapped_total += tapped
        answered_total += answers
    assert abs(tapped_total / answered_total - manifest["answers"]["tap_share"]) < 0.05
    # A quiz's correct share is its correct option's share of the question's answers.
    by_question: dict[str, list[tuple]] = {}
    for row in gold(settings, "question_answers").fetchall():
        by_question.setdefault(row[2], []).append(row)
    columns = gold(settings, "question_answers").columns
    at = {name: i for i, name in enumerate(columns)}
    for question in by_question.values():
        if question[0][at["touchpoint_kind"]] != "quiz":
            continue
        right = sum(r[at["answers"]] for r in question if r[at["is_correct"]])
        total = question[0][at["question_answers"]]
        assert question[0][at["correct_share"]] == pytest.approx(right / total)


def test_photos_workers_sent_are_counted_with_the_message_they_answer(built) -> None:
    settings, manifest, _ = built
    (counted,) = gold(settings, "messages").aggregate("sum(reply_media_count)::int").fetchall()[0]
    planted = manifest["answers"]["inbound_media"]
    assert planted > 0 and 0.95 * planted <= counted <= planted


def test_a_missing_translation_falls_back_to_the_journey_default_and_is_counted(built) -> None:
    settings, manifest, _ = built
    (gap,) = manifest["language_gaps"]
    schedule = gold(settings, "activation_schedule").filter(
        f"content_id = '{gap['content_id']}' and worker_language = '{gap['language']}'"
    )
    rows = schedule.aggregate(
        "count(*)::int, bool_and(is_language_fallback), list_distinct(list(content_language))"
    ).fetchall()[0]
    assert rows[0] > 0 and rows[1] is True and rows[2] == ["en"]  # the journey's first language
    fallbacks = gold(settings, "language_fallbacks").fetchall()
    assert [(f[3], f[4], f[5], f[6]) for f in fallbacks] == [
        (gap["content_id"], gap["language"], "en", rows[0])
    ]


def test_each_workers_quiz_score_adds_up_week_by_week(built) -> None:
    settings, _, _ = built
    scores = (
        gold(settings, "worker_quiz_scores")
        .aggregate("sum(quizzes_answered)::int, sum(quizzes_correct)::int")
        .fetchall()[0]
    )
    messages = (
        gold(settings, "messages")
        .filter(
            "touchpoint_kind = 'quiz' and quiz_answer_correct is not null and worker_id is not null"
        )
        .aggregate("count(*)::int, count(*) filter (where quiz_answer_correct)::int")
        .fetchall()[0]
    )
    assert scores == messages and scores[0] > 0
