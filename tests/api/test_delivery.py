"""Admin reads of delivery and usage, and tier changes by the platform: a worker's messages with
their fate and replies, the month's use against quota and grace, and an audited tier change."""

from __future__ import annotations

from datetime import timedelta

from coaching import clock
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import MessageEvent, OutboxMessage
from tests.api.conftest import Api
from tests.api.factories import create_body

PLATFORM = {"Authorization": "Bearer " + "p" * 40}


def _history(api: Api, organization_id: str, worker: dict) -> dict[str, str]:
    """Three messages as the sender and the webhooks leave them: one delivered then read (its
    callbacks out of order, one twice) with two replies, one failed with Twilio's error, one held
    for want of quota; and a reply to the last message sent."""
    now = clock.now()
    t = [now - timedelta(hours=h) for h in (30, 20, 10, 2)]
    engine = store_engine(api.settings)
    ids: dict[str, str] = {}
    with transaction(engine) as session:
        common = {"organization_id": organization_id, "worker_id": worker["id"]}
        rows = {
            "read": OutboxMessage(
                **common, idempotency_key=f"{organization_id}-read", to_number=worker["phone_e164"],
                body="Tip one", status="sent", due_at=t[0], sent_at=t[0], attempts=1,
                message_sid="SM" + "a" * 32, claimed_at=t[0],
            ),
            "failed": OutboxMessage(
                **common, idempotency_key=f"{organization_id}-failed", to_number=worker["phone_e164"],
                body="Tip two", status="sent", due_at=t[1], sent_at=t[1], attempts=1,
                message_sid="SM" + "b" * 32, claimed_at=t[1], channel="sms",
            ),
            "held": OutboxMessage(
                **common, idempotency_key=f"{organization_id}-held", to_number=worker["phone_e164"],
                body="Tip three", status="held", due_at=t[3], attempts=0,
                last_error="monthly message quota reached",
            ),
        }  # fmt: skip
        session.add_all(rows.values())
        events = [
            ("status", "SM" + "a" * 32, "delivered", None, t[0] + timedelta(minutes=2)),
            ("status", "SM" + "a" * 32, "sent", None, t[0] + timedelta(minutes=1)),
            ("status", "SM" + "a" * 32, "sent", None, t[0] + timedelta(minutes=1)),  # again
            ("status", "SM" + "a" * 32, "read", None, t[0] + timedelta(minutes=9)),
            ("inbound", None, None, "B", t[0] + timedelta(hours=1)),
            ("inbound", None, None, "thanks", t[0] + timedelta(hours=2)),
            ("status", "SM" + "b" * 32, "undelivered", 30003, t[1] + timedelta(minutes=3)),
            ("inbound", None, None, "where is tip two?", t[2]),
        ]
        for i, (kind, sid, status, body_or_code, at) in enumerate(events):
            session.add(
                MessageEvent(
                    organization_id=organization_id, event_key=f"{organization_id}-{i}", kind=kind,
                    message_sid=sid, status=status,
                    error_code=body_or_code if isinstance(body_or_code, int) else None,
                    body=body_or_code if isinstance(body_or_code, str) else None,
                    worker_id=worker["id"], occurred_at=at,
                    channel="sms" if sid == "SM" + "b" * 32 else "whatsapp",
                )
            )  # fmt: skip
        session.flush()
        ids = {name: row.id for name, row in rows.items()}
    engine.dispose()
    return ids


