"""`coach` commands contributed by orchestration (registered through the `coach.commands` entry
point group, so the kernel's CLI never imports orchestration). Heavy imports stay inside the
commands to keep `coach --help` fast."""

from __future__ import annotations

from typing import Annotated

import typer


def _echo(message: str) -> None:
    typer.echo(f"  {message}")


def ingest(
    full_refresh: Annotated[
        bool,
        typer.Option(
            help="Rebuild every bronze partition, not only those whose raw files changed."
        ),
    ] = False,
) -> None:
    """Ingest the store and the landing folder into the lake (the same assets Dagster runs)."""
    from coaching.settings import get_settings
    from orchestration.runs import dagster_instance, describe_ingest
    from orchestration.runs import ingest as run_ingest

    settings = get_settings()
    summary = run_ingest(
        settings, dagster_instance(settings), progress=_echo, full_refresh=full_refresh
    )
    typer.echo(describe_ingest(summary))


def build(
    as_of: Annotated[
        str, typer.Option(help="Build the marts as of this day (YYYY-MM-DD); empty: today.")
    ] = "",
) -> None:
    """`dbt build` and publish the marts (the Dagster dbt assets, in-process), on COACH_HOME."""
    from coaching.settings import get_settings
    from orchestration.runs import dagster_instance, transform

    settings = get_settings()
    summary = transform(settings, dagster_instance(settings), as_of=as_of, progress=_echo)
    typer.echo("Published: " + ", ".join(f"{m} {n}" for m, n in summary.published.items()))
    if summary.failed_checks:
        typer.echo(f"failed checks: {', '.join(summary.failed_checks)}")
        raise typer.Exit(1)


def retention() -> None:
    """Purge message bodies and inbound media past each organization's retention (the Dagster
    `retention_job`, in-process): store, landing, raw, bronze and quarantine; the warehouse is
    dropped and made again by the next `coach build`."""
    from coaching.settings import get_settings
    from orchestration.runs import dagster_instance
    from orchestration.runs import retention as run_retention

    settings = get_settings()
    summary = run_retention(settings, dagster_instance(settings))
    for name, value in summary.items():
        typer.echo(f"  {name}: {value}")


def spark_build(
    as_of: Annotated[
        str, typer.Option(help="Build the marts as of this day (YYYY-MM-DD); empty: today.")
    ] = "",
) -> None:
    """`dbt build` on Apache Spark (a local PySpark session) over COACH_HOME's lake, into
    COACH_HOME/spark: the same models, tests and Python models as the DuckDB build, every time a
    full build; each mart is a folder of Parquet files."""
    from coaching.settings import get_settings
    from orchestration.spark_build import build_on_spark

    settings = get_settings()
    built = build_on_spark(
        settings.lake_dir, settings.home / "spark", as_of=as_of, limits=settings.duckdb_limits
    )
    for mart, folder in sorted(built.marts.items()):
        typer.echo(f"  {mart}: {folder}")
    typer.echo(f"dbt's log: {built.log}")


def dbt_parse() -> None:
    """Prepare the dbt manifest the Dagster definitions load (`dbt parse`, when the project
    changed); `make` runs it before starting Dagster."""
    from orchestration.lib.warehouse import prepare_manifest

    typer.echo(prepare_manifest())
