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


def _leaves(
    schema: dict[str, Any], components: dict[str, Any], seen: frozenset[str]
) -> Iterator[tuple[dict[str, Any], frozenset[str]]]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:  # a recursive schema (rule trees): each component is walked once a path
            return
        seen, schema = seen | {name}, components[name]
    parts = [p for key in ("anyOf", "oneOf", "allOf") for p in schema.get(key, [])]
    for part in parts:
        yield from _leaves(part, components, seen)
    if not parts or "properties" in schema:
        yield schema, seen


def _unbounded(
    schema: dict[str, Any],
    components: dict[str, Any],
    where: str,
    seen: frozenset[str] = frozenset(),
) -> Iterator[str]:
    for leaf, path_seen in _leaves(schema, components, seen):
        kind = leaf.get("type")
        if kind == "integer" and not {"maximum", "minimum"} <= set(leaf):
            yield f"{where}: integer without minimum and maximum"
        bounded = STRING_BOUNDS & set(leaf) or leaf.get("format") in BOUNDED_FORMATS
        if kind == "string" and not bounded:
            yield f"{where}: string without maxLength, pattern or enum"
        if unpublished := {"ge", "le", "gt", "lt"} & set(leaf):
            yield f"{where}: {sorted(unpublished)} are not JSON Schema (a constraint lost)"
        for name, part in leaf.get("properties", {}).items():
            yield from _unbounded(part, components, f"{where}.{name}", path_seen)
        if isinstance(leaf.get("additionalProperties"), dict):
            yield from _unbounded(leaf["additionalProperties"], components, f"{where}.*", path_seen)
        if isinstance(leaf.get("propertyNames"), dict):
            yield from _unbounded(leaf["propertyNames"], components, f"{where} keys", path_seen)
        if kind == "array":
            yield from _unbounded(leaf.get("items", {}), components, f"{where}[]", path_seen)


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
        "/audit-log?cursor=" + "9" * 30,
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