def test_a_workers_messages_say_what_became_of_each_and_the_replies(api: Api) -> None:
    org = api.organization()
    worker = api.client.post("/workers", json=create_body("workers", {}), headers=org.admin).json()
    ids = _history(api, org.id, worker)
    url = f"/workers/{worker['id']}/messages"
    answer = api.client.get(url, headers=org.headers["program_manager"])
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [i["id"] for i in items] == [ids["held"], ids["failed"], ids["read"]]
    held, failed, read = items
    assert held["status"] == "held" and held["delivery_status"] is None
    assert held["error"] == "monthly message quota reached" and held["replies"] == []
    assert read["delivery_status"] == "read"  # the highest rank, not the last callback to arrive
    assert [s["status"] for s in read["statuses"]] == ["sent", "delivered", "read"]
    assert [r["body"] for r in read["replies"]] == ["B", "thanks"]
    assert failed["delivery_status"] == "undelivered" and failed["error_code"] == 30003
    assert failed["error"] and failed["channel"] == "sms"
    assert [r["body"] for r in failed["replies"]] == ["where is tip two?"]

    first = api.client.get(url, params={"limit": 2}, headers=org.admin).json()
    rest = api.client.get(url, params={"cursor": first["next_cursor"]}, headers=org.admin).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in items]
    assert rest["items"][0]["replies"] == read["replies"]  # replies stay with their message

    assert api.client.get(url, headers=org.headers["content_specialist"]).status_code == 403
    other = api.organization()
    assert api.client.get(url, headers=other.admin).status_code == 404
    foreign_cursor = api.client.get(f"{url}?cursor={ids['read']}", headers=other.admin).status_code
    assert foreign_cursor == 404


def test_usage_counts_the_month_by_channel_and_the_grace_left(api: Api) -> None:
    org = api.organization()
    worker = api.client.post("/workers", json=create_body("workers", {}), headers=org.admin).json()
    _history(api, org.id, worker)
    usage = api.client.get("/usage", headers=org.admin).json()
    month = clock.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    sent = {"whatsapp": clock.now() - timedelta(hours=30), "sms": clock.now() - timedelta(hours=20)}
    expected = {channel: 1 for channel, at in sorted(sent.items()) if at >= month}
    assert usage["used_by_channel"] == expected
    assert usage["used"] == sum(expected.values())
    assert usage["tier"] == "premium" and usage["monthly_quota"] == 500_000
    assert usage["left"] == 500_000 - usage["used"]
    assert usage["held"] == 1 and usage["grace_allowance"] == 25_000
    assert usage["grace_used"] == 0 and usage["grace_left"] == 25_000
    assert api.client.get("/usage", headers=org.headers["training_manager"]).status_code == 403


def test_platform_tier_changes_are_audited_and_refused_when_exceeded(api: Api) -> None:
    org = api.organization(tier="premium")
    path = f"/platform/organizations/{org.id}/tier"
    assert api.client.post(path, json={"tier": "standard"}, headers=org.admin).status_code == 401
    changed = api.client.post(path, json={"tier": "standard"}, headers=PLATFORM)
    assert changed.status_code == 200, changed.text
    assert changed.json()["tier"] == "standard"
    assert changed.json()["monthly_message_quota"] == 50_000
    usage = api.client.get("/usage", headers=org.admin).json()
    assert usage["grace_allowance"] == 2_500 and usage["monthly_quota"] == 50_000
    custom = api.client.post(
        path, json={"tier": "standard", "monthly_message_quota": 60_000}, headers=PLATFORM
    )
    assert custom.json()["monthly_message_quota"] == 60_000
    audit = api.client.get("/audit-log", params={"actor": "platform"}, headers=org.admin).json()[
        "items"
    ]
    assert [e["changes"] for e in audit] == [
        {"tier": "standard", "monthly_message_quota": 60_000},
        {"tier": "standard", "monthly_message_quota": 50_000},
    ]
    for i in range(2):  # six active users: more than the basic tier allows
        body = {**create_body("users", {}), "email": f"extra-{i}-{org.slug}@example.org"}
        assert api.client.post("/users", json=body, headers=org.admin).status_code == 201
    refused = api.client.post(path, json={"tier": "basic"}, headers=PLATFORM)
    assert refused.status_code == 409 and "6 are active" in refused.text
    assert api.client.get("/organizations/me", headers=org.admin).json()["tier"] == "standard"
    unknown = api.client.post(
        "/platform/organizations/nope/tier", json={"tier": "basic"}, headers=PLATFORM
    )
    assert unknown.status_code == 404
    bad = api.client.post(path, json={"tier": "gold"}, headers=PLATFORM)
    assert bad.status_code == 422
