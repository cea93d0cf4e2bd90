"""Interactive and media content sent through the real SDK to the emulator: each variant registered
once with the Content API; buttons or a list picker inside the 24-hour window, buttons outside it;
media attached; over SMS the options as text and the media as a link. And the emulator answers
the SDK as Twilio does: create, fetch and list round-trip, with Twilio's errors for bad media and
content."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException
from twilio.rest.content.v1.content import ContentList

from activation.twilio_client import sync_client
from coaching.lake import published_mart
from coaching.store.engine import transaction
from coaching.store.tables import Content, ContentVariant, MessageEvent
from tests.activation.conftest import SCHEDULE_SCHEMA, Rig

SCHEMA = SCHEDULE_SCHEMA.append(pa.field("content_id", pa.string()))
SCHEMA = SCHEMA.append(pa.field("content_variant_key", pa.string()))
SCHEMA = SCHEMA.append(pa.field("content_language", pa.string()))
QUIZ = [
    {"payload": letter, "text": f"{letter}) {word}", "correct": letter == "B"}
    for letter, word in zip("ABCD", ("Always", "Most days", "Sometimes", "Never"), strict=True)
]
BODY = "Hi {{1}}, how often do you wash hands?"
PHOTO = "https://cdn.example.org/lessons/handwashing.jpg"


def _content(rig: Rig, key: str, options: list[dict[str, Any]], **variant: Any) -> str:
    engine = rig.engine
    with transaction(engine) as session:
        content = Content(
            organization_id=rig.organization_id, key=key, kind="text", options=options
        )
        session.add(content)
        session.flush()
        session.add(
            ContentVariant(
                organization_id=rig.organization_id, content_id=content.id, language="en",
                body=BODY, template_variables={"1": "first_name"},
                **variant,
            )
        )  # fmt: skip
        content_id = content.id
    engine.dispose()
    return content_id


def _publish(rig: Rig, rows: list[dict[str, Any]]) -> None:
    target = published_mart(rig.settings.lake_dir, "activation_schedule")
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), target)


def _row(rig: Rig, worker: dict[str, Any], content_id: str, **overrides: Any) -> dict[str, Any]:
    return rig.row(
        worker, content_id=content_id, content_variant_key="default", content_language="en",
        template_sid=None, message_type="text", body=BODY, **overrides,
    )  # fmt: skip


def _open_window(rig: Rig, worker: dict[str, Any]) -> None:
    """The worker wrote an hour ago: the store and Twilio both know."""
    moment = datetime.now(UTC) - timedelta(hours=1)
    engine = rig.engine
    with transaction(engine) as session:
        session.add(
            MessageEvent(
                organization_id=rig.organization_id, event_key=f"in-{worker['id']}", kind="inbound",
                message_sid="SM" + worker["id"].replace("-", "")[:32], status="received",
                worker_id=worker["id"], from_number=worker["phone"], body="hi", occurred_at=moment,
            )
        )  # fmt: skip
    engine.dispose()
    rig.emulator.control("sessions", {worker["phone"]: moment.isoformat()})


def _settle(rig: Rig) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + 10
    messages = rig.emulator.emulator.messages
    while time.monotonic() < deadline and any(
        m["status"] in ("queued", "sent") for m in list(messages.values())
    ):
        time.sleep(0.05)
    return {m["to"].split(":")[-1]: m for m in list(messages.values())}


def test_a_quiz_is_registered_once_and_sent_as_a_list_inside_the_window_buttons_outside(
    rig: Rig,
) -> None:
    quiz = _content(rig, "hand_quiz", QUIZ)
    inside, outside = rig.workers[:2]
    _open_window(rig, inside)
    _publish(rig, [_row(rig, inside, quiz), _row(rig, outside, quiz)])
    report = rig.activate()
    assert report.outcomes["templates_registered"] == 2  # quick-reply buttons and a list picker
    assert report.outcomes["sent"] == 2

    client = sync_client(rig.settings)
    templates = {c.sid: c for c in client.content.v1.contents.list()}
    assert len(templates) == 2
    by_type = {name: c for c in templates.values() for name in c.types if name != "twilio/text"}
    picker, buttons = by_type["twilio/list-picker"], by_type["twilio/quick-reply"]
    assert [i["id"] for i in picker.types["twilio/list-picker"]["items"]] == list("ABCD")
    assert [a["title"] for a in buttons.types["twilio/quick-reply"]["actions"]][1] == "B) Most days"
    assert client.content.v1.contents(picker.sid).fetch().friendly_name == picker.friendly_name

    log = {entry["to"].removeprefix("whatsapp:"): entry for entry in rig.emulator.log()}
    assert log[inside["phone"]]["content_sid"] == picker.sid
    assert log[outside["phone"]]["content_sid"] == buttons.sid
    assert json.loads(log[outside["phone"]]["content_variables"]) == {"1": "Amina"}
    messages = _settle(rig)
    assert messages[inside["phone"]]["status"] in ("delivered", "read")
    assert messages[outside["phone"]]["status"] in ("delivered", "read")  # approved buttons
    assert messages[outside["phone"]]["body"] == "Hi Amina, how often do you wash hands?"

    _publish(rig, [_row(rig, w, quiz) for w in rig.workers[2:4]])
    again = rig.activate()
    assert again.outcomes["templates_registered"] == 0  # nothing changed: no call
    assert again.outcomes["sent"] == 2


def test_media_is_attached_on_whatsapp_and_a_link_over_sms(rig: Rig) -> None:
    lesson = _content(
        rig, "photo_lesson", [], media_url=PHOTO, media_type="image/jpeg", media_bytes=120_000
    )
    check_in = _content(
        rig, "check_in", [{"payload": str(n), "text": f"{n} of 5", "score": n} for n in (1, 2, 3)],
        media_url=PHOTO, media_type="image/jpeg", media_bytes=120_000,
    )  # fmt: skip
    inside, outside, by_sms = rig.workers[:3]
    _open_window(rig, inside)
    _publish(
        rig,
        [
            _row(rig, inside, lesson),
            _row(rig, outside, lesson),
            _row(rig, by_sms, check_in, channel="sms"),
        ],
    )
    report = rig.activate()
    assert report.outcomes["sent"] == 3, report.outcomes
    log = {entry["to"].removeprefix("whatsapp:"): entry for entry in rig.emulator.log()}
    assert log[inside["phone"]]["media_urls"] == [PHOTO]  # free text with the photo
    assert log[outside["phone"]]["content_sid"]  # the approved media template
    client = sync_client(rig.settings)
    media = client.content.v1.contents(log[outside["phone"]]["content_sid"]).fetch()
    assert media.types["twilio/media"]["media"] == [PHOTO]
    sms = log[by_sms["phone"]]
    assert sms["media_urls"] == [] and sms["content_sid"] is None
    assert sms["body"].splitlines() == [
        "Hi Amina, how often do you wash hands?",
        "Reply with 1 for 1 of 5, 2 for 2 of 5, 3 for 3 of 5",
        PHOTO,
    ]
    sent = client.messages(log[inside["phone"]]["sid"]).fetch()
    assert sent.num_media == "1"
    files = client.messages(sent.sid).media.list()
    assert [f.content_type for f in files] == ["image/jpeg"]


def test_the_emulator_answers_bad_media_and_content_as_twilio_does(rig: Rig) -> None:
    client = sync_client(rig.settings)
    worker = rig.workers[0]
    sender = "whatsapp:" + _sender(rig)
    to = f"whatsapp:{worker['phone']}"
    with pytest.raises(TwilioRestException) as bad_url:
        client.messages.create(to=to, from_=sender, body="x", media_url=["ftp://example.org/a.jpg"])
    assert bad_url.value.code == 21620
    with pytest.raises(TwilioRestException) as too_long:
        client.content.v1.contents.create(
            ContentList.ContentCreateRequest(
                {"friendly_name": "t", "language": "en", "types": {"twilio/quick-reply": {
                    "body": "Pick", "actions": [{"title": "x" * 21, "id": "A"}]}}}
            )
        )  # fmt: skip
    assert too_long.value.status == 400 and "20 characters" in too_long.value.msg
    picker = client.content.v1.contents.create(
        ContentList.ContentCreateRequest(
            {"friendly_name": "p", "language": "en", "variables": {"1": "name"}, "types": {
                "twilio/list-picker": {"body": "Hi {{1}}", "button": "Choose", "items": [
                    {"item": "One", "id": "1", "description": "the first"}]}}}
        )
    )  # fmt: skip
    with pytest.raises(TwilioRestException) as variables:
        client.messages.create(to=to, from_=sender, content_sid=picker.sid, content_variables="[")
    assert variables.value.code == 21656
    # A list picker cannot open a conversation; a GIF is not a type WhatsApp takes.
    outside = client.messages.create(
        to=to, from_=sender, content_sid=picker.sid, content_variables='{"1": "Amina"}'
    )
    assert outside.body == "Hi Amina"
    other = rig.workers[1]["phone"]
    rig.emulator.control("sessions", {other: datetime.now(UTC).isoformat()})
    gif = client.messages.create(to=f"whatsapp:{other}", from_=sender, body="Look",
                                 media_url=["https://cdn.example.org/a.gif"])  # fmt: skip
    time.sleep(0.1)
    assert client.messages(outside.sid).fetch().error_code == 63016
    assert client.messages(gif.sid).fetch().error_code == 12300
    listed = [m.sid for m in client.messages.list(from_=sender, limit=10)]
    assert listed[:2] == [gif.sid, outside.sid]  # newest first


def _sender(rig: Rig) -> str:
    from coaching.store.tables import Organization

    engine = rig.engine
    with transaction(engine) as session:
        number = session.get(Organization, rig.organization_id).whatsapp_sender
    engine.dispose()
    return number


def test_a_photo_message_twilio_could_not_deliver_goes_again_by_sms_as_a_link(rig: Rig) -> None:
    from activation.fallbacks import queue_fallbacks
    from coaching.store.tables import OutboxMessage

    worker = rig.workers[0]
    now = datetime.now(UTC)
    engine = rig.engine
    with transaction(engine) as session:
        session.add(
            OutboxMessage(
                organization_id=rig.organization_id, idempotency_key="photo-1",
                worker_id=worker["id"], to_number=worker["phone"], body="Look at this",
                media_url=PHOTO, status="sent", due_at=now, sent_at=now, attempts=1,
                message_sid="SM" + "9" * 32,
            )
        )  # fmt: skip
        session.add(
            MessageEvent(
                organization_id=rig.organization_id, event_key="SM" + "9" * 32 + ":undelivered",
                kind="status", message_sid="SM" + "9" * 32, status="undelivered",
                error_code=30008, worker_id=worker["id"], occurred_at=now,
            )
        )  # fmt: skip
    assert queue_fallbacks(engine, now) == 1
    with transaction(engine) as session:
        sms = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == "photo-1:sms")
        ).one()
    engine.dispose()
    assert sms.channel == "sms" and sms.media_url is None
    assert sms.body.splitlines() == ["Look at this", PHOTO]


def test_urls_go_to_the_emulator_and_are_left_alone_for_twilio_itself() -> None:
    from activation.twilio_client import rebase

    content = "https://content.twilio.com/v1/Content/HX1?PageSize=5"
    assert (
        rebase(content, "http://127.0.0.1:8765")
        == "http://127.0.0.1:8765/v1/Content/HX1?PageSize=5"
    )
    assert rebase(content, "https://api.twilio.com") == content
    messages = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
    assert rebase(messages, "https://api.twilio.com") == messages
