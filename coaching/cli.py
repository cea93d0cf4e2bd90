"""The `coach` command line. Errors a person can fix print as one line and exit with status 2."""

from __future__ import annotations

import sys
from datetime import date
from importlib.metadata import entry_points
from typing import Annotated

import typer

from coaching.errors import CoachError

app = typer.Typer(
    help="ABCD coaching lakehouse: simulate, ingest, model and activate coaching over WhatsApp.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Operational store schema (Alembic migrations).", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _echo(message: str) -> None:
    typer.echo(f"  {message}")


@app.command()
def simulate(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same world.")] = 7,
    workers: Annotated[int, typer.Option(help="Workers across all client organizations.")] = 2_000,
    days: Annotated[int, typer.Option(help="Days of behaviour to play out.")] = 30,
    end_date: Annotated[
        str | None,
        typer.Option(help="Last simulated day is the day before this (YYYY-MM-DD); default today."),
    ] = None,
    client_organizations: Annotated[int, typer.Option(help="Client organizations.")] = 4,
    expert_organizations: Annotated[int, typer.Option(help="Expert organizations.")] = 2,
    live_days: Annotated[
        int, typer.Option(help="Final days written to the store as webhook events.")
    ] = 1,
    dirty_share: Annotated[
        float, typer.Option(help="Share of rows corrupted on purpose (labelled).")
    ] = 0.01,
    reset: Annotated[
        bool, typer.Option(help="Replace an existing simulated world (empties the store).")
    ] = False,
) -> None:
    """Simulate a world: organizations, workers, programs, experiments with planted effects, and
    the message traffic they produce, into the operational store and the landing folder."""
    from coaching.settings import get_settings
    from coaching.simulator.config import SimulationConfig
    from coaching.simulator.run import simulate as run_simulation
    from coaching.simulator.summary import describe

    try:
        parsed_end = date.fromisoformat(end_date) if end_date else None
    except ValueError:
        raise CoachError(f"--end-date {end_date!r} is not a date; use YYYY-MM-DD") from None
    config = SimulationConfig(
        seed=seed, workers=workers, days=days, client_organizations=client_organizations,
        expert_organizations=expert_organizations, live_days=live_days, dirty_share=dirty_share,
        **({"end_date": parsed_end} if parsed_end else {}),
    )  # fmt: skip
    settings = get_settings()
    typer.echo(f"Simulating {workers} workers over {days} days (seed {seed})")
    manifest = run_simulation(settings, config, reset=reset, progress=_echo)
    typer.echo(describe(manifest))


@app.command("simulate-more")
def simulate_more(
    days: Annotated[int, typer.Option(help="More days of behaviour to play out.")] = 1,
) -> None:
    """Continue the simulated world in COACH_HOME by more days (deterministically): their events
    reach the store as webhook events, their opt-outs and finished journeys as updates."""
    from coaching.settings import get_settings
    from coaching.simulator.continuation import continue_world
    from coaching.simulator.summary import describe

    manifest = continue_world(get_settings(), days, progress=_echo)
    typer.echo(f"The world now ends on {manifest['end_date']}")
    typer.echo(describe(manifest))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the operational store up to a revision (default: the latest)."""
    from coaching.store import migrate

    engine = _engine()
    migrate.upgrade(engine, revision)
    typer.echo(f"store at revision {migrate.current_revision(engine)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "base",
) -> None:
    """Migrate the operational store down to a revision (`base` drops every table)."""
    from coaching.store import migrate

    engine = _engine()
    migrate.downgrade(engine, revision)
    typer.echo(f"store at revision {migrate.current_revision(engine) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Show the store's schema revision and the latest one available."""
    from coaching.store import migrate

    engine = _engine()
    typer.echo(
        f"current: {migrate.current_revision(engine) or 'base'}  head: {migrate.head_revision()}"
    )


@db_app.command("rotate-keys")
def db_rotate_keys() -> None:
    """Reseal every encrypted value under the first of COACH_FIELD_ENCRYPTION_KEYS and recompute
    the phone lookups, page by page while the platform keeps running; safe to run again.

    Rotation: put the new key first (keep the old ones) everywhere the platform runs, run this,
    then drop the old keys."""
    from coaching.store import migrate
    from coaching.store.key_rotation import rotate_keys
    from coaching.store.types import field_keys_of

    engine = _engine()
    if not migrate.is_current(engine):
        raise CoachError("the store's schema is not current: run `coach db upgrade` first")
    report = rotate_keys(engine)
    for column, count in sorted(report.resealed.items()):
        _echo(f"{column}: {count} resealed")
    _echo(f"{report.lookups} phone lookups recomputed")
    current = field_keys_of(engine.dialect).current_id
    if report.skipped:  # written meanwhile: by a process holding the new keys, or not yet
        typer.echo(f"{report.skipped} rows changed while resealing: run it again to check them")
    else:
        typer.echo(f"every sealed value is now under key {current}")


@app.command()
def orgs() -> None:
    """List the organizations: slug (what `coach api-key` takes), name, type, tier, approval,
    active workers and users, and who can sign in to the console."""
    from sqlalchemy import func, select

    from coaching.store import migrate
    from coaching.store.tables import Organization, User, Worker

    engine = _engine()
    if migrate.current_revision(engine) is None:
        engine.dispose()
        typer.echo("no organizations yet: the store is empty (`coach simulate` makes a world)")
        return
    with engine.connect() as connection:
        workers = dict(
            connection.execute(
                select(Worker.organization_id, func.count())
                .where(Worker.deleted_at.is_(None))
                .group_by(Worker.organization_id)
            ).all()
        )
        users: dict[str, list[tuple[str, str, bool]]] = {}
        for organization_id, email, role, has_password in connection.execute(
            select(User.organization_id, User.email, User.role, User.password_hash.is_not(None))
            .where(User.deleted_at.is_(None), User.is_active)
            .order_by(User.email)
        ):
            users.setdefault(organization_id, []).append((email, role, has_password))
        organizations = connection.execute(
            select(Organization)
            .where(Organization.deleted_at.is_(None))
            .order_by(Organization.slug)
        ).all()
    engine.dispose()
    if not organizations:
        typer.echo(
            "no organizations yet: `coach simulate` makes a world, or POST /organizations/register"
        )
        return
    width = max(len(o.slug) for o in organizations)
    typer.echo(f"{'slug':<{width}}  {'type':<7} {'tier':<9} {'approval':<9} {'workers':>8}  name")
    for o in organizations:
        typer.echo(
            f"{o.slug:<{width}}  {o.type:<7} {o.tier:<9} {o.approval_status:<9} "
            f"{workers.get(o.id, 0):>8,}  {o.name}"
        )
        for email, role, has_password in users.get(o.id, []):
            sign_in = "can sign in" if has_password else "no password: coach set-password"
            typer.echo(f"{'':<{width}}    {role:<19} {email} ({sign_in})")


@app.command()
def settings() -> None:
    """Print the effective settings (secrets hidden)."""
    from coaching.settings import get_settings
    from coaching.store.engine import redacted

    for name, value in get_settings().model_dump().items():
        shown = value
        if value and any(word in name for word in ("token", "password", "secret")):
            shown = "***"
        elif value and name.endswith("_url") and "://" in str(value) and "@" in str(value):
            shown = redacted(str(value))
        typer.echo(f"{name} = {shown}")


def _engine():  # type: ignore[no-untyped-def]
    from coaching.settings import get_settings
    from coaching.store.engine import check_connection, store_engine

    engine = store_engine(get_settings())
    check_connection(engine)
    return engine


def _register_plugins() -> None:
    """Commands other packages contribute (entry point group `coach.commands`)."""
    for entry_point in entry_points(group="coach.commands"):
        app.command(name=entry_point.name)(entry_point.load())


def main() -> None:
    try:
        _register_plugins()
        app()
    except CoachError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
