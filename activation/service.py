"""Running the sender: one pass (the Dagster asset, `coach activate`), a loop (`--loop`), or a
dry run that reports what would go out and changes nothing."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from activation import outbox
from activation.enrollment_sync import plan_version, sync_enrollments
from activation.sender import PassReport, Sender, SenderConfig
from activation.twilio_client import async_client
from coaching.settings import Settings
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import Organization, Worker


def callback_url(settings: Settings) -> str:
    """Where Twilio posts status callbacks: the API's webhook (make api serves it locally)."""
    base = settings.api_public_url or "http://127.0.0.1:8000"
    return base.rstrip("/") + "/webhooks/twilio/status"


async def _run(
    settings: Settings,
    config: SenderConfig,
    passes: int | None,
    interval: float,
    progress: Callable[[PassReport], None] | None,
    sync: bool,
) -> PassReport:
    engine = store_engine(settings)
    client = async_client(settings, timeout=config.request_timeout, connections=config.in_flight)
    total = PassReport()
    try:
        sender = Sender(settings, engine, client, config)
        done = 0
        synced_version = None
        while passes is None or done < passes:
            synced = None
            version = plan_version(settings.lake_dir)
            if sync and version is not None and version != synced_version:
                # The plan first: new enrollments and ends are in the store before anything is
                # sent. Once per published plan: a loop does not diff the same plan every pass.
                synced = await asyncio.to_thread(sync_enrollments, engine, settings.lake_dir)
                synced_version = version
            report = await sender.run_pass()
            if synced is not None:
                report.enrollments.update(synced.totals())
            total.add(report)
            done += 1
            if progress:
                progress(report)
            if passes is None or done < passes:
                await asyncio.sleep(interval)
    finally:
        await client.http_client.close()
        engine.dispose()
    return total


def activate(
    settings: Settings,
    config: SenderConfig | None = None,
    *,
    passes: int | None = 1,
    interval: float = 30.0,
    progress: Callable[[PassReport], None] | None = None,
    sync: bool = True,
) -> PassReport:
    """Passes of the sender, each after an enrollment sync (`sync=False` sends only)."""
    config = config or SenderConfig()
    if config.callback_url is None:
        config = replace(config, callback_url=callback_url(settings))
    return asyncio.run(_run(settings, config, passes, interval, progress, sync))


def describe(report: PassReport) -> str:
    e = report.enqueued
    outcomes = (
        ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items()) if v) or "nothing to do"
    )
    n = report.enrollments
    synced = (
        f"enrollments: {n['added']} added ({n['held_out']} held out), {n['ended']} ended, "
        f"{n['rejected']} rejected, {n['skipped'] + n['stopped']} programs held back; "
        if n
        else ""
    )
    return (
        f"{synced}activation: {e.due} due in the schedule, {e.claimed} claimed into the outbox "
        f"({e.already_claimed} already there, {e.rejected} rejected, {e.assignments} new experiment "
        f"assignments); {outcomes}"
    )


def dry_run(
    settings: Settings, now: datetime | None = None
) -> list[tuple[str, str, str, str, int]]:
    """What would be sent now, per organization, program, template and channel; writes nothing.

    Applies what is known before sending: already-claimed rows, rows that would be rejected and
    workers who opted out. Quiet hours, quotas and rate limits are decided at send time."""
    now = now or datetime.now(UTC)
    rows = outbox.read_due(settings.lake_dir, now, settings.duckdb_limits)
    engine = store_engine(settings)
    keys = [row["idempotency_key"] for row in rows]
    worker_ids = sorted({row["worker_id"] for row in rows})
    with transaction(engine) as session:
        slugs = dict(session.execute(select(Organization.id, Organization.slug)).all())
        claimed = set(
            session.scalars(
                select(outbox.OutboxMessage.idempotency_key).where(
                    outbox.OutboxMessage.idempotency_key.in_(keys)
                )
            )
        )
        workers = {
            w.id: w for w in session.scalars(select(Worker).where(Worker.id.in_(worker_ids)))
        }
        templates = set(
            session.execute(
                select(outbox.ContentVariant.organization_id, outbox.ContentVariant.template_sid)
            ).all()
        )
    engine.dispose()
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for row in rows:
        if row["idempotency_key"] in claimed:
            continue
        if outbox.rejection(row, workers, templates):
            template = "rejected"
        elif workers[row["worker_id"]].whatsapp_opt_out_at is not None:  # present: not rejected
            template = "skipped: opted out"
        elif row.get("message_type") == "template":
            template = row.get("template_sid") or "skipped: no template"
        else:
            template = "free text"
        counts[
            (
                slugs.get(row["organization_id"], "?"),
                str(row.get("program_id")),
                template,
                row["channel"],
            )
        ] += 1
    return [(*key, count) for key, count in sorted(counts.items())]
