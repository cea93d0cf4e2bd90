"""Personal data sealed in the store on both backends: nothing in clear, phones still found,
keys rotated while writes go on, and migration 0013 sealing (and unsealing) a store in place."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url

from coaching.field_crypto import FieldKeyError, FieldKeys, is_token, token_key_id
from coaching.store import migrate
from coaching.store.engine import make_engine, transaction
from coaching.store.key_rotation import RotationReport, reseal, rewrite_page, rotate_keys
from coaching.store.tables import MessageEvent, Organization, OutboxMessage, User, Worker
from tests.store_keys import TEST_KEY, TEST_LOOKUP_SECRET

NEW_KEY = "the next field key of this installation, long enough"
NEW_LOOKUP = "the next lookup secret of this installation, long enough"
PHONE = "+254711222333"
BODY = "I could not finish the module, my child was sick"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _engine(url: str, *materials: str, lookup: str = TEST_LOOKUP_SECRET) -> Engine:
    return make_engine(url, field_keys=FieldKeys(list(materials or [TEST_KEY]), lookup))


@pytest.fixture
def url(private_store_url: str):
    engine = _engine(private_store_url)
    migrate.upgrade(engine)
    engine.dispose()
    yield private_store_url
    engine = _engine(private_store_url, NEW_KEY, TEST_KEY)
    migrate.downgrade(engine, "base")
    engine.dispose()


def _world(engine: Engine, workers: int = 1) -> str:
    """An organization with workers, a reply of the first, a pending send and a TOTP user."""
    with transaction(engine) as session:
        org = Organization(
            name="Clinic", slug="clinic", type="client", tier="basic", monthly_message_quota=500
        )
        session.add(org)
        session.flush()
        for i in range(workers):
            phone = PHONE if i == 0 else f"+2547000{i:05d}"
            session.add(Worker(id=f"w{i:04d}", organization_id=org.id, phone_e164=phone))
        session.flush()
        session.add(
            MessageEvent(organization_id=org.id, event_key="SMin:inbound", kind="inbound",
                         from_number=f"whatsapp:{PHONE}", to_number="whatsapp:+15550001",
                         worker_id="w0000", body=BODY, payload={"Body": BODY, "From": PHONE},
                         occurred_at=NOW)
        )  # fmt: skip
        session.add(
            OutboxMessage(organization_id=org.id, idempotency_key="k1", worker_id="w0000",
                          to_number=f"whatsapp:{PHONE}", body="Well done, Amina",
                          template_variables={"1": "Amina"}, field_values={"points": 3},
                          due_at=NOW)
        )  # fmt: skip
        session.add(
            User(organization_id=org.id, email="a@clinic.example", full_name="A", role="admin",
                 totp_secret="JBSWY3DPEHPK3PXP")
        )  # fmt: skip
        return org.id


RAW = {
    "workers": ["phone_e164"],
    "message_events": ["from_number", "to_number", "body", "payload"],
    "outbox": ["to_number", "body", "template_variables", "field_values"],
    "users": ["totp_secret"],
}


def _raw_values(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [
            value
            for table, columns in RAW.items()
            for row in connection.execute(text(f"select {', '.join(columns)} from {table}"))
            for value in row
            if value is not None
        ]


def test_personal_data_is_sealed_at_rest_and_reads_back_plain(url: str) -> None:
    engine = _engine(url)
    _world(engine)
    stored = _raw_values(engine)
    assert len(stored) == 10 and all(is_token(v) for v in stored)
    assert not any(secret in v for v in stored for secret in (PHONE, "254711222333", "sick"))
    if make_url(url).get_backend_name() == "sqlite":  # nor anywhere in the file's bytes
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        on_disk = b"".join(
            p.read_bytes() for p in Path(make_url(url).database).parent.glob("*.db*")
        )
        assert PHONE.encode() not in on_disk and b"sick" not in on_disk
    with transaction(engine) as session:
        event = session.scalars(select(MessageEvent)).one()
        assert (event.body, event.payload["From"]) == (BODY, PHONE)
        outbox = session.scalars(select(OutboxMessage)).one()
        assert outbox.template_variables == {"1": "Amina"} and outbox.field_values == {"points": 3}
        assert session.scalars(select(User)).one().totp_secret == "JBSWY3DPEHPK3PXP"
    engine.dispose()


def test_a_worker_is_found_by_phone_through_its_lookup_hash(url: str) -> None:
    engine = _engine(url)
    _world(engine, workers=3)
    with transaction(engine) as session:
        found = session.scalars(select(Worker).where(Worker.phone_lookup == PHONE)).one()
        assert found.id == "w0000" and found.phone_e164 == PHONE
        found.phone_e164 = "+254799999999"  # a changed phone moves its hash along
    with transaction(engine) as session:
        assert session.scalars(select(Worker).where(Worker.phone_lookup == PHONE)).first() is None
        moved = session.scalars(select(Worker).where(Worker.phone_lookup == "+254799999999"))
        assert moved.one().id == "w0000"
    with pytest.raises(TypeError, match="encrypted"):  # comparing tokens would match nothing
        select(Worker).where(Worker.phone_e164 == PHONE)
    engine.dispose()


def test_an_engine_without_keys_refuses_sealed_columns_instead_of_writing_them_plain(
    url: str,
) -> None:
    keyless = make_engine(url)
    with pytest.raises(Exception, match="without field keys"):
        _world(keyless)
    assert _raw_values(_engine(url)) == []
    keyless.dispose()


def test_rotation_reseals_everything_under_the_new_key_and_keeps_every_value(url: str) -> None:
    old = _engine(url)
    _world(old, workers=7)
    old.dispose()
    # Every process now holds the new key first and the old one to open what is stored.
    during = _engine(url, NEW_KEY, TEST_KEY, lookup=NEW_LOOKUP)
    report = rotate_keys(during, page=3)  # several pages per table
    assert report.resealed["workers.phone_e164"] == 7 and report.lookups == 7
    assert report.resealed["message_events.payload"] == 1 and report.skipped == 0
    new_id = during.dialect.coach_field_keys.current_id  # type: ignore[attr-defined]
    assert {token_key_id(v) for v in _raw_values(during)} == {new_id}
    assert rotate_keys(during).total == 0  # run again: nothing left to do
    during.dispose()

    after = _engine(url, NEW_KEY, lookup=NEW_LOOKUP)  # the old key dropped
    with transaction(after) as session:
        assert session.scalars(select(Worker).where(Worker.phone_lookup == PHONE)).one().id == (
            "w0000"
        )
        assert session.scalars(select(MessageEvent)).one().body == BODY
    after.dispose()
    with (
        pytest.raises(FieldKeyError, match="not among the configured"),
        transaction(_engine(url)) as session,
    ):
        session.scalars(select(Worker)).all()


def test_a_write_during_rotation_wins_over_the_value_rotation_read(url: str) -> None:
    engine = _engine(url)
    _world(engine)
    rotating = _engine(url, NEW_KEY, TEST_KEY)
    keys = rotating.dialect.coach_field_keys  # type: ignore[attr-defined]
    sealing = reseal(keys)

    def meanwhile(stored: str, where: str) -> str:
        """The API edits the worker's phone between the rotation's read and its swap."""
        with transaction(rotating) as session:
            session.get(Worker, "w0000").phone_e164 = "+254700000777"
        return sealing(stored, where)

    report = RotationReport()
    with rotating.begin() as connection:
        rewrite_page(connection, "workers", ("phone_e164",), meanwhile, report, keys=keys)
    assert report.skipped == 1 and report.resealed == {}
    with transaction(rotating) as session:
        assert session.get(Worker, "w0000").phone_e164 == "+254700000777"  # not overwritten
    assert rotate_keys(rotating).skipped == 0  # the next run finds nothing to do there
    engine.dispose()
    rotating.dispose()


def test_0013_seals_a_store_holding_plain_values_and_downgrading_opens_them(
    private_store_url: str,
) -> None:
    engine = _engine(private_store_url)
    migrate.upgrade(engine, "0012")
    stamp = "'2026-11-01 00:00:00+00:00', '2026-11-01 00:00:00+00:00'"
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into organizations (id, name, slug, type, tier, approval_status, timezone, "
                "monthly_message_quota, sms_fallback_enabled, experiment_defaults, created_at, updated_at) "
                "values "
                f"('o1', 'O', 'o', 'client', 'basic', 'approved', 'UTC', 10, false, '{{}}', {stamp})"
            )
        )
        connection.execute(
            text(
                "insert into workers (id, organization_id, phone_e164, language, timezone, "
                f"attributes, created_at, updated_at) values "
                f"('w1', 'o1', '{PHONE}', 'en', 'UTC', '{{}}', {stamp})"
            )
        )
        connection.execute(
            text(
                "insert into message_events (organization_id, event_key, kind, channel, "
                "from_number, body, payload, occurred_at, received_at) values ('o1', 'SM1:in', "
                f"'inbound', 'whatsapp', '{PHONE}', '{BODY}', '{{\"Body\": \"{BODY}\"}}', "
                "'2026-11-01 00:00:00+00:00', '2026-11-01 00:00:00+00:00')"
            )
        )
    migrate.upgrade(engine)
    stored = _raw_values(engine)
    assert len(stored) == 4 and all(is_token(v) for v in stored)
    with transaction(engine) as session:
        worker = session.scalars(select(Worker).where(Worker.phone_lookup == PHONE)).one()
        assert worker.id == "w1"
        assert session.scalars(select(MessageEvent)).one().payload == {"Body": BODY}
    migrate.downgrade(engine, "0012")
    with engine.connect() as connection:
        assert connection.execute(text("select phone_e164 from workers")).scalar_one() == PHONE
        body, payload = connection.execute(text("select body, payload from message_events")).one()
        assert body == BODY and "sick" in str(payload)
    migrate.downgrade(engine, "base")
    engine.dispose()
