"""Expert organizations list journeys; clients browse and import a copy of their own."""

from __future__ import annotations

from coaching.domain import OrganizationType, Role
from tests.api.conftest import Api
from tests.api.factories import seed


def test_publish_browse_import(api: Api) -> None:
    expert = api.organization(type=OrganizationType.EXPERT)
    client = api.organization()
    ids = seed(api.client, expert.admin)
    journey = ids["journeys"]
    unlisted = api.client.get(f"/marketplace/journeys/{journey}", headers=client.admin)
    assert unlisted.status_code == 404
    early = api.client.patch(
        f"/journeys/{journey}", json={"is_marketplace_listed": True}, headers=expert.admin
    )
    assert early.status_code == 422  # only published journeys are listed
    api.client.patch(f"/journeys/{journey}", json={"status": "published"}, headers=expert.admin)
    listed = api.client.patch(
        f"/journeys/{journey}", json={"is_marketplace_listed": True}, headers=expert.admin
    )
    assert listed.status_code == 200, listed.text
    # A client organization cannot list its own journeys.
    own = seed(api.client, client.admin)
    api.client.patch(
        f"/journeys/{own['journeys']}", json={"status": "published"}, headers=client.admin
    )
    refused = api.client.patch(
        f"/journeys/{own['journeys']}", json={"is_marketplace_listed": True}, headers=client.admin
    )
    assert refused.status_code == 403
    browse = api.client.get(
        "/marketplace/journeys", headers=client.headers[Role.PROGRAM_MANAGER]
    ).json()
    assert journey in [j["id"] for j in browse]
    detail = api.client.get(f"/marketplace/journeys/{journey}", headers=client.admin).json()
    assert detail["phases"][0]["touchpoints"][0]["name"] == "Welcome"
    # Program managers may browse but not import; content roles import.
    pm = client.headers[Role.PROGRAM_MANAGER]
    assert api.client.post(f"/marketplace/journeys/{journey}/import", headers=pm).status_code == 403
    copy = api.client.post(
        f"/marketplace/journeys/{journey}/import", headers=client.headers[Role.CONTENT_SPECIALIST]
    )
    assert copy.status_code == 201, copy.text
    copied = copy.json()
    assert copied["organization_id"] == client.id and copied["source_journey_id"] == journey
    assert copied["status"] == "draft" and copied["id"] != journey
    structure = api.client.get(f"/journeys/{copied['id']}/structure", headers=client.admin).json()
    copied_content = structure["phases"][0]["touchpoints"][0]["content_id"]
    assert copied_content != ids["content"]
    assert api.client.get(f"/content/{copied_content}", headers=client.admin).status_code == 200
    # The copy is theirs to change; the original is not.
    assert (
        api.client.patch(
            f"/journeys/{copied['id']}", json={"name": "Ours"}, headers=client.admin
        ).status_code
        == 200
    )
    assert (
        api.client.patch(
            f"/journeys/{journey}", json={"name": "Hijacked"}, headers=client.admin
        ).status_code
        == 404
    )
    assert api.client.get(f"/journeys/{journey}", headers=expert.admin).json()["name"] != "Hijacked"
