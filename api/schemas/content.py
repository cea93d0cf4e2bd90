"""Content items and their per-language variants."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    MISSING,
    ConfigDict,
    Field,
    model_validator,
)

from api.schemas.common import (
    PRESENT,
    ContentSid,
    Flag,
    Input,
    Key,
    Language,
    Ref,
    Stored,
)
from coaching.domain import (
    ContentKind,
)

URGENT = Field(
    description="Urgent content (a safety notice) may go out past the monthly quota, up to the "
    "tier's grace allowance (see GET /usage)."
)


class ContentCreate(Input):
    key: Key
    kind: ContentKind
    description: Annotated[str, Field(max_length=2000)] | None = None
    correct_answer: Annotated[str, Field(max_length=16)] | None = None
    is_urgent: Annotated[Flag, URGENT] = False


class ContentUpdate(Input):
    description: Annotated[str, Field(max_length=2000)] | None = None
    correct_answer: Annotated[str, Field(max_length=16)] | None = None
    is_urgent: Annotated[Flag, URGENT] | MISSING = MISSING


class ContentRead(Stored):
    key: str
    kind: ContentKind
    description: str | None
    correct_answer: str | None
    is_urgent: bool


class ContentVariantCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "content_id": "6f1c2a9e-0000-4000-8000-000000000003",
                    "variant_key": "story",
                    "language": "sw",
                    "body": "Habari {{1}}! Leo tujifunze...",
                    "template_sid": "HX0123456789abcdef0123456789abcdef",
                    "template_variables": {"1": "first_name"},
                }
            ],
            # The rule of `_something_to_send`, published: a body or a template_sid, not null.
            "anyOf": [
                {"required": ["body"], "properties": {"body": PRESENT}},
                {"required": ["template_sid"], "properties": {"template_sid": PRESENT}},
            ],
        },
    )

    content_id: Ref
    variant_key: Key = "default"
    language: Language
    body: Annotated[str, Field(min_length=1, max_length=1600)] | None = None
    template_sid: ContentSid | None = None
    template_variables: Annotated[
        dict[Annotated[str, Field(max_length=8)], Annotated[str, Field(max_length=200)]],
        Field(max_length=20),
    ] = {}

    @model_validator(mode="after")
    def _something_to_send(self) -> ContentVariantCreate:
        if self.body is None and self.template_sid is None:
            raise ValueError("a variant needs a body, a template_sid, or both")
        return self


class ContentVariantUpdate(Input):
    body: Annotated[str, Field(min_length=1, max_length=1600)] | None = None
    template_sid: ContentSid | None = None
    template_variables: (
        Annotated[
            dict[Annotated[str, Field(max_length=8)], Annotated[str, Field(max_length=200)]],
            Field(max_length=20),
        ]
        | MISSING
    ) = MISSING


class ContentVariantRead(Stored):
    content_id: str
    variant_key: str
    language: str
    body: str | None
    template_sid: str | None
    template_variables: dict[str, Any]
