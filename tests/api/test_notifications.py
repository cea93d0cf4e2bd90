"""The notification reads and choices people make through the API: the inbox, read marks,
per-kind preferences the notifier then follows, the organization's webhooks, and delivery state."""

from __future__ import annotations

from datetime import UTC, datetime

from activation.notifications.claim import claim
from coaching.store.engine import store_engine
from tests.api.conftest import Api
from tests.api.factories import create_body, quota_notice


def _inbox(api: Api, headers: dict[str, str], **params: str) -> dict:
    answer = api.client.get("/notifications", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_inbox_lists_reads_and_pages_ones_own_notices(api: Api) -> None:
    org = api.organization()
    url = api.settings.database_url or ""
    for period in ("2026-10", "2026-11", "2026-12"):
        quota_notice(url, org.id, period)
    mine = _inbox(api, org.admin)
    assert mine["unread"] == 3 and len(mine["items"]) == 3
    assert [i["period"] for i in mine["items"]] == ["2026-12", "2026-11", "2026-10"]
    assert mine["items"][0]["title"].endswith("of this month's messages")
    assert _inbox(api, org.headers["program_manager"])["items"] == []  # admins were named

    first = _inbox(api, org.admin, limit="2")
    rest = _inbox(api, org.admin, limit="2", cursor=first["next_cursor"])
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in mine["items"]]
    assert rest["next_cursor"] is None

    target = mine["items"][1]["id"]
    read = api.client.post(f"/notifications/{target}/read", headers=org.admin).json()
    again = api.client.post(f"/notifications/{target}/read", headers=org.admin).json()
    assert read["read_at"] is not None and again["read_at"] == read["read_at"]
    assert _inbox(api, org.admin)["unread"] == 2
    assert [i["id"] for i in _inbox(api, org.admin, unread="false")["items"]] == [target]
    someone_else = api.client.post(
        f"/notifications/{target}/read", headers=org.headers["program_manager"]
    )
    assert someone_else.status_code == 404  # another user's inbox looks like nothing

    marked = api.client.post("/notifications/read-all", headers=org.admin).json()
    assert marked == {"marked": 2} and _inbox(api, org.admin)["unread"] == 0


def test_an_api_key_has_no_inbox(api: Api) -> None:
    org = api.organization()
    key = api.client.post(
        "/api-keys", json={"name": "svc", "role": "admin"}, headers=org.admin
    ).json()["key"]
    answer = api.client.get("/notifications", headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 403 and "sign in as a user" in answer.json()["detail"]


def test_preferences_are_validated_and_the_notifier_follows_them(api: Api) -> None:
    org = api.organization()
    pm = org.headers["program_manager"]
    defaults = api.client.get("/notifications/preferences", headers=pm).json()
    assert {p["kind"] for p in defaults} >= {"wellbeing_decline", "quota_warning"}
    assert all(p["is_default"] and p["channels"] == ["inbox", "email"] for p in defaults)

    refused = {
        "nothing": {"kind": "bulk_opt_out", "channels": []},
        "webhook": {"kind": "bulk_opt_out", "channels": ["webhook"]},
        "twice": {"kind": "bulk_opt_out", "channels": ["email", "email"]},
        "unknown kind": {"kind": "gossip", "channels": ["inbox"]},
        "unknown field": {"kind": "bulk_opt_out", "channels": ["inbox"], "sms": True},
    }
    for why, body in refused.items():
        answer = api.client.put("/notifications/preferences", json=body, headers=pm)
        assert answer.status_code == 422, (why, answer.text)

    email_only = {"kind": "wellbeing_decline", "channels": ["email"]}
    muted = {"kind": "bulk_opt_out", "muted": True}
    for body in (email_only, muted):
        answer = api.client.put("/notifications/preferences", json=body, headers=pm)
        assert answer.status_code == 200 and not answer.json()["is_default"], answer.text
    chosen = {p["kind"]: p for p in api.client.get("/notifications/preferences", headers=pm).json()}
    assert chosen["wellbeing_decline"]["channels"] == ["email"]
    assert chosen["bulk_opt_out"]["muted"] is True

    hook = api.client.post(
        "/notification-webhooks", json=create_body("notification-webhooks", {}), headers=org.admin
    )
    assert hook.status_code == 201 and "secret" not in hook.json(), hook.text
    audit = api.client.get(
        "/audit-log", params={"entity": "notification_webhooks"}, headers=org.admin
    ).json()["items"]
    assert audit[0]["changes"]["secret"] == "(changed)"  # the secret never reaches the log

    pm_id = _user_id(api, org, "program_manager")
    rows = [
        _due(org.id, "wellbeing_decline", "worker", pm_id),
        _due(org.id, "bulk_opt_out", "program", pm_id),
    ]
    engine = store_engine(api.settings)
    try:
        claim(engine, rows, datetime.now(UTC), email_enabled=True)
    finally:
        engine.dispose()
    deliveries = api.client.get("/notification-deliveries", headers=org.admin).json()["items"]
    got = sorted((d["kind"], d["channel"]) for d in deliveries)
    # wellbeing by email only; the muted bulk opt-out by the webhook that asked for it only
    assert got == [("bulk_opt_out", "webhook"), ("wellbeing_decline", "email")]
    assert all(d["status"] == "pending" and d["attempts"] == 0 for d in deliveries)
    webhook_only = api.client.get(
        "/notification-deliveries", params={"channel": "webhook"}, headers=org.admin
    ).json()["items"]
    assert [d["destination"] for d in webhook_only] == ["https://chat.example.org/hooks/coach"]
    assert api.client.get("/notification-deliveries", headers=pm).status_code == 403


def test_webhooks_refuse_bad_addresses_and_short_secrets(api: Api) -> None:
    org = api.organization()
    base = create_body("notification-webhooks", {})
    for field, value in {
        "url": "ftp://chat.example.org/x",
        "secret": "short",
        "kinds": ["gossip"],
    }.items():
        answer = api.client.post(
            "/notification-webhooks", json={**base, field: value}, headers=org.admin
        )
        assert answer.status_code == 422, (field, answer.text)
        assert f"body.{field}" in answer.text


def _user_id(api: Api, org, role: str) -> str:
    users = api.client.get("/users", params={"role": role}, headers=org.admin).json()["items"]
    return users[0]["id"]


def _due(organization_id: str, kind: str, subject_type: str, recipient: str) -> dict:
    return {
        "notification_key": f"{kind}:{organization_id}:2026-12-01",
        "organization_id": organization_id,
        "kind": kind,
        "subject_type": subject_type,
        "subject_id": organization_id,
        "period": "2026-12-01",
        "severity": "warning",
        "recipient_user_id": recipient,
        "recipient_role": None,
        "program_id": None,
        "measured": 0.05 if kind == "bulk_opt_out" else 1.0,
        "reference": 0.02 if kind == "bulk_opt_out" else 4.0,
        "detail": "5 of 100",
    }


def test_an_invalid_email_is_refused_when_the_user_is_created(api: Api) -> None:
    """Notifications go by email: an address no mail server could take never reaches the store."""
    org = api.organization()
    for bad in (
        "grace",
        "grace@",
        "@example.org",
        "grace@example",
        "gr ace@example.org",
        "a@b@c.org",
    ):
        body = {**create_body("users", {}), "email": bad}
        answer = api.client.post("/users", json=body, headers=org.admin)
        assert answer.status_code == 422 and "body.email" in answer.text, bad
    users = api.client.get("/users", headers=org.admin).json()["items"]
    assert all("@" in u["email"] and "." in u["email"].split("@")[1] for u in users)
