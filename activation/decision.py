"""What to do with one claimed outbox row now: the send-time decision, as a pure function.

The schedule was computed hours ago by dbt; this re-checks what the store knows now (the worker
deleted or opted out, the row past its cutoff, quiet hours, the 24-hour window, the monthly quota)
and says which action the sender takes, with the Twilio parameters of a send. No I/O: the sender
loads the facts, applies the per-recipient rate limit to a `SEND`, and records the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from activation import policy
from coaching.domain import Channel, EnrollmentStatus
from coaching.rendering import fill, render
from coaching.store.tables import Organization, OutboxMessage, Worker


class Action(StrEnum):
    SEND = "send"  # ask Twilio to send it now
    SKIP = "skip"  # never send it (opted out; outside the window with no template)
    DEFER = "defer"  # not now (quiet hours, the recipient's rate): pending until `until`
    HOLD = "hold"  # over the monthly quota: held until the quota allows it
    FAIL = "fail"  # it cannot be sent as it is (no sender, missing variables, deleted worker)
    EXPIRE = "expire"  # past its cutoff


@dataclass
class Plan:
    """The decision for one row: the action, why, the send's parameters, or when to try again."""

    action: Action
    reason: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    until: datetime | None = None


def whatsapp(number: str) -> str:
    return f"whatsapp:{number}"


def message_context(
    worker: Worker,
    org: Organization,
    program_name: str | None,
    computed: dict[str, Any] | None = None,
) -> dict[str, str | None]:
    """What a message's placeholders may name (coaching.rendering.FIELDS), for one recipient:
    the worker's and organization's fields, and the figures the warehouse computed for the row."""
    figures = {k: None if v is None else str(v) for k, v in (computed or {}).items()}
    return figures | {
        "display_name": worker.display_name,
        "team": worker.team,
        "region": worker.region,
        "district": worker.district,
        "job_role": worker.job_role,
        "program_name": program_name,
        "organization_name": org.name,
    }


def decide(
    row: OutboxMessage,
    org: Organization,
    worker: Worker | None,
    last_inbound: datetime | None,
    now: datetime,
    quota_left: int,
    callback_url: str | None = None,
    program_name: str | None = None,
    enrollment_status: str | None = None,
) -> Plan:
    """The action for `row` at `now`, given the worker's last inbound message (the 24-hour window)
    and the messages left of the organization's monthly quota. Free text and template variables
    are filled by one rendering; a text that would still hold a placeholder is never sent."""
    if worker is None or worker.deleted_at is not None:
        return Plan(Action.FAIL, "the worker was deleted")
    if worker.whatsapp_opt_out_at is not None:
        return Plan(Action.SKIP, "the worker opted out")
    if enrollment_status is not None and enrollment_status != EnrollmentStatus.ACTIVE:
        # Ended since the build (program over, journey finished, dropped by the enrollment sync).
        return Plan(Action.SKIP, f"the enrollment has ended ({enrollment_status})")
    if row.expires_at is not None and row.expires_at <= now:
        return Plan(Action.EXPIRE, "past its cutoff")
    zone = worker.timezone or org.timezone
    if policy.in_quiet_hours(now, zone, org.quiet_hours_start, org.quiet_hours_end):
        until = policy.quiet_hours_end(now, zone, org.quiet_hours_end)
        return Plan(Action.DEFER, "quiet hours", until=until)
    params: dict[str, Any] = {}
    names = {k: str(v) for k, v in (row.template_variables or {}).items()}
    context = message_context(worker, org, program_name, row.field_values)
    if row.channel == Channel.SMS:
        if not org.sms_sender:
            return Plan(Action.FAIL, "the organization has no SMS sender")
        if not row.body:
            return Plan(Action.FAIL, "SMS needs a body")
        params.update(to=row.to_number, from_=org.sms_sender)
    else:
        if not org.whatsapp_sender:
            return Plan(Action.FAIL, "the organization has no WhatsApp sender")
        params.update(to=whatsapp(row.to_number), from_=whatsapp(org.whatsapp_sender))
    in_window = row.channel == Channel.WHATSAPP and policy.window_open(last_inbound, now)
    # Interactive content inside the window: its buttons or list picker; outside it, the
    # template (buttons approved for it, or the variant's own template); else free text.
    template = (row.session_template_sid if in_window else None) or (
        None if in_window and row.body else row.template_sid
    )
    if row.channel == Channel.SMS or (in_window and row.body and not row.session_template_sid):
        rendered = render(row.body or "", names, context)
        if not rendered.complete:
            unfilled = ", ".join("{{" + name + "}}" for name in rendered.missing)
            return Plan(Action.FAIL, f"the text would hold unfilled placeholders {unfilled}")
        params["body"] = rendered.text
        if row.media_url and row.channel == Channel.WHATSAPP:
            params["media_url"] = [row.media_url]
    elif template:
        filled = fill(names, context)
        if filled.missing:
            return Plan(Action.FAIL, "missing template variables " + ", ".join(filled.missing))
        params.update(content_sid=template, content_variables=json.dumps(filled.values))
    else:
        return Plan(Action.SKIP, "outside the 24-hour window and no template")
    if quota_left <= 0:
        return Plan(Action.HOLD, "monthly message quota reached")
    validity = policy.validity_seconds(row.expires_at, now)
    if validity:
        params["validity_period"] = validity
    if callback_url:
        params["status_callback"] = callback_url
    return Plan(Action.SEND, params=params)
