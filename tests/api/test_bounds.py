"""Every integer and string the API takes has bounds in its published schema, so a value the
store cannot hold is a 422 from the schema, never a 500 from the store."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from coaching.settings import load_settings
from tests.api.conftest import Api

BOUNDED_FORMATS = {"date", "date-time", "email", "uuid"}
STRING_BOUNDS = {"maxLength", "enum", "pattern", "const"}
# Free text bodies bounded by the request size limit instead (413 over it).
WHOLE_BODIES = {("post", "/workers/import")}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    settings = load_settings({"COACH_HOME": tempfile.mkdtemp()})
    return create_app(settings).openapi()


def _leaves(schema: dict[str, Any], components: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            for part in schema[key]:
                yield from _leaves(part, components)
            return
    yield schema


def _unbounded(schema: dict[str, Any], components: dict[str, Any], where: str) -> Iterator[str]:
    for leaf in _leaves(schema, components):
        kind = leaf.get("type")
        if kind == "integer" and not {"maximum", "minimum"} <= set(leaf):
            yield f"{where}: integer without minimum and maximum"
        if kind == "string" and not STRING_BOUNDS & set(leaf):
            if leaf.get("format") not in BOUNDED_FORMATS:
                yield f"{where}: string without maxLength, pattern or enum"
        if kind == "object":
            for name, part in leaf.get("properties", {}).items():
                yield from _unbounded(part, components, f"{where}.{name}")
            if isinstance(leaf.get("additionalProperties"), dict):
                yield from _unbounded(leaf["additionalProperties"], components, f"{where}.*")
            if isinstance(leaf.get("propertyNames"), dict):
                yield from _unbounded(leaf["propertyNames"], components, f"{where} keys")
        if kind == "array":
            yield from _unbounded(leaf.get("items", {}), components, f"{where}[]")


def test_every_parameter_and_body_field_is_bounded(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    problems = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                where = f"{method} {path} {parameter['in']}.{parameter['name']}"
                problems += _unbounded(parameter["schema"], components, where)
            if (method, path) in WHOLE_BODIES:
                continue
            for content in operation.get("requestBody", {}).get("content", {}).values():
                problems += _unbounded(content["schema"], components, f"{method} {path} body")
    assert problems == []


@pytest.mark.parametrize(
    "url",
    [
        "/audit-log?before=" + "9" * 30,
        "/workers?team=" + "x" * 5000,
        "/workers/" + "a" * 5000,
        "/audit-log?limit=" + "9" * 30,
    ],
)
def test_out_of_range_values_are_refused_not_overflowed(api: Api, url: str) -> None:
    org = api.organization()
    answer = api.client.get(url, headers=org.admin)
    assert answer.status_code == 422, answer.text


def test_the_login_form_is_bounded_too(api: Api) -> None:
    client: TestClient = api.client
    answer = client.post("/auth/token", data={"username": "x" * 5000, "password": "p"})
    assert answer.status_code == 422
    answer = client.post(
        "/auth/token", data={"username": "a@b.c", "password": "p", "grant_type": "implicit"}
    )
    assert answer.status_code == 422
