"""Raw store columns read a column at a time give what the ORM's own reading gives."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import select, text

from coaching.store import migrate
from coaching.store.engine import make_engine, transaction
from coaching.store.tables import Base, Organization, Worker
from data_contracts.tables import WORKERS
from orchestration.lib.store_columns import as_arrow, decoders, raw
from tests.store_keys import TEST_FIELD_KEYS


@pytest.fixture
def engine(private_store_url: str):
    engine = make_engine(private_store_url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    yield engine
    migrate.downgrade(engine, "base")
    engine.dispose()


def _both_ways(engine, columns) -> tuple[list[tuple], dict[str, list]]:
    """Each column as the ORM reads it, and as raw values decoded column by column."""
    with engine.connect() as connection:
        processed = connection.execute(select(*columns).order_by(columns[0])).all()
        rows = connection.execute(select(*raw(columns)).order_by(columns[0])).all()
    decode = decoders(columns, engine.dialect)
    contract = {c.name: c for c in WORKERS.columns}
    decoded = {}
    for at, column in enumerate(columns):
        values = decode[column.key]([row[at] for row in rows])
        if contract[column.key].is_json:  # documents, which the extract then writes as text
            decoded[column.key] = values
        else:
            decoded[column.key] = as_arrow(values, contract[column.key].arrow_type).to_pylist()
    return processed, decoded


def test_decoded_columns_equal_the_orm_reading(engine) -> None:
    with transaction(engine) as session:
        org = Organization(
            name="Acme", slug="acme", type="client", tier="basic", monthly_message_quota=1
        )
        session.add(org)
        session.flush()
        session.add_all(
            [
                Worker(
                    organization_id=org.id,
                    phone_e164="+15555550001",
                    hire_date=date(2024, 2, 29),
                    whatsapp_opt_in_at=datetime(2026, 11, 1, 23, 59, 59, 123456, UTC),
                    attributes={"b": 1, "a": [True, None]},
                ),
                Worker(organization_id=org.id, phone_e164="+15555550002"),
            ]
        )
    table = Base.metadata.tables["workers"]
    names = ("id", "phone_e164", "hire_date", "whatsapp_opt_in_at", "created_at", "attributes")
    processed, decoded = _both_ways(engine, [table.c[name] for name in names])
    for at, name in enumerate(names):
        assert decoded[name] == [row[at] for row in processed], name
    assert sorted(decoded["phone_e164"]) == ["+15555550001", "+15555550002"]
    assert all(moment.tzinfo is not None for moment in decoded["created_at"])


def test_text_arrow_cannot_parse_is_read_one_by_one(tmp_path: Path) -> None:
    """A timestamp written around the ORM with an offset still reads as the ORM reads it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}", field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    with transaction(engine) as session:
        org = Organization(
            name="Acme", slug="acme", type="client", tier="basic", monthly_message_quota=1
        )
        session.add(org)
        session.flush()
        session.add(Worker(organization_id=org.id, phone_e164="+15555550001"))
    with engine.begin() as connection:
        connection.execute(text("update workers set whatsapp_opt_in_at = '2026-11-01 10:00:00'"))
        stored = connection.execute(select(Worker.__table__.c.whatsapp_opt_in_at)).scalar_one()
    column = Worker.__table__.c.whatsapp_opt_in_at
    decode = decoders([column], engine.dialect)[column.key]
    for raw_value in ("2026-11-01 10:00:00", "2026-11-01 10:00:00+00:00"):
        decoded = as_arrow(decode([raw_value, None]), pa.timestamp("us", "UTC")).to_pylist()
        assert decoded == [stored, None]
    engine.dispose()
