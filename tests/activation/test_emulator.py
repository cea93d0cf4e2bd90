"""The emulator is Twilio where clients depend on it: paging a number's messages with the real SDK
(reconciliation after a crash lists them), and bad paging parameters answered as Twilio does."""

from __future__ import annotations

import httpx

from activation.twilio_client import sync_client
from tests.activation.conftest import Rig


def test_the_sdk_pages_through_every_message_of_a_number(rig: Rig) -> None:
    client = sync_client(rig.settings)
    ours = "whatsapp:+15550009999"
    worker = f"whatsapp:{rig.workers[0]['phone']}"
    sent = {
        client.messages.create(to=worker, from_=ours, content_sid="HX" + "0" * 32).sid
        for _ in range(7)
    }
    client.messages.create(to=f"whatsapp:{rig.workers[1]['phone']}", from_=ours, body="other")
    listed = client.messages.list(to=worker, page_size=3)
    assert {m.sid for m in listed} == sent, "every page of a '+' number, not only the first"
    first = client.messages.page(to=worker, page_size=3)
    assert "%2B" in first.next_page_url and "+" not in first.next_page_url.split("?", 1)[1]


def test_bad_paging_parameters_are_a_400_with_twilio_error_shape(rig: Rig) -> None:
    base = f"{rig.emulator.url}/2010-04-01/Accounts/{rig.settings.twilio_account_sid}/Messages.json"
    auth = (rig.settings.twilio_account_sid, rig.settings.twilio_auth_token)
    for query in ("PageSize=abc", "PageSize=0", "PageSize=5000", "Page=-1", "DateSent%3E=soon"):
        answer = httpx.get(f"{base}?{query}", auth=auth, timeout=10)
        assert answer.status_code == 400, (query, answer.text)
        assert answer.json()["code"] == 20001 and answer.json()["status"] == 400
