"""Workers and their CSV import."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    MISSING,
    BaseModel,
    ConfigDict,
    Field,
)

from api.schemas.common import (
    E164,
    Attributes,
    Country,
    Day,
    Input,
    Label,
    Language,
    Moment,
    Name,
    Stored,
    TimeZone,
)


class WorkerFields(Input):
    external_id: Annotated[str, Field(max_length=64)] | None = None
    display_name: Name | None = None
    language: Language = "en"
    timezone: TimeZone = "UTC"
    country: Country | None = None
    region: Label | None = None
    district: Label | None = None
    team: Label | None = None
    job_role: Label | None = None
    hire_date: Day | None = None
    whatsapp_opt_in_at: Moment | None = None
    attributes: Attributes = {}


class WorkerCreate(WorkerFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "phone_e164": "+254700000001",
                    "display_name": "Amina Njeri",
                    "language": "sw",
                    "timezone": "Africa/Nairobi",
                    "region": "Coast",
                    "team": "Coast A",
                    "job_role": "community_health_worker",
                }
            ]
        },
    )

    phone_e164: E164


class WorkerUpdate(Input):
    phone_e164: E164 | MISSING = MISSING
    external_id: Annotated[str, Field(max_length=64)] | None = None
    display_name: Name | None = None
    language: Language | MISSING = MISSING
    timezone: TimeZone | MISSING = MISSING
    country: Country | None = None
    region: Label | None = None
    district: Label | None = None
    team: Label | None = None
    job_role: Label | None = None
    hire_date: Day | None = None
    whatsapp_opt_in_at: Moment | None = None
    whatsapp_opt_out_at: Moment | None = None
    attributes: Attributes | MISSING = MISSING


class WorkerRead(Stored):
    phone_e164: str
    external_id: str | None
    display_name: str | None
    language: str
    timezone: str
    country: str | None
    region: str | None
    district: str | None
    team: str | None
    job_role: str | None
    hire_date: date | None
    whatsapp_opt_in_at: datetime | None
    whatsapp_opt_out_at: datetime | None
    attributes: dict[str, Any]


class ImportRowError(BaseModel):
    line: int
    path: str
    reason: str


class ImportResult(BaseModel):
    created: int
    rejected: int
    errors: list[ImportRowError]
