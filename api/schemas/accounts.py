"""Organizations, registration, users, API keys and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    MISSING,
    BaseModel,
    ConfigDict,
    Field,
)

from api.schemas.common import (
    E164,
    Country,
    Email,
    Flag,
    Input,
    LocalTime,
    Moment,
    Name,
    Output,
    Stored,
    TimeZone,
    WallClock,
)
from api.schemas.experiments import DecisionSettings
from coaching.domain import (
    OrganizationType,
    Role,
    Tier,
)
from coaching.retention import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS


class OrganizationRead(Output):
    id: str
    name: str
    slug: str
    type: OrganizationType
    tier: Tier
    approval_status: str
    country: str | None
    timezone: str
    quiet_hours_start: WallClock | None
    quiet_hours_end: WallClock | None
    monthly_message_quota: int
    whatsapp_sender: str | None
    sms_sender: str | None
    sms_fallback_enabled: bool
    experiment_defaults: dict[str, Any]
    message_retention_days: int | None = Field(
        description="How long message bodies and inbound media are kept (null: until asked)."
    )


class OrganizationUpdate(Input):
    name: Name | MISSING = MISSING
    country: Country | None = None
    timezone: TimeZone | MISSING = MISSING
    quiet_hours_start: LocalTime | None = None
    quiet_hours_end: LocalTime | None = None
    whatsapp_sender: E164 | None = None
    sms_sender: E164 | None = None
    sms_fallback_enabled: Flag | MISSING = MISSING
    experiment_defaults: DecisionSettings | MISSING = MISSING
    message_retention_days: (
        Annotated[int, Field(ge=MIN_RETENTION_DAYS, le=MAX_RETENTION_DAYS)] | None
    ) = Field(
        default=None,
        description="Days message bodies and inbound media are kept; the daily retention job "
        "purges older ones from the store and the lake. null: kept until asked.",
    )


class Registration(Input):
    """A new organization and its first admin."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Coast Health Alliance",
                    "slug": "coast-health",
                    "type": "client",
                    "country": "KE",
                    "timezone": "Africa/Nairobi",
                    "admin_email": "admin@coast-health.example.org",
                    "admin_name": "Grace Wanjiru",
                    "admin_password": "correct horse battery staple",
                }
            ]
        },
    )

    name: Name
    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]{2,79}$")]
    type: OrganizationType
    country: Country | None = None
    timezone: TimeZone = "UTC"
    admin_email: Email
    admin_name: Name
    admin_password: Annotated[str, Field(min_length=12, max_length=128)]


Password = Annotated[str, Field(min_length=12, max_length=128)]


class UserRead(Stored):
    email: str
    full_name: str
    role: Role
    is_active: bool
    last_login_at: datetime | None


class UserCreate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "manager@example.org",
                    "full_name": "Grace Wanjiru",
                    "role": "program_manager",
                    "password": "correct horse battery staple",
                }
            ]
        },
    )

    email: Email
    full_name: Name
    role: Role
    password: Password


class UserUpdate(Input):
    full_name: Name | MISSING = MISSING
    role: Role | MISSING = MISSING
    is_active: Flag | MISSING = MISSING
    password: Password | None = None


class ApiKeyRead(Stored):
    name: str
    prefix: str
    role: Role
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreate(Input):
    name: Name
    role: Role
    expires_at: Moment | None = None


class ApiKeyUpdate(Input):
    name: Name | MISSING = MISSING


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret: shown once, store it now.")


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str = Field(
        description="Exchanged once at POST /auth/refresh for a new pair; revoked by logout."
    )
    refresh_expires_in: int = Field(description="Seconds until the session ends.")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=1, max_length=200)


class SessionRead(BaseModel):
    id: str
    created_at: datetime
    last_refreshed_at: datetime | None
    expires_at: datetime
    current: bool = Field(description="The session of the token making this request.")


class SessionList(BaseModel):
    items: list[SessionRead]


class MfaEnrolment(BaseModel):
    secret: str = Field(description="The TOTP secret (base32), shown this once.")
    otpauth_uri: str = Field(description="The same as an otpauth:// URI for an authenticator app.")


class OneTimeCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(
        min_length=6, max_length=20, description="The authenticator's code, or a recovery code."
    )


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(
        description="Each good once in place of the authenticator's code; shown this once."
    )
