"""Connecting to the operational store, with the same behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from coaching.errors import StoreUnavailableError
from coaching.field_crypto import FieldKeys
from coaching.home_secrets import home_secret

if TYPE_CHECKING:
    from coaching.settings import Settings

# Where an installation with no configured field keys keeps the ones it drew (COACH_HOME).
FIELD_KEY_FILE = "field_encryption_key"
FIELD_LOOKUP_FILE = "field_lookup_secret"


def redacted(url: str) -> str:
    """The URL with its password hidden, safe to print in an error."""
    return make_url(url).render_as_string(hide_password=True)


def field_keys(settings: Settings) -> FieldKeys:
    """The configured field keys (COACH_FIELD_ENCRYPTION_KEYS, COACH_FIELD_LOOKUP_SECRET), else
    the ones this installation keeps in COACH_HOME, drawn on first use."""
    materials = settings.field_encryption_keys or [home_secret(settings.home, FIELD_KEY_FILE)]
    lookup = settings.field_lookup_secret or home_secret(settings.home, FIELD_LOOKUP_FILE)
    return FieldKeys(materials, lookup)


def store_engine(settings: Settings, *, pool_size: int = 5) -> Engine:
    """The store of these settings, with their field keys: how every process opens it."""
    return make_engine(
        settings.database_url or "", field_keys=field_keys(settings), pool_size=pool_size
    )


def make_engine(
    url: str, *, field_keys: FieldKeys | None = None, echo: bool = False, pool_size: int = 5
) -> Engine:
    """An engine for the store; SQLite gets foreign keys, WAL and a busy timeout.

    WAL lets the API keep answering reads while ingestion scans the same file; the busy timeout
    turns a momentary writer collision into a short wait instead of an error. The field keys ride
    on the engine's dialect, where the encrypted column types find them: each engine seals with
    the keys of the installation it was opened for, and one without keys refuses encrypted
    columns with a clear error instead of writing them in clear.
    """
    engine = _engine(url, echo=echo, pool_size=pool_size)
    engine.dialect.coach_field_keys = field_keys  # type: ignore[attr-defined]
    return engine


def _engine(url: str, *, echo: bool, pool_size: int) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Random UUID keys touch index pages all over the file; a 256 MiB page cache keeps a
            # million-row load from thrashing (SQLite's default is 2 MiB). Pages are shared and
            # only allocated as used.
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.close()

        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"connect_timeout": 10},
    )


def check_connection(engine: Engine) -> None:
    """Fail with one clear line when the store cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except SQLAlchemyError as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
        where = engine.url.render_as_string(hide_password=True)
        raise StoreUnavailableError(
            f"cannot connect to the operational store at {where}: {reason}. "
            "Check COACH_DATABASE_URL."
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back everything on any error."""
    with session_factory(engine)() as session, session.begin():
        yield session
