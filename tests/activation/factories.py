"""An organization ready to send: senders, quota and one WhatsApp template (tests and bench)."""

from __future__ import annotations

from typing import Any

from coaching.store.tables import Content, ContentVariant, Organization

TEMPLATE = "HX" + "a" * 32


def sending_organization(
    session: Any, slug: str, whatsapp_sender: str, **overrides: Any
) -> Organization:
    values = {
        "name": slug.replace("-", " ").title(),
        "slug": slug,
        "type": "client",
        "tier": "premium",
        "monthly_message_quota": 100_000,
        "whatsapp_sender": whatsapp_sender,
        "timezone": "UTC",
        **overrides,
    }
    organization = Organization(**values)
    session.add(organization)
    session.flush()
    content = Content(organization_id=organization.id, key="tip", kind="template")
    session.add(content)
    session.flush()
    session.add(
        ContentVariant(
            organization_id=organization.id,
            content_id=content.id,
            language="en",
            body="Tip",
            template_sid=TEMPLATE,
            template_variables={"1": "first_name"},
        )
    )
    return organization
