"""Every sender number, WhatsApp or SMS, belongs to one organization: the store holds it, for the
ORM and raw SQL alike, and under concurrent claims."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from coaching.store import migrate
from coaching.store.engine import make_engine, transaction
from coaching.store.tables import Organization, SenderNumber
from tests.store_keys import TEST_FIELD_KEYS


@pytest.fixture
def engine(private_store_url: str) -> Iterator[Engine]:
    engine = make_engine(private_store_url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    yield engine
    migrate.downgrade(engine, "base")
    engine.dispose()


def _organization(engine: Engine, slug: str, **senders: str | None) -> str:
    with transaction(engine) as session:
        org = Organization(
            name=slug, slug=slug, type="client", tier="basic", monthly_message_quota=10, **senders
        )
        session.add(org)
        session.flush()
        return org.id


def _organization_before_the_models(engine: Engine, slug: str, **senders: str) -> None:
    """An organization as a store at an old revision holds it: only the columns it had then
    (the models describe the newest revision)."""
    from sqlalchemy import text

    columns = ", ".join(senders)
    values = ", ".join(f":{name}" for name in senders)
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into organizations (id, name, slug, type, tier, approval_status, timezone, "
                f"monthly_message_quota, sms_fallback_enabled, created_at, updated_at, {columns}) "
                "values (:slug, :slug, :slug, 'client', 'basic', 'approved', 'UTC', 10, false, "
                f"'2026-11-01 00:00:00+00:00', '2026-11-01 00:00:00+00:00', {values})"
            ),
            {"slug": slug, **senders},
        )


def _owners(engine: Engine) -> dict[str, str]:
    with transaction(engine) as session:
        return dict(
            session.execute(select(SenderNumber.number, SenderNumber.organization_id)).all()
        )


def test_a_number_of_one_organization_is_refused_in_either_column_of_another(
    engine: Engine,
) -> None:
    a = _organization(engine, "a", whatsapp_sender="+15550000001", sms_sender="+15550000001")
    b = _organization(engine, "b", whatsapp_sender="+15550000002")
    assert _owners(engine) == {"+15550000001": a, "+15550000002": b}
    for column in ("sms_sender", "whatsapp_sender"):
        with pytest.raises(IntegrityError), transaction(engine) as session:
            session.execute(
                update(Organization).where(Organization.id == b).values({column: "+15550000001"})
            )
    with pytest.raises(IntegrityError), engine.begin() as connection:  # raw SQL cannot bypass it
        connection.execute(
            text("UPDATE organizations SET sms_sender = '+15550000001' WHERE id = :id"), {"id": b}
        )
    with pytest.raises(IntegrityError):
        _organization(engine, "c", sms_sender="+15550000002")
    assert _owners(engine) == {"+15550000001": a, "+15550000002": b}, "a refused write changed it"


def test_a_number_given_up_is_free_for_another_organization(engine: Engine) -> None:
    a = _organization(engine, "a", whatsapp_sender="+15550000001", sms_sender="+15550000009")
    b = _organization(engine, "b")
    with transaction(engine) as session:
        session.execute(update(Organization).where(Organization.id == a).values(sms_sender=None))
    with transaction(engine) as session:
        session.execute(
            update(Organization).where(Organization.id == b).values(sms_sender="+15550000009")
        )
    assert _owners(engine) == {"+15550000001": a, "+15550000009": b}
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM organizations WHERE id = :id"), {"id": b})
    assert _owners(engine) == {"+15550000001": a}


def test_concurrent_claims_of_one_number_leave_exactly_one_owner(engine: Engine) -> None:
    organizations = [_organization(engine, f"org-{i}") for i in range(4)]
    for round_ in range(5):
        number = f"+1555111{round_:04d}"
        start = threading.Barrier(len(organizations))
        won: list[str] = []
        refused: list[str] = []

        def claim(
            org_id: str, column: str, number: str = number, start=start, won=won, refused=refused
        ) -> None:
            start.wait()
            try:
                with transaction(engine) as session:
                    session.execute(
                        update(Organization)
                        .where(Organization.id == org_id)
                        .values({column: number})
                    )
                won.append(org_id)
            except (IntegrityError, OperationalError):
                refused.append(org_id)

        threads = [
            threading.Thread(target=claim, args=(org, ("sms_sender", "whatsapp_sender")[i % 2]))
            for i, org in enumerate(organizations)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(won) == 1 and len(refused) == len(organizations) - 1
        assert _owners(engine)[number] == won[0]
        with transaction(engine) as session:
            holders = session.scalars(
                select(Organization.id).where(
                    (Organization.sms_sender == number) | (Organization.whatsapp_sender == number)
                )
            ).all()
        assert holders == won
        with transaction(engine) as session:  # free it again for the next round
            session.execute(
                update(Organization)
                .where(Organization.id == won[0])
                .values(sms_sender=None, whatsapp_sender=None)
            )


def test_the_migration_stops_on_numbers_two_organizations_already_share(
    private_store_url: str,
) -> None:
    engine = make_engine(private_store_url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine, "0002")
    try:
        _organization_before_the_models(engine, "a", whatsapp_sender="+15550000001")
        _organization_before_the_models(engine, "b", sms_sender="+15550000001")
        with pytest.raises(Exception, match=r"\+15550000001 \(2 organizations\)"):
            migrate.upgrade(engine)
        assert migrate.current_revision(engine) == "0002", "a refused upgrade changed nothing"
    finally:
        migrate.downgrade(engine, "base")
        engine.dispose()
