"""`coach activate` and `coach twilio-emulator` (registered through `coach.commands`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer


def activate(
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep running, one pass per interval.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be sent; send nothing.")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between passes with --loop.")] = 30.0,
    in_flight: Annotated[int, typer.Option(help="Sends in flight at once.")] = 256,
    lease_seconds: Annotated[
        float, typer.Option(help="After how long a row left `sending` by a crash is reconciled.")
    ] = 120.0,
    sender_rate: Annotated[
        float, typer.Option(help="Sends per second per sender number (Twilio's throughput).")
    ] = 80.0,
    batch: Annotated[int, typer.Option(help="Outbox rows one sender claims at a time.")] = 500,
) -> None:
    """Send what the published activation schedule says is due, through the Twilio SDK."""
    from activation.sender import SenderConfig
    from activation.service import activate as run
    from activation.service import describe
    from activation.service import dry_run as plan
    from coaching.settings import get_settings

    settings = get_settings()
    if dry_run:
        rows = plan(settings)
        if not rows:
            typer.echo("nothing is due")
            return
        typer.echo(
            f"{'organization':<36} {'program':<38} {'template':<36} {'channel':<9} {'messages':>8}"
        )
        for organization, program, template, channel, count in rows:
            typer.echo(f"{organization:<36} {program:<38} {template:<36} {channel:<9} {count:>8}")
        typer.echo(f"{sum(r[-1] for r in rows)} messages would be sent; nothing was sent")
        return
    report = run(
        settings,
        SenderConfig(
            in_flight=in_flight, lease_seconds=lease_seconds, sender_rate=sender_rate, batch=batch
        ),
        passes=None if loop else 1,
        interval=interval,
        progress=lambda r: typer.echo(describe(r)) if loop else None,
    )
    if not loop:
        typer.echo(describe(report))


def sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; change nothing.")
    ] = False,
) -> None:
    """Apply the published enrollment plan to the store's enrollments (by diff, per program,
    with the largest-change guard); `--dry-run` prints the same report and writes nothing."""
    from activation.enrollment_sync import program_names, sync_enrollments
    from coaching.settings import get_settings
    from coaching.store.engine import store_engine

    settings = get_settings()
    engine = store_engine(settings)
    try:
        report = sync_enrollments(engine, settings.lake_dir, dry_run=dry_run)
        typer.echo(report.describe(program_names(engine)))
    finally:
        engine.dispose()
    totals = report.totals()
    typer.echo(
        f"{totals['added']} added ({totals['held_out']} held out), {totals['ended']} ended, "
        f"{totals['unchanged']} unchanged, {totals['rejected']} rejected"
        + ("; nothing was changed" if dry_run else "")
    )


def twilio_emulator(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "",
    port: Annotated[int, typer.Option(help="Port; default from COACH_TWILIO_API_URL.")] = 0,
    log: Annotated[Path | None, typer.Option(help="JSON-lines log of accepted messages.")] = None,
    rate_429: Annotated[float, typer.Option(help="Share of sends answered 429.")] = 0.0,
    rate_5xx: Annotated[float, typer.Option(help="Share of sends answered 5xx.")] = 0.0,
    fail_rate: Annotated[
        float, typer.Option(help="Share of messages ending undelivered (30008).")
    ] = 0.0,
    drop_callbacks: Annotated[
        float, typer.Option(help="Share of status callbacks not posted.")
    ] = 0.0,
    latency_ms: Annotated[float, typer.Option(help="Added to every answer.")] = 0.0,
) -> None:
    """Run the local Twilio emulator the SDK talks to (demo, tests, benchmarks)."""
    from activation.emulator import Faults, run
    from activation.service import callback_url
    from coaching.settings import get_settings

    settings = get_settings()
    target = urlsplit(settings.twilio_api_url)
    log = log or Path(settings.home) / "twilio" / "messages.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    faults = Faults(
        rate_429=rate_429,
        rate_5xx=rate_5xx,
        fail_rate=fail_rate,
        drop_callbacks=drop_callbacks,
        latency_ms=latency_ms,
    )
    inbound = callback_url(settings).replace("/status", "/inbound")
    typer.echo(f"Twilio emulator on {settings.twilio_api_url} (log {log})")
    run(
        host or target.hostname or "127.0.0.1",
        port or target.port or 8765,
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        log,
        faults,
        inbound,
    )


def notify(
    loop: Annotated[
        bool, typer.Option("--loop", help="Keep running, one pass per interval.")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between passes with --loop.")] = 30.0,
    lease_seconds: Annotated[
        float, typer.Option(help="After how long a delivery left `sending` by a crash is resent.")
    ] = 300.0,
) -> None:
    """Tell people what the published notifications_due says: claim each notification once, then
    deliver it to the inbox, by email (COACH_SMTP_HOST) and to the organization's webhooks."""
    from datetime import timedelta

    from activation.notifications.service import describe, notify
    from coaching.settings import get_settings

    report = notify(
        get_settings(),
        passes=None if loop else 1,
        interval=interval,
        lease=timedelta(seconds=lease_seconds),
        progress=lambda r: typer.echo(describe(r)) if loop else None,
    )
    if not loop:
        typer.echo(describe(report))
