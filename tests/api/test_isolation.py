"""Every route, walked by a user of another organization and by each role.

The route list comes from the application itself, so a new route that this walk does not know
fails the test until it is classified. Expected permissions are written out here from the
domain's roles, not read from the code under test.
"""

from __future__ import annotations

import json
import re
from typing import Any

from api.versions import CURRENT
from coaching.domain import Role
from tests.api.conftest import Api, Org
from tests.api.factories import UPDATE_BODIES, create_body, quota_notice, seed

A, PM, TM, CS = Role.ADMIN, Role.PROGRAM_MANAGER, Role.TRAINING_MANAGER, Role.CONTENT_SPECIALIST
EXPECTED_WRITERS = {
    "users": {A},
    "api-keys": {A},
    "workers": {A, PM},
    "segments": {A, PM},
    "content": {A, TM, CS},
    "content-variants": {A, TM, CS},
    "journeys": {A, TM, CS},
    "programs": {A, PM},
    "enrollments": {A, PM},
    "experiments": {A, PM},
    "experiment-variants": {A, PM},
    "notification-webhooks": {A},
}
PUBLIC = {
    ("POST", "/auth/token"),
    ("POST", "/auth/refresh"),  # the refresh token is the credential (tests/api/test_accounts.py)
    ("POST", "/organizations/register"),
    ("GET", "/health"),
    ("POST", "/webhooks/twilio/status"),  # signed by Twilio instead (tests/api/test_webhooks.py)
    ("POST", "/webhooks/twilio/inbound"),
    ("POST", "/platform/organizations/{organization_id}/approval"),  # the platform token
    ("POST", "/platform/organizations/{organization_id}/tier"),
    ("GET", "/platform/benchmarks"),
}


# Signing out ends the caller's own session (tests/api/test_accounts.py): walked last, so the
# walk's other requests keep their credentials.
SIGN_OUT = ("POST", "/auth/logout")


def routes(api: Api) -> list[tuple[str, str]]:
    """Every operation the application publishes in its OpenAPI document, but the public ones,
    by its path within the version (`call` sends each to the versioned path)."""
    paths = api.client.app.openapi()["paths"]
    found = sorted(
        (method.upper(), path.removeprefix(CURRENT))
        for path, operations in paths.items()
        for method in operations
        if (method.upper(), path.removeprefix(CURRENT)) not in PUBLIC
    )
    unversioned = {path for path in paths if not path.startswith(f"{CURRENT}/")}
    assert unversioned == {"/health", "/webhooks/twilio/status", "/webhooks/twilio/inbound"}
    found.sort(key=lambda route: route == SIGN_OUT)
    assert len(found) > 40, "the walk must see the application's routes"
    return found


def _resource_of(path: str) -> str:
    parts = path.strip("/").split("/")
    return parts[1] if parts[0] == "marketplace" else parts[0]


