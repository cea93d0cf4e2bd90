"""Logging in, tokens, API keys, registration and approval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from api.security import ALGORITHM, ISSUER, TokenClaims, issue_token
from coaching.domain import OrganizationType, Role, Tier
from tests.api.conftest import PASSWORD, Api
from tests.api.factories import create_body


def test_wrong_password_and_unknown_email_look_the_same(api: Api) -> None:
    org = api.organization()
    wrong = api.client.post(
        "/auth/token", data={"username": org.emails[Role.ADMIN], "password": "x" * 12}
    )
    unknown = api.client.post(
        "/auth/token", data={"username": "nobody@example.org", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["www-authenticate"] == "Bearer"


def test_expired_forged_and_demoted_tokens(api: Api) -> None:
    org = api.organization()
    me = api.client.get("/users?role=program_manager", headers=org.admin).json()["items"][0]
    key = api.client.app.state.secret_key
    expired = issue_token(TokenClaims(me["id"], org.id, "program_manager"), key, -1)
    forged = jwt.encode(
        {
            "iss": ISSUER,
            "sub": me["id"],
            "org": org.id,
            "role": "admin",
            "exp": datetime.now(UTC) + timedelta(minutes=5),
        },
        "not-the-key" * 4,
        algorithm=ALGORITHM,
    )
    for token in (expired, forged, "garbage"):
        answer = api.client.get("/workers", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
    # A token claiming admin for a program manager does not make them one: roles come from the store.
    claimed = issue_token(TokenClaims(me["id"], org.id, "admin"), key, 5)
    answer = api.client.post(
        "/users", json=create_body("users", {}), headers={"Authorization": f"Bearer {claimed}"}
    )
    assert answer.status_code == 403
    # Deactivating a user ends their access at once.
    pm = org.headers[Role.PROGRAM_MANAGER]
    assert (
        api.client.patch(
            f"/users/{me['id']}", json={"is_active": False}, headers=org.admin
        ).status_code
        == 200
    )
    assert api.client.get("/workers", headers=pm).status_code == 401


def test_api_keys_authenticate_until_revoked(api: Api) -> None:
    org = api.organization()
    created = api.client.post(
        "/api-keys", json={"name": "etl", "role": "program_manager"}, headers=org.admin
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("coach_") and "key_hash" not in created.json()
    service = {"Authorization": f"Bearer {key}"}
    assert api.client.get("/workers", headers=service).status_code == 200
    assert (
        api.client.post("/users", json=create_body("users", {}), headers=service).status_code == 403
    )
    listed = api.client.get("/api-keys", headers=org.admin).json()["items"]
    assert all("key" not in item for item in listed)
    assert (
        api.client.delete(f"/api-keys/{created.json()['id']}", headers=org.admin).status_code == 204
    )
    assert api.client.get("/workers", headers=service).status_code == 401
    tampered = {"Authorization": f"Bearer {key[:-2]}xx"}
    assert api.client.get("/workers", headers=tampered).status_code == 401


def test_client_registers_itself_and_expert_waits_for_approval(api: Api) -> None:
    def register(slug: str, type_: str) -> dict:
        answer = api.client.post(
            "/organizations/register",
            json={
                "name": slug,
                "slug": slug,
                "type": type_,
                "admin_email": f"admin@{slug}.example.org",
                "admin_name": "First Admin",
                "admin_password": "a long enough password",
            },
        )
        assert answer.status_code == 201, answer.text
        return answer.json()

    client = register("acme-retail", "client")
    expert = register("coach-experts", "expert")
    assert client["approval_status"] == "approved" and expert["approval_status"] == "pending"
    assert client["tier"] == Tier.BASIC
    expert_admin = api.login("admin@coach-experts.example.org", "a long enough password")
    blocked = api.client.post("/content", json=create_body("content", {}), headers=expert_admin)
    assert blocked.status_code == 403 and "approval" in blocked.json()["detail"]
    assert api.client.get("/organizations/me", headers=expert_admin).status_code == 200
    platform = {"Authorization": f"Bearer {api.settings.platform_token}"}
    url = f"/platform/organizations/{expert['id']}/approval?approve=true"
    assert api.client.post(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert api.client.post(url, headers=platform).status_code == 200
    allowed = api.client.post("/content", json=create_body("content", {}), headers=expert_admin)
    assert allowed.status_code == 201
    duplicate = api.client.post(
        "/organizations/register",
        json={
            "name": "x",
            "slug": "acme-retail",
            "type": OrganizationType.CLIENT,
            "admin_email": "other@example.org",
            "admin_name": "x",
            "admin_password": "a long enough password",
        },
    )
    assert duplicate.status_code == 409


def test_tier_gates(api: Api) -> None:
    basic = api.organization(tier=Tier.BASIC)
    from tests.api.factories import seed

    ids = seed(api.client, basic.admin)
    adaptive = api.client.patch(
        f"/experiments/{ids['experiments']}", json={"is_adaptive": True}, headers=basic.admin
    )
    assert adaptive.status_code == 403 and "premium" in adaptive.json()["detail"]
    # Basic allows 5 active users: the fixture made 4, the seed one more.
    extra = api.client.post("/users", json=create_body("users", {}), headers=basic.admin)
    assert extra.status_code == 403 and "5 active users" in extra.json()["detail"]
