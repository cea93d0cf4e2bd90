"""Segments (rule trees over the feature catalog) and their preview."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    MISSING,
    BaseModel,
    ConfigDict,
    Field,
)

from api.schemas.common import (
    Flag,
    Input,
    Name,
    RuleDocument,
    Stored,
)
from coaching.domain import (
    SegmentKind,
)


class SegmentCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Coast CHWs",
                    "kind": "location",
                    "rule": {
                        "root": {
                            "type": "group",
                            "combinator": "and",
                            "rules": [
                                {
                                    "type": "condition",
                                    "feature": "region",
                                    "operator": "eq",
                                    "value": "Coast",
                                },
                                {
                                    "type": "condition",
                                    "feature": "tenure_days",
                                    "operator": "gte",
                                    "value": 30,
                                },
                            ],
                        }
                    },
                }
            ]
        },
    )

    name: Name
    description: Annotated[str, Field(max_length=2000)] | None = None
    kind: SegmentKind
    rule: RuleDocument
    is_active: Flag = True


class SegmentUpdate(Input):
    name: Name | MISSING = MISSING
    description: Annotated[str, Field(max_length=2000)] | None = None
    kind: SegmentKind | MISSING = MISSING
    rule: RuleDocument | MISSING = MISSING
    is_active: Flag | MISSING = MISSING


class SegmentRead(Stored):
    name: str
    description: str | None
    kind: SegmentKind
    rule: dict[str, Any]
    is_active: bool


class SegmentPreviewRequest(Input):
    rule: RuleDocument


class SegmentPreview(BaseModel):
    members: int
    workers: int = Field(description="Workers in the published features, the denominator.")
    as_of: str | None = Field(description="When the features were published.")
