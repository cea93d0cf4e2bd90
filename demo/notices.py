"""The demo's notifier pass: what the build says people must be told goes to the inbox, to a real
local SMTP server and to a signed webhook of each organization, and the report puts each kind
beside what the simulated world planted."""

from __future__ import annotations

import secrets
from collections import Counter
from typing import Any

from sqlalchemy import select, update

from activation.notifications.receivers import LocalSMTPServer, LocalWebhookReceiver
from activation.notifications.service import delivery_counts, notify
from coaching.settings import Settings
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import NotificationWebhook, Organization


def tell_people(settings: Settings, manifest: dict[str, Any]) -> str:
    secret = secrets.token_hex(16)
    with LocalSMTPServer() as smtp, LocalWebhookReceiver(secret) as hook:
        engine = store_engine(settings)
        try:
            with transaction(engine) as session:
                for org in session.scalars(
                    select(Organization).where(Organization.type == "client")
                ):
                    session.add(
                        NotificationWebhook(
                            organization_id=org.id,
                            name="demo chat",
                            url=hook.url,
                            secret=secret,
                            kinds=["bulk_opt_out", "experiment_decision"],
                        )
                    )
            local = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port})
            report = notify(local)
            counts = delivery_counts(engine)
            with transaction(engine) as session:  # the demo's receiver stops with the demo
                session.execute(
                    update(NotificationWebhook)
                    .where(NotificationWebhook.name == "demo chat")
                    .values(is_active=False)
                )
        finally:
            engine.dispose()
        mails, calls = smtp.mails, hook.calls
    return describe(manifest, report.claimed.by_kind, counts, mails, calls)


def describe(
    manifest: dict[str, Any],
    claimed: Counter[str],
    counts: Counter[tuple[str, str, str]],
    mails: list[Any],
    calls: list[Any],
) -> str:
    truth = manifest["notifications"]
    quota = Counter(kind for plant in truth.get("quota", []) for kind in plant["kinds"])
    planted = {
        "wellbeing_decline": truth["wellbeing"]["declining"],
        "bulk_opt_out": len(truth["bulk_opt_outs"]),
        "quota_warning": quota["quota_warning"],
        "quota_reached": quota["quota_reached"],
    }
    lines = ["  notifications (notifications_due → inbox, local SMTP, signed webhook):"]
    for kind in sorted(set(claimed) | set(planted)):
        by_channel = Counter()
        for (k, channel, status), n in counts.items():
            if k == kind and status == "sent":
                by_channel[channel] += n
        channels = ", ".join(f"{c} {n}" for c, n in sorted(by_channel.items())) or "none sent"
        should = f"{planted[kind]:>4} planted, " if kind in planted else " " * 14
        lines.append(
            f"    {kind.replace('_', ' '):<22} {should}{claimed.get(kind, 0):>4} notified ({channels})"
        )
    lines.append(
        f"    of the wellbeing declines, {truth['wellbeing']['planted_and_declining']} of "
        f"{truth['wellbeing']['planted']} planted drops show in the latest check-in"
    )
    lines.append(
        f"    mailbox: {len(mails)} mails, {len({m.message_id for m in mails})} distinct; "
        f"webhook: {len(calls)} signed calls"
    )
    for mail in mails[:3]:
        lines.append(f"      to {', '.join(mail.recipients)}: {mail.subject}")
    return "\n".join(lines)
