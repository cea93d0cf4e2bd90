"""The services the demo starts beside the pipeline: the local Twilio emulator and the admin API
(its webhooks), on free local ports.

The emulator is told what Twilio would know about the simulated world: who opted out, and when
each worker last wrote (the 24-hour window).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select

from activation.emulator import EmulatorThread, Faults
from api.server import ApiThread, free_port
from coaching.domain import EventKind
from coaching.settings import Settings, load_settings
from coaching.store import migrate
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import MessageEvent, Worker


@contextmanager
def local_services(settings: Settings) -> Iterator[tuple[Settings, EmulatorThread]]:
    """The emulator and the API on free local ports; yields settings pointing at both."""
    api_port = free_port()
    log = settings.home / "twilio" / "messages.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    public = f"http://127.0.0.1:{api_port}"
    emulator = EmulatorThread(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        log,
        faults=Faults(fail_rate=0.03, seed=11),  # some handsets are unreachable, as in life
        inbound_url=f"{public}/webhooks/twilio/inbound",
    )
    local = load_settings(
        {},
        **{
            name: value
            for name, value in settings.model_dump().items()
            if value is not None and name not in ("twilio_api_url", "api_public_url")
        },
        twilio_api_url=emulator.url,
        api_public_url=public,
    )
    engine = store_engine(local)
    migrate.upgrade(engine)  # the API and activation need the current schema
    engine.dispose()
    api = ApiThread(local, api_port)
    try:
        yield local, emulator
    finally:
        api.stop()
        emulator.stop()


def tell_twilio_what_it_knows(settings: Settings, emulator: EmulatorThread) -> None:
    engine = store_engine(settings)
    with transaction(engine) as session:
        opted_out = list(
            session.scalars(
                select(Worker.phone_e164).where(Worker.whatsapp_opt_out_at.is_not(None))
            )
        )
        last_inbound = session.execute(
            select(Worker.phone_e164, func.max(MessageEvent.occurred_at))
            .join(MessageEvent, MessageEvent.worker_id == Worker.id)
            .where(MessageEvent.kind == EventKind.INBOUND)
            .group_by(Worker.phone_e164)
        ).all()
    engine.dispose()
    emulator.call(emulator.emulator.remember(opted_out, dict(last_inbound)))
