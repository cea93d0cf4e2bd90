"""The examples the OpenAPI document shows are requests the API accepts."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from api import schemas

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
