"""Reads over the published marts: scoped to the caller, paged, and honest when missing."""

from __future__ import annotations

import duckdb

from coaching.lake import published_mart
from tests.api.conftest import Api
from tests.api.factories import RULE, seed


def publish(api: Api, mart: str, select: str) -> None:
    target = published_mart(api.settings.lake_dir, mart)
    target.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(f"copy ({select}) to '{target}' (format parquet)")


def test_a_mart_keyed_by_worker_is_read_back_by_worker_id(api: Api) -> None:
    """As the pipeline publishes it: the progress names workers by key, and the restricted
    identities turn each key back into the caller's own worker id, never another tenant's."""
    mine, theirs = api.organization(), api.organization()
    publish(
        api,
        "worker_progress",
        f"select 'e' || i as enrollment_id, '{mine.id}' as organization_id, 'p1' as program_id, "
        "'k' || (i % 3) as worker_key, 'on_track' as state from range(6) t(i)",
    )
    publish(
        api,
        "worker_identities",
        f"select * from (values ('w0', '{mine.id}', 'k0'), ('w1', '{mine.id}', 'k1'), "
        f"('intruder', '{theirs.id}', 'k2')) t(worker_id, organization_id, worker_key)",
    )
    items = api.client.get("/reads/worker-progress", headers=mine.admin).json()["items"]
    assert {(r["enrollment_id"], r["worker_id"]) for r in items} == {
        ("e0", "w0"), ("e3", "w0"), ("e1", "w1"), ("e4", "w1"), ("e2", None), ("e5", None),
    }  # fmt: skip
    only = api.client.get("/reads/worker-progress?worker_id=w1", headers=mine.admin).json()
    assert sorted(r["enrollment_id"] for r in only["items"]) == ["e1", "e4"]
    stranger = api.client.get("/reads/worker-progress?worker_id=intruder", headers=mine.admin)
    assert stranger.json()["items"] == []


def test_reads_are_scoped_paged_and_explain_a_missing_mart(api: Api) -> None:
    mine, theirs = api.organization(), api.organization()
    missing = api.client.get("/reads/worker-progress", headers=mine.admin)
    assert missing.status_code == 409 and "published" in missing.json()["detail"]
    publish(
        api,
        "worker_progress",
        f"select 'e' || i as enrollment_id, case when i % 2 = 0 then '{mine.id}' else '{theirs.id}' end "
        "as organization_id, 'p1' as program_id, 'w' || i as worker_id, i / 10.0 as percent_complete, "
        "case when i % 4 = 0 then 'behind' else 'on_track' end as state from range(20) t(i)",
    )
    seen, cursor = [], None
    while True:
        url = "/reads/worker-progress?limit=4" + (f"&cursor={cursor}" if cursor else "")
        page = api.client.get(url, headers=mine.admin).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 10 and {r["organization_id"] for r in seen} == {mine.id}
    stalled = api.client.get("/reads/worker-progress?state=behind", headers=mine.admin).json()
    assert len(stalled["items"]) == 5
    # A cursor outlives a republish only as a clear 409.
    first = api.client.get("/reads/worker-progress?limit=4", headers=mine.admin).json()
    publish(
        api,
        "worker_progress",
        "select 'x' as enrollment_id, 'o' as organization_id, 'p' as program_id, 'w' as worker_id, 'on_track' as state",
    )
    import os
    import time

    path = published_mart(api.settings.lake_dir, "worker_progress")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000))
    stale = api.client.get(
        f"/reads/worker-progress?cursor={first['next_cursor']}", headers=mine.admin
    )
    assert stale.status_code == 409


