"""Migrations go up and down on both backends, and the migrated schema equals the models."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from coaching.store import migrate
from coaching.store.engine import make_engine
from coaching.store.tables import Base


def test_upgrade_matches_models_and_downgrade_removes_everything(store_url: str) -> None:
    engine = make_engine(store_url)
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
