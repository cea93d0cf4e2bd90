"""The generic resource routes: pages, filters, sorting, soft delete, audit, and bad input."""

from __future__ import annotations

import re

from tests.api.conftest import Api
from tests.api.factories import RULE, create_body, phone, seed


def test_cursor_pages_cover_every_row_once_in_order(api: Api) -> None:
    org = api.organization()
    for i in range(7):
        body = {**create_body("workers", {}), "team": "Even" if i % 2 == 0 else "Odd"}
        assert api.client.post("/workers", json=body, headers=org.admin).status_code == 201
    seen, cursor = [], None
    while True:
        query = "/workers?limit=3&sort=-created_at" + (f"&cursor={cursor}" if cursor else "")
        page = api.client.get(query, headers=org.admin).json()
        seen += [(w["created_at"], w["id"]) for w in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(set(seen)) == 7 and seen == sorted(seen, reverse=True)
    evens = api.client.get("/workers?team=Even", headers=org.admin).json()["items"]
    assert len(evens) == 4 and {w["team"] for w in evens} == {"Even"}
    wrong = api.client.get(
        f"/workers?sort=created_at&cursor={cursor or 'bm9wZQ'}", headers=org.admin
    )
    assert wrong.status_code == 422  # not the shape of a cursor
    gone = api.client.get(f"/workers?cursor={'a' * 36}", headers=org.admin)
    assert gone.status_code == 404


def test_a_filter_takes_only_what_the_field_accepts(api: Api) -> None:
    org = api.organization()
    body = create_body("workers", {})
    assert api.client.post("/workers", json=body, headers=org.admin).status_code == 201
    found = api.client.get("/workers", params={"phone_e164": body["phone_e164"]}, headers=org.admin)
    assert [w["phone_e164"] for w in found.json()["items"]] == [body["phone_e164"]]
    malformed = api.client.get("/workers?phone_e164=abc", headers=org.admin)
    assert malformed.status_code == 422  # not an empty page: the phone cannot exist
    assert "phone_e164" in malformed.text
    assert api.client.get("/workers?language=english", headers=org.admin).status_code == 422


def test_the_audit_log_pages_by_cursor_as_every_list_does(api: Api) -> None:
    org = api.organization()
    for _ in range(5):
        api.client.post("/segments", json=create_body("segments", {}), headers=org.admin)
    seen, cursor = [], None
    while True:
        page = api.client.get(
            "/audit-log", params={"limit": 2, **({"cursor": cursor} if cursor else {})},
            headers=org.admin,
        ).json()  # fmt: skip
        seen += [entry["id"] for entry in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert len(seen) == len(set(seen)) >= 5 and seen == sorted(seen, reverse=True)
    assert api.client.get("/audit-log?before=3", headers=org.admin).status_code == 422


def test_soft_delete_hides_the_row_and_the_audit_log_tells_who(api: Api) -> None:
    org = api.organization()
    created = api.client.post("/workers", json=create_body("workers", {}), headers=org.admin).json()
    api.client.patch(f"/workers/{created['id']}", json={"team": "Renamed"}, headers=org.admin)
    assert api.client.delete(f"/workers/{created['id']}", headers=org.admin).status_code == 204
    assert api.client.get(f"/workers/{created['id']}", headers=org.admin).status_code == 404
    assert created["id"] not in api.client.get("/workers", headers=org.admin).text
    trail = api.client.get(f"/audit-log?entity_id={created['id']}", headers=org.admin).json()[
        "items"
    ]
    assert [e["action"] for e in trail] == ["delete", "update", "create"]
    assert trail[1]["changes"]["team"] == "Renamed"
    assert {e["actor"] for e in trail} == {trail[0]["actor"]} and trail[0]["actor"].startswith(
        "user:"
    )


def test_password_is_hashed_and_never_returned_or_audited(api: Api) -> None:
    org = api.organization()
    user = api.client.post("/users", json=create_body("users", {}), headers=org.admin).json()
    assert "password" not in user and "password_hash" not in user
    trail = api.client.get(f"/audit-log?entity_id={user['id']}", headers=org.admin).json()["items"]
    assert trail[0]["changes"]["password_hash"] == "(changed)"
    assert api.login(user["email"], "a long enough password")


def test_bad_input_is_a_problem_with_the_field_path(api: Api) -> None:
    org = api.organization()
    cases = [
        ({"phone_e164": "0700 000 000"}, "body.phone_e164"),
        ({"phone_e164": phone(), "nickname": "x"}, "body.nickname"),
        ({"phone_e164": phone(), "timezone": "Mars/Olympus"}, "body.timezone"),
        ({"phone_e164": phone(), "hire_date": "yesterday"}, "body.hire_date"),
    ]
    for body, path in cases:
        answer = api.client.post("/workers", json=body, headers=org.admin)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert path in [e["path"] for e in answer.json()["errors"]]
    # A phone already used names the phone (sealed in the store, unique by its lookup hash).
    taken = {"phone_e164": phone()}
    assert api.client.post("/workers", json=taken, headers=org.admin).status_code == 201
    again = api.client.post("/workers", json=taken, headers=org.admin)
    assert again.status_code == 409
    assert [e["path"] for e in again.json()["errors"]] == ["body.phone_e164"]
    malformed = api.client.post(
        "/workers", content=b"{not json", headers={**org.admin, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 422
    huge = api.client.post(
        "/workers",
        content=b'{"phone_e164": "' + b"1" * 2_000_000 + b'"}',
        headers={**org.admin, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    unknown_query = api.client.get("/workers?colour=blue", headers=org.admin)
    assert unknown_query.status_code == 422


def test_rule_trees_are_checked_against_the_catalog_and_depth(api: Api) -> None:
    org = api.organization()
    node: dict = RULE["root"]["rules"][0]
    for _ in range(8):
        node = {"type": "group", "combinator": "and", "rules": [node]}
    deep = {"name": "deep", "kind": "location", "rule": {"root": node}}
    answer = api.client.post("/segments", json=deep, headers=org.admin)
    assert answer.status_code == 422 and "at most 5" in answer.text
    unknown = {
        "root": {
            "type": "group",
            "combinator": "and",
            "rules": [
                {"type": "condition", "feature": "shoe_size", "operator": "eq", "value": 4},
                {"type": "condition", "feature": "region", "operator": "gt", "value": 4},
            ],
        }
    }
    answer = api.client.post(
        "/segments", json={"name": "x", "kind": "location", "rule": unknown}, headers=org.admin
    )
    assert answer.status_code == 422
    # Each problem at its own path inside the rule, not all of them behind `body.rule`.
    assert [e["path"] for e in answer.json()["errors"]] == [
        "body.rule.root.rules[0].feature",
        "body.rule.root.rules[1].operator",
    ]
    very_deep = "[" * 100_000 + "]" * 100_000
    answer = api.client.post(
        "/segments",
        content=very_deep.encode(),
        headers={**org.admin, "Content-Type": "application/json"},
    )
    assert 400 <= answer.status_code < 500


def test_references_must_be_in_the_organization(api: Api) -> None:
    org = api.organization()
    program = {
        "name": "p",
        "journey_id": "00000000-0000-0000-0000-000000000000",
        "starts_on": "2026-12-01",
    }
    answer = api.client.post("/programs", json=program, headers=org.admin)
    assert answer.status_code == 404 and answer.json()["errors"][0]["path"] == "body.journey_id"


def test_journey_structure_rules_and_publishing(api: Api) -> None:
    org = api.organization()
    ids = seed(api.client, org.admin)
    journey = ids["journeys"]
    touchpoint = {
        "name": "t",
        "kind": "message",
        "local_send_time": "09:00:00",
        "content_id": ids["content"],
    }
    backwards = {
        "phases": [
            {
                "name": "A",
                "touchpoints": [{**touchpoint, "day_offset": 3}, {**touchpoint, "day_offset": 1}],
            }
        ]
    }
    answer = api.client.put(f"/journeys/{journey}/structure", json=backwards, headers=org.admin)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["path"] == "body.phases[0].touchpoints[1].day_offset"
    # Adding Swahili makes the journey unpublishable until the content has a Swahili variant.
    api.client.patch(f"/journeys/{journey}", json={"languages": ["en", "sw"]}, headers=org.admin)
    refused = api.client.patch(
        f"/journeys/{journey}", json={"status": "published"}, headers=org.admin
    )
    assert refused.status_code == 422 and "sw" in refused.json()["detail"]
    variant = {"content_id": ids["content"], "language": "sw", "body": "Habari"}
    assert api.client.post("/content-variants", json=variant, headers=org.admin).status_code == 201
    published = api.client.patch(
        f"/journeys/{journey}", json={"status": "published"}, headers=org.admin
    )
    assert published.status_code == 200
    frozen = api.client.put(f"/journeys/{journey}/structure", json=backwards, headers=org.admin)
    assert frozen.status_code == 409
    # Replacing a draft's structure keeps the ids of touchpoints at the same position.
    api.client.patch(f"/journeys/{journey}", json={"status": "draft"}, headers=org.admin)
    grown = {
        "phases": [
            {"name": "A", "touchpoints": [{**touchpoint, "day_offset": 0}]},
            {"name": "B", "touchpoints": [{**touchpoint, "name": "u", "day_offset": 7}]},
        ]
    }
    answer = api.client.put(f"/journeys/{journey}/structure", json=grown, headers=org.admin).json()
    assert answer["phases"][0]["touchpoints"][0]["id"] == ids["touchpoint"]
    assert [p["position"] for p in answer["phases"]] == [1, 2] and answer["problems"] == []


def test_content_whose_placeholders_have_no_mapping_is_refused_with_the_path(api: Api) -> None:
    org = api.organization()
    ids = seed(api.client, org.admin)
    variant = {"content_id": ids["content"], "language": "sw", "variant_key": "p",
               "body": "Habari {{1}}, {{2}} from {{team}}", "template_variables": {"1": "first_name"}}  # fmt: skip
    refused = api.client.post("/content-variants", json=variant, headers=org.admin)
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["path"] == "body.template_variables" and "{{2}}" in error["reason"]
    assert "{{team}}" not in error["reason"]  # a field name fills itself
    mapped = {**variant, "template_variables": {"1": "first_name", "2": "the coordinator"}}
    created = api.client.post("/content-variants", json=mapped, headers=org.admin)
    assert created.status_code == 201, created.text
    changed = api.client.patch(
        f"/content-variants/{created.json()['id']}", json={"body": "{{3}}"}, headers=org.admin
    )
    assert changed.status_code == 422 and "{{3}}" in changed.text


def test_worker_import_reports_each_bad_row(api: Api) -> None:
    org = api.organization()
    taken = api.client.post("/workers", json=create_body("workers", {}), headers=org.admin).json()
    good = phone()
    csv = (
        "phone_e164,display_name,team,language\n"
        f"{good},Amina,Coast A,sw\n"
        "12345,Bad Phone,Coast A,sw\n"
        f"{taken['phone_e164']},Taken,Coast A,en\n"
        f"{good},Twice,Coast A,en\n"
    )
    headers = {**org.admin, "Content-Type": "text/csv"}
    dry = api.client.post("/workers/import?dry_run=true", content=csv, headers=headers).json()
    assert dry["created"] == 0 and dry["rejected"] == 3
    result = api.client.post("/workers/import", content=csv, headers=headers).json()
    assert result["created"] == 1
    assert [(e["line"], e["path"]) for e in result["errors"]] == [
        (3, "phone_e164"),
        (4, "phone_e164"),
        (5, "phone_e164"),
    ]
    bad_header = api.client.post(
        "/workers/import", content="mobile\n+254700000001\n", headers=headers
    )
    assert bad_header.status_code == 422


def test_answers_agree_with_the_published_schema(api: Api) -> None:
    """What the fuzz found: a streamed body over the limit, booleans passed off as numbers, a
    null name reported as a uniqueness conflict, and local times the schema did not describe."""
    org = api.organization()
    ids = seed(api.client, org.admin)

    def chunks():
        yield b'{"phone_e164": "'
        for _ in range(10):
            yield b"1" * 1_000_000
        yield b'"}'

    streamed = api.client.post(
        "/workers", content=chunks(), headers={**org.admin, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    small = api.client.post(
        "/workers",
        content=iter([b'{"phone_e164": "', phone().encode(), b'"}']),
        headers={**org.admin, "Content-Type": "application/json"},
    )
    assert small.status_code == 201, "a small streamed body still reaches the route"
    variant = f"/experiment-variants/{ids['experiment-variants']}"
    for weight in (True, "0.5"):
        answer = api.client.patch(variant, json={"weight": weight}, headers=org.admin)
        assert answer.status_code == 422, weight
    named = api.client.patch(f"/segments/{ids['segments']}", json={"name": None}, headers=org.admin)
    assert named.status_code == 422
    assert named.json()["errors"] == [{"path": "body.name", "reason": "may not be null"}]
    quiet = api.client.patch(
        "/organizations/me", json={"quiet_hours_start": "21:00"}, headers=org.admin
    ).json()
    pattern = api.client.app.openapi()["components"]["schemas"]["OrganizationRead"]["properties"]
    assert quiet["quiet_hours_start"] == "21:00:00"
    assert "format" not in str(pattern["quiet_hours_start"])
    assert re.match(pattern["quiet_hours_start"]["anyOf"][0]["pattern"], quiet["quiet_hours_start"])
    for method, path, allowed in (
        ("OPTIONS", "/organizations/me", "GET, PATCH"),  # two routes serve this path
        ("PUT", f"/workers/{ids['workers']}", "DELETE, GET, PATCH"),
        ("OPTIONS", "/workers/import", "POST"),  # a literal path, not /workers/{row_id}
    ):
        refused = api.client.request(method, path, headers=org.admin)
        assert refused.status_code == 405 and refused.headers["allow"] == allowed
