"""Migrations go up and down on both backends, and the migrated schema equals the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from coaching.store import migrate
from coaching.store.engine import make_engine
from coaching.store.tables import Base
from tests.store_keys import TEST_FIELD_KEYS


def test_upgrade_matches_models_and_downgrade_removes_everything(private_store_url: str) -> None:
    engine = make_engine(private_store_url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())

    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(engine)  # and back up again: downgrade left nothing behind
    assert migrate.is_current(engine)
    migrate.downgrade(engine, "base")
    engine.dispose()


def test_0004_and_0005_upgrade_a_store_with_rows_others_point_at(private_store_url: str) -> None:
    """A store already holding programs and touchpoints takes the program settings and the
    journey rules in place (SQLite cannot recreate a table foreign keys point at), with the
    defaults for old rows: a touchpoint stored before rules is a main-flow touchpoint."""
    from sqlalchemy import text

    engine = make_engine(private_store_url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine, "0003")
    with engine.begin() as connection:
        audit = "'2026-11-01 00:00:00+00:00', '2026-11-01 00:00:00+00:00'"
        connection.execute(
            text(
                "insert into organizations (id, name, slug, type, tier, approval_status, timezone, "
                f"monthly_message_quota, sms_fallback_enabled, created_at, updated_at) values "
                f"('o1', 'O', 'o', 'client', 'basic', 'approved', 'UTC', 10, false, {audit})"
            )
        )
        connection.execute(
            text(
                "insert into journeys (id, organization_id, name, status, languages, "
                f"is_marketplace_listed, created_at, updated_at) values "
                f"('j1', 'o1', 'J', 'draft', '[]', false, {audit})"
            )
        )
        connection.execute(
            text(
                "insert into programs (id, organization_id, name, journey_id, status, starts_on, "
                f"holdout_share, channel, created_at, updated_at) values "
                f"('p1', 'o1', 'P', 'j1', 'active', '2026-11-01', 0, 'whatsapp', {audit})"
            )
        )
        connection.execute(
            text(
                "insert into journey_phases (id, organization_id, journey_id, position, name, "
                f"created_at, updated_at) values ('f1', 'o1', 'j1', 0, 'F', {audit})"
            )
        )
        connection.execute(
            text(
                "insert into content (id, organization_id, key, kind, created_at, updated_at) "
                f"values ('c1', 'o1', 'k', 'text', {audit})"
            )
        )
        connection.execute(
            text(
                "insert into touchpoints (id, organization_id, journey_id, phase_id, position, "
                "name, kind, day_offset, local_send_time, content_id, created_at, updated_at) "
                f"values ('t1', 'o1', 'j1', 'f1', 0, 'T', 'message', 0, '09:00:00', 'c1', {audit})"
            )
        )
    migrate.upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(
            text("select on_segment_exit, max_sync_change_share from programs")
        ).one()
    assert tuple(row) == ("keep", 0.25)
    with engine.connect() as connection:
        touchpoint = connection.execute(
            text("select branch, next_position, rules from touchpoints")
        ).one()
    assert (bool(touchpoint[0]), touchpoint[1]) == (False, None)
    assert touchpoint[2] in ([], "[]")
    migrate.downgrade(engine, "base")
    engine.dispose()
