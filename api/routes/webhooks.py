"""Twilio webhooks: status callbacks and inbound messages.

Order of work, each step for a reason:
1. the X-Twilio-Signature is checked with the SDK's RequestValidator against the public URL
   Twilio called (behind a proxy: X-Forwarded-Proto and Host), before anything is read or stored;
2. the organization is found by our number in the message (To for inbound, From for status);
3. the event and its delivery identities (I-Twilio-Idempotency-Token, MessageSid:status) are
   committed together before answering, so a retry finds its receipt and stores nothing twice;
4. a STOP-style keyword opts the worker out in the same transaction, before the next send.

A tapped button or list item keeps its payload beside the text (the models read it as the answer);
files a worker sends are kept as references (URL and type) in `inbound_media`, never fetched here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from api.deps import EngineDep, PlatformSessionDep, SettingsDep
from api.problems import RESPONSES, Problem, not_found
from api.routing import StoreRouter
from api.tenancy import tenant_session
from coaching import clock
from coaching.domain import (
    OPT_OUT_KEYWORDS,
    Channel,
    EnrollmentStatus,
    EventKind,
    MessageStatus,
)
from coaching.settings import Settings
from coaching.store.tables import (
    Enrollment,
    InboundMedia,
    MessageEvent,
    Organization,
    OutboxMessage,
    SenderNumber,
    WebhookReceipt,
    Worker,
)

router = StoreRouter(prefix="/webhooks/twilio", tags=["webhooks"], responses=RESPONSES)
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "YES"})
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
ACTOR = "twilio"
TWIML = {200: {"content": {"text/xml": {}}, "description": "Stored (or a duplicate, ignored)"}}


def public_url(request: Request, settings: Settings) -> str:
    """The URL Twilio signed: the configured public base, else what the proxy says it was."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if settings.api_public_url:
        return settings.api_public_url.rstrip("/") + path
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    host = (
        request.headers.get("x-forwarded-host") or request.headers.get("host") or request.url.netloc
    )
    return f"{proto}://{host.split(',')[0].strip()}{path}"


async def signed_form(
    request: Request,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Twilio-Signature", max_length=256)] = None,
) -> dict[str, str]:
    """The form parameters of a request Twilio really sent; 403 for anything else."""
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    validator = RequestValidator(settings.twilio_auth_token)
    if not signature or not validator.validate(public_url(request, settings), params, signature):
        raise Problem(403, "invalid X-Twilio-Signature")
    return params


SignedForm = Annotated[dict[str, str], Depends(signed_form)]


def _number(value: str | None) -> tuple[str | None, Channel]:
    if not value:
        return None, Channel.SMS
    if value.startswith("whatsapp:"):
        return value.removeprefix("whatsapp:"), Channel.WHATSAPP
    return value, Channel.SMS


def _organization(session: Session, our_number: str | None) -> Organization:
    if our_number:
        # sender_numbers gives each number one owner, so this finds one organization at most.
        found = session.scalar(
            select(Organization)
            .join(SenderNumber, SenderNumber.organization_id == Organization.id)
            .where(SenderNumber.number == our_number, Organization.deleted_at.is_(None))
        )
        if found is not None:
            return found
    raise not_found(f"organization for number {our_number}")


def _store(
    session: Session,
    event: MessageEvent,
    keys: list[str],
    media: Sequence[tuple[str, str]] = (),
) -> bool:
    """Commit the event with its receipts (and references to the files it carried); False when
    Twilio already delivered it."""
    session.add(event)
    session.flush()
    for position, (url, content_type) in enumerate(media):
        session.add(
            InboundMedia(
                organization_id=event.organization_id,
                message_event_id=event.id,
                message_sid=event.message_sid,
                worker_id=event.worker_id,
                position=position,
                url=url,
                content_type=content_type,
                received_at=event.occurred_at,
                created_by=ACTOR,
                updated_by=ACTOR,
            )
        )
    for key in keys:
        session.add(
            WebhookReceipt(
                key=key, organization_id=event.organization_id, message_event_id=event.id
            )
        )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def _keys(token: str | None, sid: str, status: str) -> list[str]:
    keys = [f"{sid}:{status}"]
    if token:
        keys.append(f"token:{token}")
    return keys


