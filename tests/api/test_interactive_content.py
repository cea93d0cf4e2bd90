"""Interactive content through the API: options and media are checked against what WhatsApp takes,
with the path of every error, when written and when a journey is published; a tapped button and a
worker's files come in through the webhook, kept per tenant and shown in the worker's messages."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from coaching import clock
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import InboundMedia, MessageEvent, OutboxMessage
from tests.api.conftest import Api, Org
from tests.api.test_webhooks import post_signed, worker

QUIZ = [
    {"payload": "A", "text": "A) Always", "correct": True},
    {"payload": "B", "text": "B) Never"},
]


def _paths(answer: Any) -> list[str]:
    assert answer.status_code == 422, answer.text
    return [error["path"] for error in answer.json()["errors"]]


def _content(api: Api, org: Org, **body: Any) -> Any:
    return api.client.post(
        "/content", json={"key": f"q-{uuid.uuid4().hex[:12]}", "kind": "text", **body},
        headers=org.admin,
    )  # fmt: skip


def test_options_are_refused_with_the_path_of_every_error(api: Api) -> None:
    org = api.organization()
    bad = [
        {"payload": "A", "text": "Always, every single day"},  # 24 > 20 as a button
        {"payload": "a", "text": "Never", "correct": True},  # payload used twice (any case)
        {"payload": "C", "text": "never", "correct": True},  # label twice; two correct
    ]
    paths = _paths(_content(api, org, options=bad))
    assert paths == [
        "body.options[0].text",
        "body.options[1].payload",
        "body.options[2].text",
        "body.options",
    ]
    eleven = [{"payload": str(i), "text": str(i)} for i in range(11)]
    assert _paths(_content(api, org, options=eleven)) == ["body.options"]
    schema_paths = _paths(_content(api, org, options=[{"payload": "has space", "text": "x" * 25}]))
    assert schema_paths == ["body.options[0].payload", "body.options[0].text"]
    # Four to ten options are a list picker: 24 characters fit there.
    listed = [{"payload": str(i), "text": f"{i} " + "x" * 20} for i in range(1, 5)]
    assert _content(api, org, options=listed).status_code == 201
    assert api.client.get("/content", headers=org.admin).json()["items"][0]["options"]


def test_variant_labels_and_media_are_checked_against_the_content(api: Api) -> None:
    org = api.organization()
    content = _content(api, org, options=QUIZ).json()
    base = {"content_id": content["id"], "language": "sw", "body": "Swali {{1}}",
            "template_variables": {"1": "first_name"}}  # fmt: skip
    refused = api.client.post(
        "/content-variants",
        json={
            **base,
            "option_texts": {"A": "Kila siku, kila wakati", "Z": "Hapana"},
            "media_url": "https://cdn.example.org/lesson.gif",
            "media_type": "image/gif",
            "media_bytes": 1000,
        },
        headers=org.admin,
    )
    assert _paths(refused) == [
        "body.option_texts.A",
        "body.option_texts.Z",
        "body.media_type",
    ]
    too_big = api.client.post(
        "/content-variants",
        json={**base, "media_url": "https://cdn.example.org/a.jpg", "media_type": "image/jpeg",
              "media_bytes": 6 * 1024 * 1024},
        headers=org.admin,
    )  # fmt: skip
    assert _paths(too_big) == ["body.media_bytes"]
    good = api.client.post(
        "/content-variants",
        json={**base, "option_texts": {"A": "Daima"}, "media_url": "https://cdn.example.org/a.ogg",
              "media_type": "audio/ogg", "media_bytes": 300_000},
        headers=org.admin,
    )  # fmt: skip
    assert good.status_code == 201, good.text
    assert good.json()["option_texts"] == {"A": "Daima"}


def test_publishing_checks_each_touchpoints_options_for_its_kind(api: Api) -> None:
    org = api.organization()
    no_correct = _content(api, org, options=[{"payload": "A", "text": "Yes"}]).json()
    unscored = _content(api, org, options=[{"payload": "1", "text": "Fine", "score": 3},
                                           {"payload": "2", "text": "Bad"}]).json()  # fmt: skip
    for content in (no_correct, unscored):
        api.client.post(
            "/content-variants",
            json={"content_id": content["id"], "language": "en", "body": "Question"},
            headers=org.admin,
        )
    journey = api.client.post(
        "/journeys", json={"name": "Quizzes", "languages": ["en"]}, headers=org.admin
    ).json()
    touchpoints = [
        {"name": "Quiz", "kind": "quiz", "day_offset": 0, "local_send_time": "09:00:00",
         "content_id": no_correct["id"]},
        {"name": "Check-in", "kind": "check_in", "day_offset": 1, "local_send_time": "09:00:00",
         "content_id": unscored["id"]},
    ]  # fmt: skip
    stored = api.client.put(
        f"/journeys/{journey['id']}/structure",
        json={"phases": [{"name": "One", "touchpoints": touchpoints}]},
        headers=org.admin,
    )
    assert stored.status_code == 200, stored.text
    publish = api.client.patch(
        f"/journeys/{journey['id']}", json={"status": "published"}, headers=org.admin
    )
    assert _paths(publish) == [
        f"touchpoints[1].content[{no_correct['key']}].options",
        f"touchpoints[2].content[{unscored['key']}].options[1].score",
    ]
    draft = api.client.get(f"/journeys/{journey['id']}", headers=org.admin).json()
    assert draft["status"] == "draft"  # nothing changed


def _sent(api: Api, org: Org, person: dict[str, Any]) -> str:
    engine = store_engine(api.settings)
    sent_at = clock.now() - timedelta(hours=1)
    with transaction(engine) as session:
        row = OutboxMessage(
            organization_id=org.id, worker_id=person["id"], idempotency_key=f"{org.id}-quiz",
            to_number=person["phone_e164"], body="Quiz", status="sent", due_at=sent_at,
            sent_at=sent_at, message_sid="SM" + "c" * 32, attempts=1,
        )  # fmt: skip
        session.add(row)
        session.flush()
        row_id = row.id
    engine.dispose()
    return row_id


def test_a_tap_and_a_photo_are_kept_per_tenant_and_shown_with_the_message(api: Api) -> None:
    org = api.organization()
    person = worker(api, org)
    _sent(api, org, person)
    common = {"AccountSid": "AC" + "0" * 32, "From": f"whatsapp:{person['phone_e164']}",
              "To": f"whatsapp:{org.whatsapp_sender}"}  # fmt: skip
    tap = {**common, "MessageSid": "SM" + "d" * 32, "Body": "A) Always", "ButtonPayload": "A",
           "ButtonText": "A) Always", "MessageType": "button", "NumMedia": "0"}  # fmt: skip
    photo = {**common, "MessageSid": "MM" + "e" * 32, "Body": "Done!", "NumMedia": "1",
             "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME1",
             "MediaContentType0": "image/jpeg", "MessageType": "image"}  # fmt: skip
    for params in (tap, photo, photo):  # the photo delivered twice
        assert post_signed(api, "/webhooks/twilio/inbound", params).status_code == 200
    broken = {**photo, "MessageSid": "MM" + "f" * 32, "NumMedia": "2"}
    assert post_signed(api, "/webhooks/twilio/inbound", broken).status_code == 422

    engine = store_engine(api.settings)
    with transaction(engine) as session:
        stored = {e.message_sid: e for e in session.scalars(select(MessageEvent))}
        files = list(session.scalars(select(InboundMedia)))
    engine.dispose()
    assert stored[tap["MessageSid"]].button_payload == "A"
    assert stored[photo["MessageSid"]].media_count == 1
    assert "MM" + "f" * 32 not in stored  # refused: nothing stored
    assert [(f.organization_id, f.worker_id, f.content_type) for f in files] == [
        (org.id, person["id"], "image/jpeg")
    ]

    url = f"/workers/{person['id']}/messages"
    replies = api.client.get(url, headers=org.admin).json()["items"][0]["replies"]
    assert [(r["body"], r["button_payload"]) for r in replies] == [
        ("A) Always", "A"),
        ("Done!", None),
    ]
    assert replies[1]["media"] == [{"url": photo["MediaUrl0"], "content_type": "image/jpeg"}]
    other = api.organization()
    assert api.client.get(url, headers=other.admin).status_code == 404