def test_segment_members_and_preview(api: Api) -> None:
    mine, theirs = api.organization(), api.organization()
    ids = seed(api.client, mine.admin)
    foreign = seed(api.client, theirs.admin)
    publish(
        api,
        "segment_membership",
        f"select '{ids['segments']}' as segment_id, '{mine.id}' as organization_id, 'w' || i as worker_id, "
        "date '2026-11-01' as as_of_date from range(3) t(i)",
    )
    publish(
        api,
        "worker_features",
        f"select '{mine.id}' as organization_id, 'w' || i as worker_id, "
        "case when i < 3 then 'Coast' else 'Rift' end as region from range(10) t(i)",
    )
    members = api.client.get(f"/segments/{ids['segments']}/members", headers=mine.admin).json()
    assert sorted(m["worker_id"] for m in members["items"]) == ["w0", "w1", "w2"]
    assert (
        api.client.get(f"/segments/{foreign['segments']}/members", headers=mine.admin).status_code
        == 404
    )
    preview = api.client.post("/segments/preview", json={"rule": RULE}, headers=mine.admin).json()
    assert preview["members"] == 3 and preview["workers"] == 10
    catalog = api.client.get("/feature-catalog", headers=mine.admin).json()
    assert {"region", "team"} <= {f["name"] for f in catalog}


def test_journey_states_are_read_by_the_rule_that_moved_each_worker(api: Api) -> None:
    mine, theirs = api.organization(), api.organization()
    publish(
        api,
        "journey_states",
        f"select 'e' || i as enrollment_id, case when i < 6 then '{mine.id}' else '{theirs.id}' "
        "end as organization_id, 'p1' as program_id, 'w' || i as worker_id, "
        "case when i % 2 = 0 then 'rule' else 'flow' end as transition, "
        "case when i % 2 = 0 then 'quiz_answer' end as rule_kind from range(10) t(i)",
    )
    answer = api.client.get("/reads/journey-states?rule_kind=quiz_answer", headers=mine.admin)
    assert answer.status_code == 200
    assert sorted(r["enrollment_id"] for r in answer.json()["items"]) == ["e0", "e2", "e4"]


def test_leaderboards_engagement_and_wellbeing_are_for_managers(api: Api) -> None:
    org, other = api.organization(), api.organization()
    publish(
        api,
        "team_leaderboards",
        f"""select * from (values
            ('{org.id}', 'Coast A', date '2026-10-19', 'w1', 30::hugeint, 1::bigint),
            ('{org.id}', 'Coast A', date '2026-10-26', 'w2', 50::hugeint, 1::bigint),
            ('{org.id}', 'Coast A', date '2026-10-26', 'w1', 20::hugeint, 2::bigint),
            ('{other.id}', 'Coast A', date '2026-10-26', 'x', 99::hugeint, 1::bigint))
            as t(organization_id, team, week_start, worker_id, points, rank_in_team)""",
    )
    publish(
        api,
        "wellbeing_checkins",
        f"""select * from (values
            ('w1', '{org.id}', 4::bigint, 2, -1.7, true),
            ('w2', '{org.id}', 3::bigint, 4, 0.3, false))
            as t(worker_id, organization_id, check_ins, latest_score, trend, is_declining)""",
    )
    pm = org.headers["program_manager"]
    board = api.client.get("/reads/leaderboards", headers=pm).json()["items"]
    assert [(r["week_start"], r["worker_id"]) for r in board] == [
        ("2026-10-26", "w2"), ("2026-10-26", "w1"), ("2026-10-19", "w1")
    ]  # fmt: skip
    week = api.client.get("/reads/leaderboards?week_start=2026-10-19", headers=pm).json()
    assert [r["points"] for r in week["items"]] == [30]
    declining = api.client.get("/reads/wellbeing?is_declining=true", headers=pm).json()
    assert [r["worker_id"] for r in declining["items"]] == ["w1"]
    for bad in ("/reads/wellbeing?is_declining=maybe", "/reads/leaderboards?week_start=soon"):
        answer = api.client.get(bad, headers=pm)
        assert answer.status_code == 422 and "query." in answer.text, answer.text
    for path in ("/reads/leaderboards", "/reads/wellbeing", "/reads/engagement"):
        refused = api.client.get(path, headers=org.headers["content_specialist"])
        assert refused.status_code == 403, path