@router.post("/status", response_class=Response, responses=TWIML, summary="Twilio status callback")
def status_callback(
    params: SignedForm,
    platform: PlatformSessionDep,
    engine: EngineDep,
    token: Annotated[str | None, Header(alias="I-Twilio-Idempotency-Token", max_length=128)] = None,
) -> Response:
    sid = params.get("MessageSid") or params.get("SmsSid")
    status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    if not sid or status not in set(MessageStatus):
        raise Problem(422, "a status callback needs MessageSid and a known MessageStatus")
    ours, channel = _number(params.get("From"))
    theirs, _ = _number(params.get("To"))
    organization = _organization(platform, ours)
    with tenant_session(engine, organization.id, ACTOR) as session:
        outbox = session.scalar(select(OutboxMessage).where(OutboxMessage.message_sid == sid))
        worker_id = outbox.worker_id if outbox else _worker_id(session, theirs)
        error = params.get("ErrorCode")
        event = MessageEvent(
            organization_id=organization.id,
            event_key=f"{sid}:{status}",
            kind=EventKind.STATUS,
            message_sid=sid,
            status=status,
            error_code=int(error) if error and error.isdigit() else None,
            channel=channel,
            from_number=ours,
            to_number=theirs,
            worker_id=worker_id,
            enrollment_id=outbox.enrollment_id if outbox else None,
            touchpoint_id=outbox.touchpoint_id if outbox else None,
            experiment_variant_id=outbox.experiment_variant_id if outbox else None,
            payload=params,
            occurred_at=clock.now(),
        )
        _store(session, event, _keys(token, sid, status))
    return Response(EMPTY_TWIML, media_type="text/xml")


def _worker_id(session: Session, phone: str | None) -> str | None:
    worker = _worker(session, phone)
    return worker.id if worker else None


def _worker(session: Session, phone: str | None) -> Worker | None:
    if not phone:
        return None
    return session.scalar(
        select(Worker).where(Worker.phone_lookup == phone, Worker.deleted_at.is_(None))
    )


def _apply_keyword(session: Session, worker: Worker, body: str) -> None:
    keyword = body.strip().upper()
    now = clock.now()
    if keyword in OPT_OUT_KEYWORDS and worker.whatsapp_opt_out_at is None:
        worker.whatsapp_opt_out_at = now
        for enrollment in session.scalars(
            select(Enrollment).where(
                Enrollment.worker_id == worker.id, Enrollment.status == EnrollmentStatus.ACTIVE
            )
        ):
            enrollment.status = EnrollmentStatus.OPTED_OUT
            enrollment.ended_at = now
    elif keyword in OPT_IN_KEYWORDS and worker.whatsapp_opt_out_at is not None:
        worker.whatsapp_opt_out_at = None
        worker.whatsapp_opt_in_at = now


@router.post("/inbound", response_class=Response, responses=TWIML, summary="Twilio inbound message")
def inbound_message(
    params: SignedForm,
    platform: PlatformSessionDep,
    engine: EngineDep,
    token: Annotated[str | None, Header(alias="I-Twilio-Idempotency-Token", max_length=128)] = None,
) -> Response:
    sid = params.get("MessageSid") or params.get("SmsSid")
    if not sid:
        raise Problem(422, "an inbound message needs a MessageSid")
    theirs, channel = _number(params.get("From"))
    ours, _ = _number(params.get("To"))
    organization = _organization(platform, ours)
    body = params.get("Body", "")
    media = inbound_media(params)
    with tenant_session(engine, organization.id, ACTOR) as session:
        worker = _worker(session, theirs)
        event = MessageEvent(
            organization_id=organization.id,
            event_key=f"{sid}:{MessageStatus.RECEIVED}",
            kind=EventKind.INBOUND,
            message_sid=sid,
            status=MessageStatus.RECEIVED,
            channel=channel,
            from_number=theirs,
            to_number=ours,
            worker_id=worker.id if worker else None,
            body=body,
            # A tapped quick-reply button comes as ButtonPayload, a list item as ListId.
            button_payload=(params.get("ButtonPayload") or params.get("ListId") or None),
            button_text=(params.get("ButtonText") or params.get("ListTitle") or None),
            media_count=len(media),
            payload=params,
            occurred_at=clock.now(),
        )
        if worker is not None:
            _apply_keyword(session, worker, body)
        _store(session, event, _keys(token, sid, MessageStatus.RECEIVED), media)
    return Response(EMPTY_TWIML, media_type="text/xml")


MAX_MEDIA = 10  # Twilio sends at most ten files with one message


def inbound_media(params: dict[str, str]) -> list[tuple[str, str]]:
    """(url, content type) of each file Twilio says came with the message (NumMedia,
    MediaUrl0.., MediaContentType0..); 422 when the count and the fields disagree."""
    raw = params.get("NumMedia") or "0"
    if not raw.isdigit() or int(raw) > MAX_MEDIA:
        raise Problem(422, f"NumMedia must be a number from 0 to {MAX_MEDIA}, not {raw!r}")
    found = []
    for i in range(int(raw)):
        url, content_type = params.get(f"MediaUrl{i}"), params.get(f"MediaContentType{i}")
        if not url or not content_type:
            raise Problem(
                422, f"NumMedia is {raw} but MediaUrl{i} or MediaContentType{i} is missing"
            )
        found.append((url[:2000], content_type[:100]))
    return found
