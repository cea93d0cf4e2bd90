"""The notifications a user reads, how they want to hear of each kind, the organization's
outgoing webhooks, and the delivery state admins watch."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import MISSING, ConfigDict, Field, model_validator

from api.schemas.common import Flag, Input, Name, Output, Stored
from coaching.notifications import NotificationChannel, NotificationKind, Severity

# A chat tool's incoming-webhook address: http(s) only, no spaces; reachability is tried at send.
WebhookUrl = Annotated[
    str,
    Field(
        min_length=10,
        max_length=500,
        pattern=r"^https?://[^\x00-\x20\x7f/?#@]+(/[^\x00-\x20\x7f]*)?$",
        examples=["https://chat.example.org/hooks/coach"],
    ),
]
WebhookSecret = Annotated[
    str,
    Field(
        min_length=24,
        max_length=128,
        pattern=r"^[\x21-\x7e]+$",
        description="Shared secret the receiver verifies X-Coach-Signature with; never shown again.",
        json_schema_extra={"format": "password", "writeOnly": True},
    ),
]
# Webhooks belong to the organization, not to a user: a person hears on these two.
UserChannel = Literal["inbox", "email"]


class InboxItem(Output):
    """One notification in the caller's inbox (the id is the inbox delivery's)."""

    id: str
    notification_id: str
    kind: NotificationKind
    severity: Severity
    title: str
    body: str
    subject_type: str
    subject_id: str
    period: str
    data: dict[str, Any]
    note: str | None = Field(description="Why it reached you, when you stand in for someone.")
    created_at: datetime
    read_at: datetime | None


class MarkedRead(Output):
    marked: int


class PreferenceRead(Output):
    kind: NotificationKind
    channels: list[NotificationChannel]
    muted: bool
    is_default: bool = Field(description="True while the user has set nothing for this kind.")


class PreferenceUpdate(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"kind": "wellbeing_decline", "channels": ["email"]}],
            # The rule of `_something_to_hear_on`, published: a channel, or muted.
            "anyOf": [
                {"required": ["muted"], "properties": {"muted": {"const": True}}},
                {"required": ["channels"], "properties": {"channels": {"minItems": 1}}},
            ],
        },
    )

    kind: NotificationKind
    channels: list[UserChannel] = Field(
        default=[], max_length=2, json_schema_extra={"uniqueItems": True}
    )
    muted: Flag = False

    @model_validator(mode="after")
    def _something_to_hear_on(self) -> PreferenceUpdate:
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels: each channel once")
        if not self.muted and not self.channels:
            raise ValueError("channels: name at least one, or set muted")
        return self


class WebhookRead(Stored):
    name: str
    url: str
    kinds: list[NotificationKind]
    is_active: bool


class WebhookCreate(Input):
    name: Name
    url: WebhookUrl
    secret: WebhookSecret
    kinds: list[NotificationKind] = Field(
        default=[], max_length=len(NotificationKind), description="Empty for every kind."
    )
    is_active: Flag = True


class WebhookUpdate(Input):
    name: Name | MISSING = MISSING
    url: WebhookUrl | MISSING = MISSING
    secret: WebhookSecret | MISSING = MISSING
    kinds: list[NotificationKind] | MISSING = MISSING
    is_active: Flag | MISSING = MISSING


class DeliveryRead(Output):
    """One notification on one channel to one recipient, as admins see its delivery."""

    id: str
    notification_id: str
    kind: NotificationKind
    title: str
    channel: NotificationChannel
    user_id: str | None
    webhook_id: str | None
    destination: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    read_at: datetime | None
    last_error: str | None
    note: str | None
    created_at: datetime
