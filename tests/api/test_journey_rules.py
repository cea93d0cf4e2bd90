"""Journey rules through the API: a branching journey is stored and read back, and every way a
rule can be wrong is refused with the path of the field and nothing stored."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.api.factories import seed


def _touchpoint(name: str, content: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "message",
        "day_offset": 0,
        "local_send_time": "09:00:00",
        "content_id": content,
        **extra,
    }


def _branching(content: str, segment: str) -> dict[str, Any]:
    """Quiz wrong → remedial (then back to the lesson); a low check-in → support; silence for two
    days → a re-engagement; COACH → a callback; a worker who left the segment ends the journey."""
    return {
        "phases": [
            {
                "name": "Learn",
                "touchpoints": [
                    _touchpoint(
                        "Quiz",
                        content,
                        kind="quiz",
                        day_offset=1,
                        rules=[
                            {"when": {"kind": "quiz_answer", "correct": False}, "goto": "Remedial"},
                            {
                                "when": {"kind": "segment", "segment_id": segment, "member": False},
                                "goto": None,
                                "after_days": 0,
                            },
                        ],
                    ),
                    _touchpoint("Remedial", content, branch=True, next="Lesson"),
                    _touchpoint(
                        "Lesson",
                        content,
                        day_offset=3,
                        rules=[
                            {"when": {"kind": "no_reply"}, "goto": "Nudge", "after_days": 2},
                            {
                                "when": {"kind": "reply_keyword", "keywords": ["COACH", "HELP"]},
                                "goto": "Callback",
                            },
                        ],
                    ),
                    _touchpoint("Nudge", content, branch=True),
                    _touchpoint("Callback", content, branch=True),
                    _touchpoint(
                        "Check-in",
                        content,
                        kind="check_in",
                        day_offset=7,
                        rules=[{"when": {"kind": "check_in_below", "score": 3}, "goto": "Support"}],
                    ),
                    _touchpoint("Support", content, branch=True),
                ],
            }
        ]
    }


def test_a_branching_journey_is_stored_and_read_back(api: Api) -> None:
    org = api.organization()
    ids = seed(api.client, org.admin)
    structure = _branching(ids["content"], ids["segments"])
    answer = api.client.put(
        f"/journeys/{ids['journeys']}/structure", json=structure, headers=org.admin
    )
    assert answer.status_code == 200, answer.text
    touchpoints = answer.json()["phases"][0]["touchpoints"]
    by_name = {t["name"]: t for t in touchpoints}
    assert by_name["Remedial"]["branch"] and by_name["Remedial"]["next"] == "Lesson"
    (wrong, left) = by_name["Quiz"]["rules"]
    assert wrong["goto"] == "Remedial" and wrong["goto_position"] == by_name["Remedial"]["position"]
    assert wrong["after_days"] == 1 and left["goto"] is None and left["goto_position"] is None
    assert by_name["Lesson"]["rules"][1]["when"]["keywords"] == ["COACH", "HELP"]
    assert answer.json()["problems"] == []


def _refused(api: Api, org: Any, journey: str, structure: dict[str, Any]) -> list[dict[str, str]]:
    before = api.client.get(f"/journeys/{journey}/structure", headers=org.admin).json()
    answer = api.client.put(f"/journeys/{journey}/structure", json=structure, headers=org.admin)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    after = api.client.get(f"/journeys/{journey}/structure", headers=org.admin).json()
    assert after == before  # nothing stored
    return answer.json()["errors"]


def test_every_bad_rule_is_refused_with_its_path(api: Api) -> None:
    org, other = api.organization(), api.organization()
    ids, theirs = seed(api.client, org.admin), seed(api.client, other.admin)
    journey, content = ids["journeys"], ids["content"]
    good = _branching(content, ids["segments"])
    tp = "body.phases[0].touchpoints"

    def variant(position: int, **changes: Any) -> dict[str, Any]:
        structure = _branching(content, ids["segments"])
        structure["phases"][0]["touchpoints"][position].update(changes)
        return structure

    wrong = {"when": {"kind": "quiz_answer", "correct": False}, "goto": "Remedial"}
    unknown = variant(0, rules=[wrong, {"when": {"kind": "no_reply"}, "goto": "Nope"}])
    (error,) = _refused(api, org, journey, unknown)
    assert error["path"] == f"{tp}[0].rules[1].goto" and "Nope" in error["reason"]
    # The lesson's silence leads back to the quiz, whose flow leads to the lesson: a cycle.
    cycle = variant(2, rules=[{"when": {"kind": "no_reply"}, "goto": "Quiz"}])
    errors = _refused(api, org, journey, cycle)
    assert any("cycle" in e["reason"] and e["path"] == f"{tp}[2].rules[0].goto" for e in errors)
    threshold = variant(
        5, rules=[{"when": {"kind": "check_in_below", "score": 9}, "goto": "Support"}]
    )
    (error,) = _refused(api, org, journey, threshold)
    assert error["path"] == f"{tp}[5].rules[0].when.check_in_below.score"
    late = variant(2, rules=[{"when": {"kind": "no_reply"}, "goto": "Nudge", "after_days": 99}])
    (error,) = _refused(api, org, journey, late)
    assert error["path"].endswith("rules[0].after_days")
    callback = {"when": {"kind": "reply_keyword", "keywords": ["COACH"]}, "goto": "Callback"}
    quiz_rule = {"when": {"kind": "quiz_answer", "correct": True}, "goto": "Nudge"}
    wrong_kind = variant(2, rules=[quiz_rule, callback])
    errors = _refused(api, org, journey, wrong_kind)
    assert [e["path"] for e in errors] == [f"{tp}[2].rules[0].when.kind"]
    foreign = variant(
        0,
        rules=[
            wrong,
            {"when": {"kind": "segment", "segment_id": theirs["segments"]}, "goto": None},
        ],
    )
    (error,) = _refused(api, org, journey, foreign)
    assert error == {"path": f"{tp}[0].rules[1].when.segment_id",
                     "reason": "no such segment in this organization"}  # fmt: skip
    orphan = variant(2, rules=[])  # Nudge and Callback can no longer be reached
    errors = _refused(api, org, journey, orphan)
    assert {e["path"] for e in errors} == {f"{tp}[3].branch", f"{tp}[4].branch"}
    twins = variant(1, name="Quiz")
    errors = _refused(api, org, journey, twins)
    assert f"{tp}[1].name" in {e["path"] for e in errors}
    lost = variant(1, next="Nowhere")
    errors = _refused(api, org, journey, lost)
    assert f"{tp}[1].next" in {e["path"] for e in errors}
    # And the good one still goes in.
    answer = api.client.put(f"/journeys/{journey}/structure", json=good, headers=org.admin)
    assert answer.status_code == 200, answer.text
