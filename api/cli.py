"""`coach api` and the operator commands that hand out credentials for it (registered through the
`coach.commands` entry point group)."""

from __future__ import annotations

from typing import Annotated

import typer

from coaching.domain import Role


def api(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the admin API (reference at /v1/docs) and the console (/console/) on the store and
    lake of COACH_HOME."""
    import uvicorn

    from coaching.settings import get_settings
    from coaching.store import migrate
    from coaching.store.engine import check_connection, store_engine

    settings = get_settings()
    engine = store_engine(settings)
    check_connection(engine)
    migrate.upgrade(engine)  # the API needs the current schema; upgrading is idempotent
    engine.dispose()
    typer.echo(
        f"admin API on http://{host}:{port}/v1/docs, console on http://{host}:{port}/console/ (store {settings.home})"
    )
    uvicorn.run(
        "api.asgi:app", host=host, port=port, workers=workers, log_level="info", access_log=False
    )


def api_key(
    organization: Annotated[str, typer.Argument(help="The organization's slug.")],
    role: Annotated[Role, typer.Option(help="The key's role.")] = Role.ADMIN,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "operator",
) -> None:
    """Create an API key for an organization and print it (shown once)."""
    from sqlalchemy import select

    from api.security import new_api_key
    from api.tenancy import platform_session, tenant_session
    from coaching.errors import InputError
    from coaching.settings import get_settings
    from coaching.store.engine import store_engine
    from coaching.store.tables import ApiKey, Organization

    engine = store_engine(get_settings())
    with platform_session(engine) as session:
        found = session.scalar(select(Organization).where(Organization.slug == organization))
        if found is None:
            raise InputError(f"no organization with slug {organization!r}")
    secret = new_api_key()
    with tenant_session(engine, found.id, "operator") as session:
        session.add(ApiKey(name=name, role=role, prefix=secret.prefix, key_hash=secret.key_hash))
        session.commit()
    engine.dispose()
    typer.echo(secret.key)


def set_password(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Set a user's password (simulated users have none until an operator sets one)."""
    from sqlalchemy import select

    from api.security import hash_password
    from api.tenancy import platform_session, tenant_session
    from coaching.errors import InputError
    from coaching.settings import get_settings
    from coaching.store.engine import store_engine
    from coaching.store.tables import User

    if len(password) < 12:
        raise InputError("a password has at least 12 characters")
    engine = store_engine(get_settings())
    with platform_session(engine) as session:
        user = session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            raise InputError(f"no user with email {email!r}")
    with tenant_session(engine, user.organization_id, "operator") as session:
        session.get(User, user.id).password_hash = hash_password(password)
        session.commit()
    engine.dispose()
    typer.echo(f"password set for {email}")
