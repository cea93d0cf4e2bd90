"""Store extraction in chunks: the watermark, the change log, nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from coaching.lake import Lake
from coaching.store import migrate
from coaching.store.engine import make_engine, transaction
from coaching.store.tables import Organization, Worker
from data_contracts.tables import WORKERS
from orchestration.lib import store_extract
from tests.store_keys import TEST_FIELD_KEYS


@pytest.fixture
def store(tmp_path: Path, private_store_url: str):
    engine = make_engine(private_store_url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    yield engine, Lake(tmp_path / "lake")
    migrate.downgrade(engine, "base")
    engine.dispose()


def test_many_chunks_land_once_and_changes_append(store, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, lake = store
    monkeypatch.setattr(store_extract, "CHUNK", 7)  # force many chunks through one connection
    with transaction(engine) as session:
        org = Organization(
            name="Acme", slug="acme", type="client", tier="basic", monthly_message_quota=1
        )
        session.add(org)
        session.flush()
        session.add_all(
            Worker(organization_id=org.id, phone_e164=f"+1555555{i:04d}") for i in range(40)
        )
        session.add(Worker(organization_id=org.id, phone_e164="not-a-phone"))
    first = store_extract.extract_operational(engine, lake, WORKERS)
    assert (first.rows_in, first.rows_landed, first.rows_quarantined) == (41, 40, 1)
    again = store_extract.extract_operational(engine, lake, WORKERS)
    assert again.rows_landed == 0 and again.rows_quarantined == 0

    later = datetime.now(UTC) + timedelta(seconds=1)
    with engine.begin() as connection:
        connection.execute(
            update(Worker.__table__)
            .where(Worker.__table__.c.phone_lookup == "+15555550003")
            .values(team="north", updated_at=later)
        )
    changed = store_extract.extract_operational(engine, lake, WORKERS)
    assert changed.rows_landed == 1
    assert store_extract.watermark(lake, "workers") == later.replace(microsecond=later.microsecond)
