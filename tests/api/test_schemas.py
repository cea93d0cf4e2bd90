"""The examples the OpenAPI document shows are requests the API accepts, and its patterns mean
what the server's own checks mean."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from api import schemas
from api.schemas.content import MediaUrl
from coaching.interactive import MEDIA_URL_PATTERN, URL_PATTERN

WITH_EXAMPLES = [
    model
    for model in vars(schemas).values()
    if isinstance(model, type)
    and issubclass(model, BaseModel)
    and (model.model_config.get("json_schema_extra") or {}).get("examples")
]


def test_the_main_requests_have_examples() -> None:
    assert {m.__name__ for m in WITH_EXAMPLES} >= {"WorkerCreate", "SegmentCreate", "Registration"}


@pytest.mark.parametrize("model", WITH_EXAMPLES, ids=lambda m: m.__name__)
def test_examples_validate(model: type[BaseModel]) -> None:
    for example in model.model_config["json_schema_extra"]["examples"]:  # type: ignore[index]
        model.model_validate(example)


def test_a_media_url_means_the_same_to_the_schema_and_to_the_content_checks() -> None:
    """The API document's pattern (read as ECMAScript by clients and the fuzzer), pydantic's
    (Rust regex) and the content checks (Python `re`) accept exactly the same URLs."""
    schema = TypeAdapter(MediaUrl)

    def api_accepts(url: str) -> bool:
        try:
            schema.validate_python(url)
        except ValidationError:
            return False
        return True

    urls = {
        "https://cdn.example.org/lesson.gif": True,
        "https://a%20b/c?d=1#e": True,
        "https://x\u0085y": False,  # whitespace to Python's \s, not to ECMAScript's
        "https://T\x0f!": False,
        "https:///x": False,
        "https://.x": False,
        "https://ex.org/a b": False,
        "ftp://ex.org/a": False,
    }
    for url, accepted in urls.items():
        assert api_accepts(url) is accepted, url
        assert bool(re.match(MEDIA_URL_PATTERN, url)) is accepted, url
        assert bool(URL_PATTERN.match(url)) is accepted, url
