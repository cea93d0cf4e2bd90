"""The API under /v1 with its own document; the first wave's unversioned paths as deprecated
aliases of the current version; what stays outside any version."""

from __future__ import annotations

from tests.api.conftest import Api


def test_the_versioned_document_lists_the_api_under_v1(api: Api) -> None:
    document = api.client.get("/v1/openapi.json").json()
    paths = set(document["paths"])
    assert {"/v1/workers", "/v1/auth/token", "/v1/reads/benchmarks"} <= paths
    outside = {path for path in paths if not path.startswith("/v1/")}
    assert outside == {"/health", "/webhooks/twilio/status", "/webhooks/twilio/inbound"}
    flows = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "/v1/auth/token"
    assert "swagger" in api.client.get("/v1/docs").text.lower()
    for old in ("/docs", "/redoc", "/openapi.json"):
        moved = api.client.get(old, follow_redirects=False)
        assert moved.status_code == 308 and moved.headers["location"] == f"/v1{old}"


def test_unversioned_paths_answer_as_v1_and_say_they_are_deprecated(api: Api) -> None:
    org = api.organization()
    current = api.client.get("/v1/workers?limit=5", headers=org.admin)
    assert current.status_code == 200 and "deprecation" not in current.headers
    old = api.client.get("/workers?limit=5", headers=org.admin)
    assert old.status_code == 200 and old.json() == current.json()
    assert old.headers["deprecation"] == "true"
    assert old.headers["link"] == '</v1/workers>; rel="successor-version"'
    signed = api.client.post(
        "/v1/auth/token", data={"username": org.emails["admin"], "password": "wrong"}
    )
    assert signed.status_code == 401 and "deprecation" not in signed.headers
    # Twilio's webhooks and the liveness check stay where they were told they are.
    assert api.client.get("/health").headers.get("deprecation") is None
    assert api.client.post("/v1/webhooks/twilio/status").status_code == 404
    assert api.client.post("/webhooks/twilio/status").status_code in (400, 403, 422)
