"""A rig for activation tests: the Twilio emulator and (when callbacks matter) the API, both on
real sockets in background threads, a migrated store with one organization and its workers, and
a published schedule written as the dbt build would publish it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from activation.emulator import EmulatorThread as BaseEmulatorThread
from activation.emulator import Faults
from activation.sender import PassReport, SenderConfig
from activation.service import activate
from api.server import ApiThread, free_port
from coaching.lake import published_mart
from coaching.settings import Settings, load_settings
from coaching.store import migrate
from coaching.store.engine import store_engine, transaction
from coaching.store.tables import Worker
from coaching.store.types import new_id
from tests.activation.factories import TEMPLATE, sending_organization
from tests.conftest import postgres_database


class EmulatorThread(BaseEmulatorThread):
    """The product's emulator thread, with the HTTP controls tests use."""

    def __init__(self, settings: Settings, log: Path) -> None:
        super().__init__(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            log,
            faults=Faults(callback_delay_ms=5),
        )

    def control(self, path: str, body: Any) -> Any:
        return httpx.post(f"{self.url}/_emulator/{path}", json=body, timeout=10).json()

    def log(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.url}/_emulator/log", timeout=10).json()

    def requests(self) -> dict[str, int]:
        return httpx.get(f"{self.url}/_emulator/requests", timeout=10).json()


@dataclass
class Rig:
    settings: Settings
    emulator: EmulatorThread
    organization_id: str
    workers: list[dict[str, Any]]
    api: ApiThread | None = None
    config: SenderConfig = field(
        default_factory=lambda: SenderConfig(
            backoff_base=0.01, backoff_cap=0.05, lease_seconds=1.0, seed=1
        )
    )

    @property
    def engine(self) -> Any:
        return store_engine(self.settings)

    def publish(self, rows: list[dict[str, Any]]) -> None:
        target = published_mart(self.settings.lake_dir, "activation_schedule")
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEDULE_SCHEMA), target)

    def row(self, worker: dict[str, Any], **overrides: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        values = {
            "idempotency_key": new_id(),
            "organization_id": self.organization_id,
            "program_id": "p",
            "enrollment_id": None,
            "worker_id": worker["id"],
            "touchpoint_id": None,
            "is_follow_up": False,
            "experiment_variant_id": None,
            "assignment_source": "none",
            "program_variant_id": None,
            "channel": "whatsapp",
            "message_type": "template",
            "to_number": worker["phone"],
            "body": f"Tip for {worker['phone']}",
            "template_sid": TEMPLATE,
            "template_variables": json.dumps({"1": "first_name"}),
            "due_at": now - timedelta(minutes=5),
            "expires_at": now + timedelta(hours=12),
            "is_due": True,
        }
        return {**values, **overrides}

    def activate(self, passes: int = 1, **config: Any) -> PassReport:
        return activate(self.settings, replace(self.config, **config), passes=passes, interval=0.05)

    def sent_to(self) -> list[str]:
        return [m["to"].removeprefix("whatsapp:") for m in self.emulator.log()]

    def outbox(self) -> list[Any]:
        from sqlalchemy import select

        from coaching.store.tables import OutboxMessage

        engine = self.engine
        with transaction(engine) as session:
            rows = list(session.scalars(select(OutboxMessage)))
        engine.dispose()
        return rows


SCHEDULE_SCHEMA = pa.schema(
    [
        ("idempotency_key", pa.string()),
        ("organization_id", pa.string()),
        ("program_id", pa.string()),
        ("enrollment_id", pa.string()),
        ("worker_id", pa.string()),
        ("touchpoint_id", pa.string()),
        ("is_follow_up", pa.bool_()),
        ("experiment_variant_id", pa.string()),
        ("assignment_source", pa.string()),
        ("program_variant_id", pa.string()),
        ("channel", pa.string()),
        ("message_type", pa.string()),
        ("to_number", pa.string()),
        ("body", pa.string()),
        ("template_sid", pa.string()),
        ("template_variables", pa.string()),
        ("due_at", pa.timestamp("us", tz="UTC")),
        ("expires_at", pa.timestamp("us", tz="UTC")),
        ("is_due", pa.bool_()),
    ]
)


def build_rig(tmp_path: Path, database_url: str | None, workers: int, with_api: bool) -> Rig:
    environ = {"COACH_HOME": str(tmp_path)}
    if database_url:
        environ["COACH_DATABASE_URL"] = database_url
    base = load_settings(environ)
    emulator = EmulatorThread(base, tmp_path / "twilio.jsonl")
    environ["COACH_TWILIO_API_URL"] = emulator.url
    api_port = free_port() if with_api else None
    if api_port:
        environ["COACH_API_PUBLIC_URL"] = f"http://127.0.0.1:{api_port}"
    settings = load_settings(environ)
    engine = store_engine(settings)
    migrate.upgrade(engine)
    tag = new_id()[:8]
    people = []
    with transaction(engine) as session:
        org = sending_organization(
            session,
            f"org-{tag}",
            f"+1555{int(tag[:6], 16) % 10_000_000:07d}",
            sms_sender="+15550001111",
            sms_fallback_enabled=True,
        )
        for i in range(workers):
            phone = f"+2547{int(tag[:6], 16) % 1000:03d}{i:05d}"
            worker = Worker(
                organization_id=org.id, phone_e164=phone, display_name=f"Amina {i}", timezone="UTC"
            )
            session.add(worker)
            session.flush()
            people.append({"id": worker.id, "phone": phone})
    engine.dispose()
    rig = Rig(settings, emulator, org.id, people)
    if api_port:
        rig.api = ApiThread(settings, api_port)
    return rig


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = build_rig(tmp_path, None, workers=30, with_api=False)
    yield rig
    rig.emulator.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    """The rig on each store backend; PostgreSQL in a database of its own (sender passes see
    every organization's rows, so tests must not share a store)."""
    if request.param == "sqlite":
        rig = build_rig(tmp_path, None, workers=30, with_api=True)
        yield rig
    else:
        base = load_settings().test_postgres_url
        if not base:
            pytest.skip("COACH_TEST_POSTGRES_URL is not set")
        with postgres_database(base) as url:
            rig = build_rig(tmp_path, url, workers=30, with_api=True)
            yield rig
    if rig.api:
        rig.api.stop()
    rig.emulator.stop()


@pytest.fixture
def rig_with_api(tmp_path: Path) -> Iterator[Rig]:
    """The full loop: callbacks go through the API's webhooks into the store."""
    rig = build_rig(tmp_path, None, workers=12, with_api=True)
    yield rig
    if rig.api:
        rig.api.stop()
    rig.emulator.stop()
