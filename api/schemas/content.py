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
    whole,
)
from coaching import interactive
from coaching.domain import (
    ContentKind,
)

URGENT = Field(
    description="Urgent content (a safety notice) may go out past the monthly quota, up to the "
    "tier's grace allowance (see GET /usage)."
)


Payload = Annotated[str, Field(pattern=interactive.PAYLOAD_PATTERN.pattern)]
OptionText = Annotated[str, Field(min_length=1, max_length=interactive.LIST_ITEM)]


class OptionSpec(Input):
    """One answer a worker can tap (or type: its payload, its text or its number in the list)."""

    payload: Payload = Field(description="Sent back when the option is tapped; stable.")
    text: OptionText = Field(
        description="The label: at most 20 characters as a button (up to three options), 24 as a "
        "list item (four to ten)."
    )
    description: (
        Annotated[str, Field(min_length=1, max_length=interactive.LIST_DESCRIPTION)] | None
    ) = None
    correct: Flag = Field(False, description="For quizzes: the right answer (exactly one).")
    score: whole(-100, 100) | None = Field(None, description="For check-ins: the score it means.")


Options = Annotated[
    list[OptionSpec],
    Field(
        max_length=interactive.MAX_OPTIONS,
        description="What a worker can answer by tapping: up to three are quick-reply buttons "
        "(labels of 20 characters at most), four to ten a list picker inside the 24-hour window "
        "(labels of 24), buttons outside it. Payloads (in any case) and labels are unique, and at "
        "most one option is correct.",
        # The layout rule, published: up to three options, each label fits a button.
        json_schema_extra={
            "anyOf": [
                {
                    "maxItems": interactive.SESSION_BUTTONS,
                    "items": {"properties": {"text": {"maxLength": interactive.BUTTON_TITLE}}},
                },
                {"minItems": interactive.SESSION_BUTTONS + 1},
            ]
        },
    ),
]


class ContentCreate(Input):
    key: Key
    kind: ContentKind
    description: Annotated[str, Field(max_length=2000)] | None = None
    correct_answer: Annotated[str, Field(max_length=16)] | None = None
    is_urgent: Annotated[Flag, URGENT] = False
    options: Options = []


class ContentUpdate(Input):
    description: Annotated[str, Field(max_length=2000)] | None = None
    correct_answer: Annotated[str, Field(max_length=16)] | None = None
    is_urgent: Annotated[Flag, URGENT] | MISSING = MISSING
    options: Options | MISSING = MISSING


class ContentRead(Stored):
    key: str
    kind: ContentKind
    description: str | None
    correct_answer: str | None
    is_urgent: bool
    options: list[dict[str, Any]]


OptionTexts = Annotated[
    dict[Payload, OptionText],
    Field(
        max_length=interactive.MAX_OPTIONS,
        description="The content's option labels in this variant's language, by payload.",
        json_schema_extra={"additionalProperties": False},  # keys are payloads, nothing else
    ),
]
MediaUrl = Annotated[
    str,
    Field(
        max_length=2000,
        pattern=interactive.MEDIA_URL_PATTERN,
        description="Media sent with the text; over SMS it is sent as a link.",
    ),
]
MediaType = Annotated[
    str,
    Field(
        max_length=100,
        description="The media's type; WhatsApp accepts "
        + ", ".join(sorted(interactive.ACCEPTED_MEDIA)),
    ),
]
MediaBytes = Annotated[int, Field(ge=1, le=10**10, description="The media's size in bytes.")]


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
    option_texts: OptionTexts = {}
    media_url: MediaUrl | None = None
    media_type: MediaType | None = None
    media_bytes: MediaBytes | None = None

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
    option_texts: OptionTexts | MISSING = MISSING
    media_url: MediaUrl | None = None
    media_type: MediaType | None = None
    media_bytes: MediaBytes | None = None


class ContentVariantRead(Stored):
    content_id: str
    variant_key: str
    language: str
    body: str | None
    template_sid: str | None
    template_variables: dict[str, Any]
    option_texts: dict[str, str]
    media_url: str | None
    media_type: str | None
    media_bytes: int | None
