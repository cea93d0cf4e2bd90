"""Twilio webhooks, signed with the SDK's RequestValidator as Twilio signs them."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from coaching.store.engine import store_engine
from coaching.store.tables import Enrollment, MessageEvent, Worker
from tests.api.conftest import Api, Org
from tests.api.factories import create_body, seed

BASE = "http://testserver"


def post_signed(
    api: Api,
    path: str,
    params: dict[str, str],
    *,
    url: str | None = None,
    headers: dict[str, str] | None = None,
    token: str | None = None,
) -> object:
    validator = RequestValidator(api.settings.twilio_auth_token)
    signature = validator.compute_signature(url or f"{BASE}{path}", params)
    sent = {"X-Twilio-Signature": signature, **(headers or {})}
    if token:
        sent["I-Twilio-Idempotency-Token"] = token
    return api.client.post(path, data=params, headers=sent)


def events(api: Api, organization_id: str) -> list[MessageEvent]:
    engine = store_engine(api.settings)
    with engine.connect() as connection:
        rows = connection.execute(
            select(MessageEvent).where(MessageEvent.organization_id == organization_id)
        ).all()
    engine.dispose()
    return rows


def worker(api: Api, org: Org) -> dict:
    answer = api.client.post("/workers", json=create_body("workers", {}), headers=org.admin)
    assert answer.status_code == 201
    return answer.json()


def status_params(org: Org, to: str, status: str = "delivered", sid: str | None = None) -> dict:
    return {
        "MessageSid": sid or f"SM{uuid.uuid4().hex}",
        "MessageStatus": status,
        "AccountSid": "AC00000000000000000000000000000000",
        "From": f"whatsapp:{org.whatsapp_sender}",
        "To": f"whatsapp:{to}",
    }


def test_status_callback_is_stored_once_per_delivery(api: Api) -> None:
    org = api.organization()
    person = worker(api, org)
    params = status_params(org, person["phone_e164"])
    first = post_signed(api, "/webhooks/twilio/status", params, token="retry-1")
    again = post_signed(api, "/webhooks/twilio/status", params, token="retry-1")
    same_sid_status = post_signed(api, "/webhooks/twilio/status", params, token="other-token")
    assert first.status_code == again.status_code == same_sid_status.status_code == 200
    assert first.headers["content-type"].startswith("text/xml")
    stored = events(api, org.id)
    assert len(stored) == 1
    assert stored[0].worker_id == person["id"]
    assert stored[0].event_key == f"{params['MessageSid']}:delivered"
    assert stored[0].channel == "whatsapp"
    failed = post_signed(
        api, "/webhooks/twilio/status", {**params, "MessageStatus": "failed", "ErrorCode": "30008"}
    )
    assert failed.status_code == 200
    latest = [e for e in events(api, org.id) if e.status == "failed"]
    assert latest and latest[0].error_code == 30008


def test_bad_signatures_are_refused_and_nothing_is_stored(api: Api) -> None:
    org = api.organization()
    params = status_params(org, "+254700000009")
    forged = api.client.post(
        "/webhooks/twilio/status",
        data=params,
        headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
    )
    unsigned = api.client.post("/webhooks/twilio/status", data=params)
    validator = RequestValidator(api.settings.twilio_auth_token)
    signature = validator.compute_signature(f"{BASE}/webhooks/twilio/status", params)
    tampered = api.client.post(
        "/webhooks/twilio/status",
        data={**params, "MessageStatus": "read"},
        headers={"X-Twilio-Signature": signature},
    )
    wrong_key = RequestValidator("not-our-token").compute_signature(
        f"{BASE}/webhooks/twilio/inbound", params
    )
    other_key = api.client.post(
        "/webhooks/twilio/inbound", data=params, headers={"X-Twilio-Signature": wrong_key}
    )
    for answer in (forged, unsigned, tampered, other_key):
        assert answer.status_code == 403
        assert answer.headers["content-type"] == "application/problem+json"
    assert events(api, org.id) == []


def test_signature_uses_the_public_url_behind_a_proxy(api: Api) -> None:
    org = api.organization()
    params = status_params(org, "+254700000010")
    public = "https://coach.example.org/webhooks/twilio/status"
    proxied = post_signed(
        api,
        "/webhooks/twilio/status",
        params,
        url=public,
        headers={"X-Forwarded-Proto": "https", "Host": "coach.example.org"},
    )
    assert proxied.status_code == 200
    direct = post_signed(
        api, "/webhooks/twilio/status", {**params, "MessageStatus": "read"}, url=public
    )
    assert direct.status_code == 403  # signed for the public URL, but arrived without the proxy


def test_stop_opts_the_worker_out_at_once(api: Api) -> None:
    org = api.organization()
    ids = seed(api.client, org.admin)
    person = api.client.get(f"/workers/{ids['workers']}", headers=org.admin).json()
    inbound = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "From": f"whatsapp:{person['phone_e164']}",
        "To": f"whatsapp:{org.whatsapp_sender}",
        "Body": "  stop ",
        "AccountSid": "AC00000000000000000000000000000000",
    }
    answer = post_signed(api, "/webhooks/twilio/inbound", inbound)
    assert answer.status_code == 200
    after = api.client.get(f"/workers/{ids['workers']}", headers=org.admin).json()
    assert after["whatsapp_opt_out_at"] is not None
    engine = store_engine(api.settings)
    with engine.connect() as connection:
        statuses = connection.scalars(
            select(Enrollment.status).where(Enrollment.worker_id == ids["workers"])
        ).all()
        opted_out = connection.scalar(
            select(func.count()).select_from(Worker).where(Worker.whatsapp_opt_out_at.is_not(None))
        )
    engine.dispose()
    assert set(statuses) <= {"opted_out"} and opted_out >= 1
    stored = events(api, org.id)
    assert [(e.kind, e.worker_id, e.body) for e in stored] == [("inbound", person["id"], "  stop ")]
    audit = api.client.get("/audit-log?actor=twilio", headers=org.admin).json()["items"]
    assert any(e["entity"] == "workers" and "whatsapp_opt_out_at" in e["changes"] for e in audit)


def test_replies_are_linked_by_phone_and_unknown_numbers_answer_404(api: Api) -> None:
    org = api.organization()
    person = worker(api, org)
    reply = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "From": f"whatsapp:{person['phone_e164']}",
        "To": f"whatsapp:{org.whatsapp_sender}",
        "Body": "B",
    }
    assert post_signed(api, "/webhooks/twilio/inbound", reply).status_code == 200
    assert events(api, org.id)[0].worker_id == person["id"]
    stranger = {**reply, "MessageSid": f"SM{uuid.uuid4().hex}", "To": "whatsapp:+19999999999"}
    assert post_signed(api, "/webhooks/twilio/inbound", stranger).status_code == 404
    malformed = {"From": reply["From"], "To": reply["To"]}
    assert post_signed(api, "/webhooks/twilio/inbound", malformed).status_code == 422


def test_another_organizations_number_cannot_be_taken_and_its_stop_stays_its_own(api: Api) -> None:
    owner, taker = api.organization(), api.organization()
    ids = seed(api.client, owner.admin)
    person = api.client.get(f"/workers/{ids['workers']}", headers=owner.admin).json()
    for field in ("sms_sender", "whatsapp_sender"):
        answer = api.client.patch(
            "/organizations/me", json={field: owner.whatsapp_sender}, headers=taker.admin
        )
        assert answer.status_code == 409, answer.text
        assert [e["path"] for e in answer.json()["errors"]] == [f"body.{field}"]
    mine = api.client.get("/organizations/me", headers=taker.admin).json()
    assert mine["whatsapp_sender"] == taker.whatsapp_sender and mine["sms_sender"] is None
    inbound = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "From": person["phone_e164"],
        "To": owner.whatsapp_sender,  # by SMS, to the number the other tenant tried to take
        "Body": "STOP",
        "AccountSid": "AC00000000000000000000000000000000",
    }
    assert post_signed(api, "/webhooks/twilio/inbound", inbound).status_code == 200
    after = api.client.get(f"/workers/{ids['workers']}", headers=owner.admin).json()
    assert after["whatsapp_opt_out_at"] is not None
    assert events(api, taker.id) == []
    both = api.client.patch(
        "/organizations/me",
        json={"sms_sender": taker.whatsapp_sender, "whatsapp_sender": taker.whatsapp_sender},
        headers=taker.admin,
    )
    assert both.status_code == 200, "one organization may send on one number by both channels"


def test_a_caller_that_goes_away_mid_body_is_no_server_error(api: Api, caplog) -> None:
    """Twilio gives up on a webhook that answers slowly and retries it: the abandoned request
    raises no error out of the application (the server would log a traceback for each)."""
    import anyio

    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/webhooks/twilio/status", "raw_path": b"/webhooks/twilio/status",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1), "server": ("t", 80),
        "headers": [(b"content-type", b"application/x-www-form-urlencoded"),
                    (b"content-length", b"200"), (b"x-twilio-signature", b"x")],
    }  # fmt: skip
    with caplog.at_level("INFO", logger="api.problems"):
        anyio.run(api.client.app, scope, receive, send)  # raises nothing
    assert sent[0]["status"] == 400
    assert "client went away" in caplog.text and "unhandled" not in caplog.text
