"""Interactive and media content as Twilio sends it: each variant with options or media is
registered once with the Content API (quick-reply buttons, a list picker, a media template;
coaching.interactive decides which), and a send of that variant carries the registered templates,
its media, or, over SMS, its options as text and its media as a link.

Registration is a sync like the others: keyed by variant, layout and a digest of what is
registered, so a pass with nothing changed makes no call, a changed variant registers anew, and a
template Twilio refused is reported with Twilio's reason and tried again next pass (the variant
still goes out as text meanwhile, answered by typing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client
from twilio.rest.content.v1.content import ContentList

from coaching import interactive
from coaching.domain import Channel
from coaching.store.engine import transaction
from coaching.store.tables import Content, ContentTemplate, ContentVariant

log = logging.getLogger(__name__)
ACTOR = "system:activation"


@dataclass
class RegisterReport:
    registered: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # friendly name -> Twilio's reason


@dataclass(frozen=True)
class Wanted:
    """A template a variant needs that is not registered yet."""

    organization_id: str
    variant_id: str
    layout: interactive.Layout
    digest: str
    request: dict[str, Any]


@dataclass
class VariantSends:
    """What a send of one content variant carries beyond the schedule's text."""

    options: list[interactive.Option]
    option_texts: dict[str, str]
    media_url: str | None
    templates: dict[str, str] = field(default_factory=dict)  # layout -> Twilio sid


def _requests(content: Content, variant: ContentVariant) -> dict[interactive.Layout, dict]:
    options = interactive.parse_options(content.options)
    if not options and not variant.media_url:
        return {}
    return interactive.template_requests(
        name=f"{content.key}_{variant.variant_key}_{variant.language}",
        language=variant.language,
        body=variant.body or content.key,
        variables={k: str(v) for k, v in (variant.template_variables or {}).items()},
        options=options,
        texts=variant.option_texts,
        media_url=variant.media_url,
    )


def wanted(engine: Engine) -> list[Wanted]:
    """Templates live variants need that are not registered in their current form."""
    with transaction(engine) as session:
        pairs = session.execute(
            select(Content, ContentVariant)
            .join(ContentVariant, ContentVariant.content_id == Content.id)
            .where(Content.deleted_at.is_(None), ContentVariant.deleted_at.is_(None))
        ).all()
        registered = set(
            session.execute(
                select(
                    ContentTemplate.content_variant_id,
                    ContentTemplate.layout,
                    ContentTemplate.digest,
                )
            ).all()
        )
    found = []
    for content, variant in pairs:
        for layout, request in _requests(content, variant).items():
            digest = interactive.spec_digest(request)
            if (variant.id, layout.value, digest) not in registered:
                found.append(Wanted(variant.organization_id, variant.id, layout, digest, request))
    return found


async def register(engine: Engine, client: Client) -> RegisterReport:
    """Register every template a variant needs with Twilio's Content API (async SDK calls)."""
    report = RegisterReport()
    for item in wanted(engine):
        name = item.request["friendly_name"]
        try:
            created = await client.content.v1.contents.create_async(
                ContentList.ContentCreateRequest(item.request)
            )
        except TwilioRestException as exc:
            report.failed[name] = f"{exc.status} {exc.code}: {exc.msg}"
            log.warning("Twilio refused content template %s: %s", name, exc.msg)
            continue
        except (TwilioException, OSError, TimeoutError) as exc:
            report.failed[name] = str(exc) or type(exc).__name__
            continue
        with transaction(engine) as session:
            session.add(
                ContentTemplate(
                    organization_id=item.organization_id,
                    content_variant_id=item.variant_id,
                    layout=item.layout.value,
                    digest=item.digest,
                    twilio_sid=created.sid,
                    friendly_name=name,
                    created_by=ACTOR,
                    updated_by=ACTOR,
                )
            )
        report.registered += 1
    return report


def sends_for(
    session: Any, rows: Iterable[dict[str, Any]]
) -> dict[tuple[str, str, str], VariantSends]:
    """For the schedule rows' content variants that carry options or media: what their sends
    carry, with the newest registered template of each layout. Keyed by (content_id,
    content_variant_key, content_language), the schedule's names for a variant."""
    content_ids = sorted({row["content_id"] for row in rows if row.get("content_id")})
    found: dict[tuple[str, str, str], VariantSends] = {}
    for start in range(0, len(content_ids), 5000):
        chunk = content_ids[start : start + 5000]
        pairs = session.execute(
            select(Content, ContentVariant)
            .join(ContentVariant, ContentVariant.content_id == Content.id)
            .where(Content.id.in_(chunk), ContentVariant.deleted_at.is_(None))
        ).all()
        interesting = {
            variant.id: (content, variant)
            for content, variant in pairs
            if content.options or variant.media_url
        }
        if not interesting:
            continue
        templates: dict[str, dict[str, str]] = {}
        for variant_id, layout, sid in session.execute(
            select(
                ContentTemplate.content_variant_id,
                ContentTemplate.layout,
                ContentTemplate.twilio_sid,
            )
            .where(ContentTemplate.content_variant_id.in_(list(interesting)))
            .order_by(ContentTemplate.created_at)
        ):
            templates.setdefault(variant_id, {})[layout] = sid  # the newest wins
        for variant_id, (content, variant) in interesting.items():
            # Only the templates of the variant as it is now (a digest registered earlier may
            # be of a text since changed).
            current = {layout.value for layout in _requests(content, variant)}
            found[(content.id, variant.variant_key, variant.language)] = VariantSends(
                options=interactive.parse_options(content.options),
                option_texts=dict(variant.option_texts or {}),
                media_url=variant.media_url,
                templates={
                    layout: sid
                    for layout, sid in templates.get(variant_id, {}).items()
                    if layout in current
                },
            )
    return found


def apply(values: dict[str, Any], sends: VariantSends | None) -> dict[str, Any]:
    """An outbox row's values with what its variant's send carries: on WhatsApp the registered
    templates (quick-reply buttons also outside the window; a list picker inside it) and the
    media; over SMS the options to type back and the media as a link."""
    if sends is None:
        return values
    if values.get("channel") == Channel.SMS:
        values["body"] = interactive.sms_text(
            values.get("body") or "", sends.options, sends.option_texts, sends.media_url
        )
        return values
    values["media_url"] = sends.media_url
    quick = sends.templates.get(interactive.Layout.QUICK_REPLY)
    picker = sends.templates.get(interactive.Layout.LIST_PICKER)
    media = sends.templates.get(interactive.Layout.MEDIA)
    if quick:
        values["template_sid"] = quick
        values["session_template_sid"] = picker or quick
    elif media:
        values["template_sid"] = media
    return values
