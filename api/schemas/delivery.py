"""What admins read of delivery and usage: a worker's messages with what became of them, and
the month's message use against the quota and the grace allowance."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.schemas.common import Input, Output
from coaching.domain import Tier


class StatusChange(Output):
    status: str
    at: datetime
    error_code: int | None = None


class InboundFile(Output):
    url: str = Field(
        description="Twilio's copy of the file (fetched with the account's credentials)."
    )
    content_type: str


class Reply(Output):
    at: datetime
    body: str | None
    channel: str
    button_payload: str | None = Field(
        None, description="The payload of the button or list item the worker tapped."
    )
    media: list[InboundFile] = Field([], description="Files the worker sent (photos, voice notes).")


class WorkerMessage(Output):
    """One message activation handled for the worker, sent or not, with its fate and replies."""

    id: str
    due_at: datetime
    sent_at: datetime | None
    channel: str
    program_id: str | None
    program_name: str | None
    touchpoint_id: str | None
    touchpoint_name: str | None
    is_follow_up: bool
    body: str | None = Field(description="The text as scheduled (placeholders unfilled).")
    template_sid: str | None
    media_url: str | None = Field(None, description="Media sent with the message.")
    status: str = Field(description="The outbox's state: pending, sent, held, skipped, failed...")
    delivery_status: str | None = Field(
        description="Twilio's final word from its status callbacks (delivered, read, failed...)."
    )
    error_code: int | None
    error: str | None
    attempts: int
    message_sid: str | None
    statuses: list[StatusChange]
    replies: list[Reply] = Field(
        description="What the worker wrote after this message and before the next one was sent."
    )


class WorkerMessagePage(Output):
    items: list[WorkerMessage]
    next_cursor: str | None = None


class Usage(Output):
    month: str = Field(examples=["2026-12"], description="The UTC month counted.")
    tier: Tier
    monthly_quota: int
    used: int = Field(description="Messages handed to Twilio this month.")
    used_by_channel: dict[str, int]
    share_used: float
    left: int = Field(description="Messages the quota still allows this month.")
    held: int = Field(description="Sends held for want of quota, released when it allows.")
    grace_allowance: int = Field(
        description="Messages urgent content may send past the quota each month (by tier)."
    )
    grace_used: int
    grace_left: int


class TierChange(Input):
    tier: Tier
    monthly_message_quota: int | None = Field(
        default=None, ge=0, le=100_000_000, description="Defaults to the tier's quota."
    )
