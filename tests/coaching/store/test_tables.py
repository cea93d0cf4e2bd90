"""Conventions every table must keep, and behaviour of the store on both backends."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError, StatementError

from coaching.store import migrate
from coaching.store.engine import make_engine, transaction
from coaching.store.tables import TENANT_TABLES, Base, MessageEvent, Organization, Worker
from tests.store_keys import TEST_FIELD_KEYS

APPEND_ONLY = {"message_events", "audit_log", "webhook_receipts", "retention_purges"}
KEPT_BY_TRIGGERS = {"sender_numbers"}  # nobody edits them: no audit columns to fill
# Tenants' notices and the platform's own (organization NULL, never visible to a tenant).
TENANT_OR_PLATFORM = {"notifications", "notification_deliveries"}


def test_every_table_but_organizations_is_a_tenant_table() -> None:
    assert set(TENANT_TABLES) == set(Base.metadata.tables) - {"organizations"}


@pytest.mark.parametrize("name", sorted(set(TENANT_TABLES)))
def test_tenant_indexes_lead_with_organization_id(name: str) -> None:
    table = Base.metadata.tables[name]
    assert table.c.organization_id.nullable == (name in TENANT_OR_PLATFORM)
    assert table.indexes, f"{name} has no index"
    leading = [ix for ix in table.indexes if ix.columns.keys()[0] == "organization_id"]
    assert leading, f"{name} has no index starting with organization_id"


@pytest.mark.parametrize("name", sorted(set(Base.metadata.tables) - APPEND_ONLY - KEPT_BY_TRIGGERS))
def test_mutable_tables_are_audited_and_soft_deleted(name: str) -> None:
    columns = set(Base.metadata.tables[name].c.keys())
    assert {"created_at", "updated_at", "created_by", "updated_by", "deleted_at"} <= columns


def test_message_events_are_append_only() -> None:
    columns = set(Base.metadata.tables["message_events"].c.keys())
    assert not {"updated_at", "deleted_at"} & columns
    assert {"organization_id", "received_at", "occurred_at", "event_key"} <= columns


@pytest.fixture
def engine(private_store_url: str):
    engine = make_engine(private_store_url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    yield engine
    migrate.downgrade(engine, "base")
    engine.dispose()


def _organization(slug: str) -> Organization:
    return Organization(
        name=slug.title(), slug=slug, type="client", tier="basic", monthly_message_quota=5000
    )


def test_round_trip_keeps_utc_and_json(engine) -> None:
    lagos = timezone(timedelta(hours=1))
    opted_in = datetime(2026, 3, 1, 9, 30, tzinfo=lagos)
    with transaction(engine) as session:
        org = _organization("acme")
        session.add(org)
        session.flush()
        session.add(
            Worker(
                organization_id=org.id,
                phone_e164="+2348031234567",
                whatsapp_opt_in_at=opted_in,
                attributes={"certified": True, "languages": ["en", "yo"]},
            )
        )
    with transaction(engine) as session:
        worker = session.scalars(select(Worker)).one()
        assert worker.whatsapp_opt_in_at == opted_in
        assert worker.whatsapp_opt_in_at.tzinfo is not None
        assert worker.whatsapp_opt_in_at.utcoffset() == timedelta(0)
        assert worker.attributes == {"certified": True, "languages": ["en", "yo"]}
        assert worker.created_at <= datetime.now(UTC)
        assert worker.deleted_at is None


def test_naive_datetimes_are_refused(engine) -> None:
    with pytest.raises(StatementError, match="naive datetime"), transaction(engine) as session:
        org = _organization("naive")
        session.add(org)
        session.flush()
        session.add(Worker(organization_id=org.id, phone_e164="+15555550100",
                           whatsapp_opt_in_at=datetime(2026, 1, 1)))  # fmt: skip
        session.flush()


def test_phone_is_unique_per_organization_not_globally(engine) -> None:
    with transaction(engine) as session:
        a, b = _organization("a"), _organization("b")
        session.add_all([a, b])
        session.flush()
        session.add_all(
            [
                Worker(organization_id=a.id, phone_e164="+15555550100"),
                Worker(organization_id=b.id, phone_e164="+15555550100"),
            ]
        )
    with pytest.raises(IntegrityError), transaction(engine) as session:
        session.add(Worker(organization_id=a.id, phone_e164="+15555550100"))


def test_soft_delete_keeps_the_row_and_moves_the_watermark(engine) -> None:
    with transaction(engine) as session:
        org = _organization("soft")
        session.add(org)
        session.flush()
        worker = Worker(organization_id=org.id, phone_e164="+15555550101")
        session.add(worker)
    before = worker.updated_at
    with transaction(engine) as session:
        row = session.get(Worker, worker.id)
        row.deleted_at = datetime.now(UTC)
    with transaction(engine) as session:
        row = session.get(Worker, worker.id)
        assert row is not None and row.deleted_at is not None
        assert row.updated_at > before


def test_message_event_ids_increase(engine) -> None:
    with transaction(engine) as session:
        org = _organization("events")
        session.add(org)
        session.flush()
        now = datetime.now(UTC)
        for i in range(3):
            session.add(MessageEvent(organization_id=org.id, event_key=f"SM{i}:sent",
                                     kind="status", status="sent", occurred_at=now))  # fmt: skip
    with transaction(engine) as session:
        ids = session.scalars(select(MessageEvent.id).order_by(MessageEvent.id)).all()
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_every_table_exists_after_upgrade(engine) -> None:
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
