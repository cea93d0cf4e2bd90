"""An organization's message retention: set by its admins, within bounds, null to keep."""

from __future__ import annotations

from coaching.domain import Role
from tests.api.conftest import Api


def test_admins_set_the_retention_within_its_bounds(api: Api) -> None:
    org = api.organization()
    assert (
        api.client.get("/v1/organizations/me", headers=org.admin).json()["message_retention_days"]
        is None
    )
    set_ = api.client.patch(
        "/v1/organizations/me", json={"message_retention_days": 30}, headers=org.admin
    )
    assert set_.status_code == 200 and set_.json()["message_retention_days"] == 30
    for days in (0, 3651):
        refused = api.client.patch(
            "/v1/organizations/me", json={"message_retention_days": days}, headers=org.admin
        )
        assert refused.status_code == 422
        assert [e["path"] for e in refused.json()["errors"]] == ["body.message_retention_days"]
    manager = api.client.patch(
        "/v1/organizations/me",
        json={"message_retention_days": 1},
        headers=org.headers[Role.PROGRAM_MANAGER],
    )
    assert manager.status_code == 403
    cleared = api.client.patch(
        "/v1/organizations/me", json={"message_retention_days": None}, headers=org.admin
    )
    assert cleared.json()["message_retention_days"] is None
    audit = api.client.get("/v1/audit-log?entity=organizations", headers=org.admin).json()
    assert any(e["changes"].get("message_retention_days") == 30 for e in audit["items"]), audit
