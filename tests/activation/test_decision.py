"""The send-time decision, as the pure function it is: one row, the facts, one action."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest

from activation.decision import Action, decide
from coaching.domain import Channel
from coaching.store.tables import Organization, OutboxMessage, Worker

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def org(**values) -> Organization:
    return Organization(
        **{"timezone": "UTC", "whatsapp_sender": "+14155550100", "sms_sender": None, **values}
    )


def worker(**values) -> Worker:
    return Worker(**{"timezone": "Africa/Nairobi", "display_name": "Amina Njoroge", "team": "North",
                     "region": "Nairobi", **values})  # fmt: skip


def row(**values) -> OutboxMessage:
    return OutboxMessage(
        **{"organization_id": "o", "worker_id": "w", "channel": Channel.WHATSAPP,
           "to_number": "+254700000001", "body": "Hello", "template_sid": None,
           "template_variables": None, "expires_at": None, **values}
    )  # fmt: skip


def test_free_text_inside_the_window_with_cutoff_and_callback() -> None:
    plan = decide(
        row(expires_at=NOW + timedelta(hours=1)), org(), worker(), NOW - timedelta(hours=2),
        NOW, quota_left=5, callback_url="http://cb",
    )  # fmt: skip
    assert plan.action is Action.SEND
    assert plan.params == {
        "to": "whatsapp:+254700000001", "from_": "whatsapp:+14155550100", "body": "Hello",
        "validity_period": 3600, "status_callback": "http://cb",
    }  # fmt: skip


def test_outside_the_window_a_template_with_the_workers_variables() -> None:
    plan = decide(
        row(template_sid="HX1", template_variables={"1": "first_name", "2": "team"}),
        org(), worker(), NOW - timedelta(hours=30), NOW, quota_left=1,
    )  # fmt: skip
    assert plan.action is Action.SEND and "body" not in plan.params
    assert plan.params["content_sid"] == "HX1"
    assert json.loads(plan.params["content_variables"]) == {"1": "Amina", "2": "North"}


@pytest.mark.parametrize(
    ("facts", "action", "reason"),
    [
        ({"worker": None}, Action.FAIL, "deleted"),
        ({"worker": worker(deleted_at=NOW)}, Action.FAIL, "deleted"),
        ({"worker": worker(whatsapp_opt_out_at=NOW)}, Action.SKIP, "opted out"),
        ({"row": row(expires_at=NOW)}, Action.EXPIRE, "cutoff"),
        ({"inbound": None}, Action.SKIP, "no template"),
        ({"org": org(whatsapp_sender=None)}, Action.FAIL, "no WhatsApp sender"),
        ({"row": row(channel=Channel.SMS)}, Action.FAIL, "no SMS sender"),
        ({"row": row(channel=Channel.SMS, body=None), "org": org(sms_sender="+1")}, Action.FAIL,
         "needs a body"),
        ({"row": row(body=None, template_sid="HX1", template_variables={"1": "team"}),
          "worker": worker(team=None)}, Action.FAIL, "missing template variables 1 (team)"),
        ({"quota": 0}, Action.HOLD, "quota"),
        ({"enrollment": "expired"}, Action.SKIP, "the enrollment has ended (expired)"),
    ],
)  # fmt: skip
def test_what_stops_a_send(facts: dict, action: Action, reason: str) -> None:
    plan = decide(
        facts.get("row", row()),
        facts.get("org", org()),
        facts["worker"] if "worker" in facts else worker(),
        facts["inbound"] if "inbound" in facts else NOW - timedelta(hours=1),
        NOW,
        quota_left=facts.get("quota", 3),
        enrollment_status=facts.get("enrollment", "active"),
    )
    assert plan.action is action and reason in plan.reason and not plan.until


def test_free_text_and_template_variables_are_filled_alike() -> None:
    templated = row(body="Hi {{1}}, welcome to {{program_name}}", template_sid="HX1",
                    template_variables={"1": "first_name"})  # fmt: skip
    inside = decide(templated, org(), worker(), NOW - timedelta(hours=1), NOW, 3,
                    program_name="Malaria refresher")  # fmt: skip
    assert inside.params["body"] == "Hi Amina, welcome to Malaria refresher"
    outside = decide(templated, org(), worker(), None, NOW, 3, program_name="Malaria refresher")
    assert json.loads(outside.params["content_variables"]) == {"1": "Amina"}


def test_a_text_that_would_keep_a_placeholder_is_failed_not_sent() -> None:
    raw = row(body="Hi {{1}}, today's tip: {{2}}", template_variables={"1": "first_name"})
    plan = decide(raw, org(), worker(), NOW - timedelta(hours=1), NOW, 3)
    assert plan.action is Action.FAIL and plan.reason == (
        "the text would hold unfilled placeholders {{2}}"
    )
    sms = decide(row(channel=Channel.SMS, body="{{team}} {{region}}"), org(sms_sender="+1555"),
                 worker(region=None), None, NOW, 3)  # fmt: skip
    assert sms.action is Action.FAIL and "{{region}}" in sms.reason


def test_quiet_hours_defer_to_their_end_on_the_workers_clock() -> None:
    quiet = org(quiet_hours_start=time(14, 0), quiet_hours_end=time(8, 0))  # Nairobi is UTC+3
    plan = decide(row(), quiet, worker(), NOW, NOW, quota_left=3)
    assert plan.action is Action.DEFER and plan.reason == "quiet hours"
    assert plan.until == datetime(2026, 11, 3, 5, 0, tzinfo=UTC)