def test_question_answers_and_quiz_scores_are_for_managers(api: Api) -> None:
    org, other = api.organization(), api.organization()
    publish(
        api,
        "question_answers",
        f"""select * from (values
            ('{org.id}', 'p1', 't1', 'quiz', 'B', 2, 6::bigint, 5::bigint, 1::bigint, 0.6, 0.6),
            ('{org.id}', 'p1', 't1', 'quiz', 'A', 1, 4::bigint, 1::bigint, 3::bigint, 0.4, 0.6),
            ('{org.id}', 'p1', 't2', 'check_in', '3', 3, 2::bigint, 2::bigint, 0::bigint, 1.0, null),
            ('{other.id}', 'p9', 't1', 'quiz', 'A', 1, 9::bigint, 9::bigint, 0::bigint, 1.0, 1.0))
            as t(organization_id, program_id, touchpoint_id, touchpoint_kind, answer_payload,
                 option_position, answers, tapped, typed, answer_share, correct_share)""",
    )
    publish(
        api,
        "worker_quiz_scores",
        f"""select * from (values
            ('{org.id}', 'w1', date '2026-10-19', 2::bigint, 1::bigint, 0.5),
            ('{org.id}', 'w1', date '2026-10-26', 1::bigint, 1::bigint, 1.0))
            as t(organization_id, worker_id, week_start, quizzes_answered, quizzes_correct,
                 correct_share)""",
    )
    pm = org.headers["program_manager"]
    quiz = api.client.get("/reads/question-answers?touchpoint_id=t1", headers=pm).json()["items"]
    assert [(r["answer_payload"], r["tapped"], r["typed"]) for r in quiz] == [
        ("A", 1, 3),
        ("B", 5, 1),
    ]  # in the order the worker sees the options, and only this organization's
    weeks = api.client.get("/reads/quiz-scores?worker_id=w1", headers=pm).json()["items"]
    assert [r["week_start"] for r in weeks] == ["2026-10-26", "2026-10-19"]
    assert api.client.get("/reads/quiz-scores?week_start=soon", headers=pm).status_code == 422
    for path in ("/reads/question-answers", "/reads/quiz-scores", "/reads/language-fallbacks"):
        assert api.client.get(path, headers=org.headers["content_specialist"]).status_code == 403


def test_reads_name_what_their_ids_point_at_and_refuse_unknown_values(api: Api) -> None:
    mine, theirs = api.organization(), api.organization()
    ids, foreign = seed(api.client, mine.admin), seed(api.client, theirs.admin)
    publish(
        api,
        "experiment_results",
        f"select '{ids['experiments']}' as experiment_id, '{mine.id}' as organization_id, "
        "'reply_rate_24h' as metric, 'all' as dimension, 'all' as dimension_value, "
        "'B' as variant_key, 'keep_running' as decision "
        f"union all select '{foreign['experiments']}', '{mine.id}', 'reply_rate_24h', 'all', "
        "'all', 'B', 'ship'",  # a foreign id in my rows (never happens) gets no foreign name
    )
    rows = api.client.get(
        "/reads/experiment-results?metric=reply_rate_24h&dimension=all", headers=mine.admin
    ).json()["items"]
    experiment = api.client.get(f"/experiments/{ids['experiments']}", headers=mine.admin).json()
    names = {r["experiment_id"]: r["experiment_name"] for r in rows}
    assert names == {ids["experiments"]: experiment["name"], foreign["experiments"]: None}
    for bad in ("metric=reply_rate", "dimension=regions", "decision=shipped"):
        answer = api.client.get(f"/reads/experiment-results?{bad}", headers=mine.admin)
        assert answer.status_code == 422, bad
        assert answer.json()["errors"][0]["path"] == f"query.{bad.split('=')[0]}"
    assert (
        api.client.get("/reads/worker-progress?state=stalled", headers=mine.admin).status_code
        == 422
    )
