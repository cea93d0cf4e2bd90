"""An explicit null in every field of every PATCH route: refused by name or stored as the schema
says, never a 5xx, nothing changed when refused; and one bad row never fails a list."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import text

from api.resources import RESOURCES
from api.schemas import OrganizationUpdate
from api.versions import CURRENT
from coaching.store.engine import store_engine
from coaching.store.tables import Organization
from tests.api.conftest import Api
from tests.api.factories import seed


def _patch_routes(api: Api) -> list[tuple[str, list[str]]]:
    """Every PATCH the application publishes, with the fields of its request body."""
    document = api.client.app.openapi()
    schemas = document["components"]["schemas"]
    found = []
    for path, operations in document["paths"].items():
        if "patch" not in operations:
            continue
        reference = operations["patch"]["requestBody"]["content"]["application/json"]["schema"]
        body = schemas[reference["$ref"].rsplit("/", 1)[-1]]
        found.append((path, sorted(body["properties"])))
    assert len(found) >= 12
    return found


def test_null_in_every_patch_field_is_refused_by_name_or_stored(api: Api) -> None:
    org = api.organization()
    ids = seed(api.client, org.admin)
    for path, fields in _patch_routes(api):
        resource = path.removeprefix(CURRENT).strip("/").split("/")[0]
        url = re.sub(r"\{row_id\}", ids.get(resource, ""), path)
        for name in fields:
            before = api.client.get(url, headers=org.admin).json()
            answer = api.client.patch(url, json={name: None}, headers=org.admin)
            assert answer.status_code < 500, (path, name, answer.text)
            after = api.client.get(url, headers=org.admin)
            assert after.status_code == 200, (path, name, after.text)
            if answer.status_code >= 400:
                assert answer.status_code == 422, (path, name, answer.text)
                assert f"body.{name}" in [e["path"] for e in answer.json()["errors"]]
                assert after.json() == before, f"a refused PATCH {path} {name}=null changed the row"
            else:
                assert after.json().get(name, None) is None, (path, name)
    for resource in {r.name for r in RESOURCES}:
        listed = api.client.get(f"/{resource}", headers=org.admin)
        assert listed.status_code == 200, (resource, listed.text)
        assert listed.json()["unreadable"] == []


def test_fields_that_take_null_are_exactly_the_nullable_columns() -> None:
    """The schema's promise, held to the store: a PATCH may null a field only where the table may
    hold NULL (password is no column: null removes the password login)."""
    pairs = [(r.update, r.model) for r in RESOURCES] + [(OrganizationUpdate, Organization)]
    for update, model in pairs:
        for name in update.model_fields:
            if name not in model.__table__.c:
                continue
            schema = update.model_json_schema()["properties"][name]
            takes_null = {"type": "null"} in schema.get("anyOf", [])
            assert takes_null == model.__table__.c[name].nullable, (update.__name__, name)


@pytest.mark.parametrize(
    ("resource", "column", "repair"),
    [
        ("workers", "attributes", {"attributes": {}}),
        ("segments", "rule", None),
        ("journeys", "languages", {"languages": ["en"]}),
    ],
)
def test_a_row_broken_around_the_api_never_fails_the_list(
    api: Api, resource: str, column: str, repair: dict[str, Any] | None
) -> None:
    org = api.organization()
    ids = seed(api.client, org.admin)
    engine = store_engine(api.settings)
    table = {"workers": "workers", "segments": "segments", "journeys": "journeys"}[resource]
    literal = "'null'::jsonb" if engine.dialect.name == "postgresql" else "'null'"
    with engine.begin() as connection:  # as a hand-written script or an old version might
        connection.execute(
            text(f"UPDATE {table} SET {column} = {literal} WHERE id = :id"), {"id": ids[resource]}
        )
    engine.dispose()
    listed = api.client.get(f"/{resource}", headers=org.admin)
    assert listed.status_code == 200
    assert [u["id"] for u in listed.json()["unreadable"]] == [ids[resource]]
    assert ids[resource] not in [row["id"] for row in listed.json()["items"]]
    single = api.client.get(f"/{resource}/{ids[resource]}", headers=org.admin)
    assert single.status_code == 409 and "PATCH" in single.json()["detail"]
    other = {"team": "Elsewhere"} if resource == "workers" else {"name": "Elsewhere"}
    unrelated = api.client.patch(f"/{resource}/{ids[resource]}", json=other, headers=org.admin)
    assert unrelated.status_code == 422  # the row would stay unreadable: nothing is stored
    if repair is not None:
        fixed = api.client.patch(f"/{resource}/{ids[resource]}", json=repair, headers=org.admin)
        assert fixed.status_code == 200, fixed.text
        assert api.client.get(f"/{resource}", headers=org.admin).json()["unreadable"] == []
        assert "Elsewhere" not in fixed.text, "the refused PATCH must have changed nothing"