def request_for(method: str, path: str, ids: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """A request against `path` with the row ids (and referenced ids) of `ids`."""
    resource = _resource_of(path)
    url = re.sub(r"\{(row_id|journey_id)\}", lambda _: ids[resource], path)
    kwargs: dict[str, Any] = {}
    if method == "POST" and path == f"/{resource}":
        kwargs["json"] = create_body(resource, ids)
    elif method == "PATCH" and resource in UPDATE_BODIES:
        kwargs["json"] = UPDATE_BODIES[resource]
    elif path == "/organizations/me" and method == "PATCH":
        kwargs["json"] = {"name": "Taken over"}
    elif path == "/journeys/{row_id}/structure" and method == "PUT":
        kwargs["json"] = {
            "phases": [
                {
                    "name": "Mine",
                    "touchpoints": [
                        {
                            "name": "t",
                            "kind": "message",
                            "day_offset": 0,
                            "local_send_time": "08:00:00",
                            "content_id": ids["content"],
                        }
                    ],
                }
            ]
        }
    elif path == "/notifications/preferences" and method == "PUT":
        kwargs["json"] = {"kind": "bulk_opt_out", "channels": ["inbox"]}
    elif path == "/segments/preview":
        kwargs["json"] = {"rule": create_body("segments", ids)["rule"]}
    elif path == "/workers/import":
        kwargs["content"] = "phone_e164,team\n+254799999999,Imported\n"
        kwargs["headers"] = {"Content-Type": "text/csv"}
    return url, kwargs


def call(api: Api, headers: dict[str, str], method: str, path: str, ids: dict[str, str]) -> Any:
    url, kwargs = request_for(method, path, ids)
    url = f"{CURRENT}{url}"
    kwargs["headers"] = {**headers, **kwargs.get("headers", {})}
    return api.client.request(method, url, **kwargs)


def snapshot(api: Api, org: Org, ids: dict[str, str]) -> dict[str, Any]:
    rows = {
        resource: api.client.get(f"/{resource}/{ids[resource]}", headers=org.admin).json()
        for resource in EXPECTED_WRITERS
    }
    rows["organization"] = api.client.get("/organizations/me", headers=org.admin).json()
    rows["inbox"] = api.client.get("/notifications", headers=org.admin).json()
    rows["structure"] = api.client.get(
        f"/journeys/{ids['journeys']}/structure", headers=org.admin
    ).json()
    return rows


def test_every_route_needs_credentials(api: Api) -> None:
    for method, path in routes(api):
        names = [*EXPECTED_WRITERS, "content", "notifications", "auth"]
        url, kwargs = request_for(method, path, {k: "x" for k in names})
        answer = api.client.request(method, f"{CURRENT}{url}", **kwargs)
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"


def test_no_route_reads_or_writes_another_organization(api: Api) -> None:
    victim, intruder = api.organization(), api.organization()
    ids = seed(api.client, victim.admin)
    quota_notice(api.settings.database_url or "", victim.id)
    inbox = api.client.get("/notifications", headers=victim.admin).json()["items"]
    ids["notifications"] = inbox[0]["id"]
    ids["auth"] = api.client.get("/auth/sessions", headers=victim.admin).json()["items"][0]["id"]
    before = snapshot(api, victim, ids)
    victim_ids = {value for key, value in ids.items()} | {victim.id}
    for role in Role:
        for method, path in routes(api):
            answer = call(api, intruder.headers[role], method, path, ids)
            if "{" in path:
                assert answer.status_code in (403, 404), (role, method, path, answer.text)
            else:
                assert answer.status_code != 500, (method, path, answer.text)
            leaked = victim_ids & set(re.findall(r"[0-9a-f\-]{36}", answer.text))
            assert not leaked, (role, method, path, answer.text)
            references = json.dumps(request_for(method, path, ids)[1].get("json", {}))
            if answer.status_code < 300 and victim_ids & set(
                re.findall(r"[0-9a-f\-]{36}", references)
            ):
                raise AssertionError(f"{role} {method} {path} accepted another tenant's ids")
    assert snapshot(api, victim, ids) == before
    entries = api.client.get("/audit-log?limit=200", headers=victim.admin).json()["items"]
    # Changes only: each of the victim's users signing in is in its log too.
    audit = [e for e in entries if e["action"] in ("create", "update", "delete")]
    assert {e["actor"] for e in entries if e["action"] == "sign_in"} == {
        f"user:{user_id}" for user_id in victim.user_ids.values()
    }
    intruders = {e["actor"] for e in audit} - {"registration"}
    own = {e["actor"] for e in audit if e["actor"].startswith("user:")}
    assert intruders == own and len(own) == 1  # only the victim's admin changed anything


def test_roles_write_only_what_they_own(api: Api) -> None:
    org = api.organization()
    ids = seed(api.client, org.admin)

    def body(resource: str) -> dict[str, Any]:
        if resource == "enrollments":  # each enrollment needs a worker not yet enrolled
            worker = api.client.post(
                "/workers", json=create_body("workers", ids), headers=org.admin
            )
            ids["fresh_worker"] = worker.json()["id"]
        return create_body(resource, ids)

    for resource, writers in EXPECTED_WRITERS.items():
        for role in Role:
            allowed = role in writers
            created = api.client.post(
                f"/{resource}", json=body(resource), headers=org.headers[role]
            )
            assert created.status_code == (201 if allowed else 403), (resource, role, created.text)
            changed = api.client.patch(
                f"/{resource}/{ids[resource]}",
                json=UPDATE_BODIES[resource],
                headers=org.headers[role],
            )
            assert changed.status_code == (200 if allowed else 403), (resource, role, changed.text)
            fresh = api.client.post(f"/{resource}", json=body(resource), headers=org.admin)
            assert fresh.status_code == 201, (resource, fresh.text)
            deleted = api.client.delete(
                f"/{resource}/{fresh.json()['id']}", headers=org.headers[role]
            )
            assert deleted.status_code == (204 if allowed else 403), (resource, role, deleted.text)


def test_special_routes_follow_roles(api: Api) -> None:
    org = api.organization()
    ids = seed(api.client, org.admin)
    expected = {
        ("PATCH", "/organizations/me"): {A},
        ("GET", "/audit-log"): {A},
        ("GET", "/api-keys"): {A},
        ("POST", "/workers/import"): {A, PM},
        ("GET", "/notification-deliveries"): {A},
        ("GET", "/usage"): {A, PM},
        ("GET", "/workers/{row_id}/messages"): {A, PM},
        ("GET", "/notifications"): set(Role),
        ("GET", "/notifications/preferences"): set(Role),
    }
    for (method, path), allowed in expected.items():
        for role in Role:
            answer = call(api, org.headers[role], method, path, ids)
            assert (answer.status_code < 300) == (role in allowed), (
                method,
                path,
                role,
                answer.text,
            )
            assert answer.status_code in (200, 201, 403), answer.text
