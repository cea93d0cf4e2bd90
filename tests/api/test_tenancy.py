"""The isolation mechanism itself: the session filter, the write guard, and PostgreSQL's RLS."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from api.tenancy import CrossTenantWrite, tenant_session
from coaching.store.engine import store_engine
from coaching.store.tables import Worker
from tests.api.conftest import Api
from tests.api.factories import create_body


def _workers(api: Api, org_headers: dict[str, str], n: int) -> None:
    for _ in range(n):
        assert (
            api.client.post(
                "/workers", json=create_body("workers", {}), headers=org_headers
            ).status_code
            == 201
        )


def test_session_filter_and_write_guard(api: Api) -> None:
    a, b = api.organization(), api.organization()
    _workers(api, a.admin, 2)
    _workers(api, b.admin, 3)
    engine = store_engine(api.settings)
    with tenant_session(engine, a.id, "test") as session:
        assert session.scalar(select(func.count()).select_from(Worker)) == 2
        session.add(Worker(organization_id=b.id, phone_e164="+254711111111"))
        with pytest.raises(CrossTenantWrite):
            session.flush()
        session.rollback()
        mine = session.scalars(select(Worker)).first()
        mine.organization_id = b.id
        with pytest.raises(CrossTenantWrite):
            session.flush()
    engine.dispose()


def test_row_level_security_holds_when_a_query_forgets_its_filter(api: Api) -> None:
    if not api.settings.database_url.startswith("postgresql"):
        pytest.skip("row-level security is PostgreSQL's")
    a, b = api.organization(), api.organization()
    _workers(api, a.admin, 2)
    _workers(api, b.admin, 3)
    engine = store_engine(api.settings)
    with tenant_session(engine, a.id, "test") as session:
        # Raw SQL bypasses the ORM's filter; the database still shows only organization a.
        orgs = session.execute(text("select distinct organization_id from workers")).scalars().all()
        assert orgs == [a.id]
        hidden = session.execute(
            text("update workers set team = 'x' where organization_id = :b"), {"b": b.id}
        )
        assert hidden.rowcount == 0
        with pytest.raises(Exception, match="row-level security"):
            session.execute(
                text(
                    "insert into workers (id, organization_id, phone_e164, language, timezone, attributes, "
                    "created_at, updated_at) values ('x', :b, '+254722222222', 'en', 'UTC', '{}', now(), now())"
                ),
                {"b": b.id},
            )
    engine.dispose()
