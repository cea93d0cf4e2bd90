"""`coach` commands contributed by orchestration (registered through the `coach.commands` entry
point group, so the kernel's CLI never imports orchestration). Heavy imports stay inside the
commands to keep `coach --help` fast."""

from __future__ import annotations

import shutil
from typing import Annotated, Any

import typer


def _echo(message: str) -> None:
    typer.echo(f"  {message}")


def ingest() -> None:
    """Ingest the store and the landing folder into the lake (the same assets Dagster runs)."""
    from coaching.settings import get_settings
    from orchestration.pipeline import dagster_instance, describe
    from orchestration.pipeline import ingest as run_ingest

    settings = get_settings()
    summary = run_ingest(settings, dagster_instance(settings), progress=_echo)
    typer.echo(describe(summary))


def _summary(settings: Any, manifest: dict, loop: Any) -> str:
    """The demo's last word: the world, the messages, the experiments."""
    import duckdb

    gold = settings.lake_dir / "gold"
    with duckdb.connect() as con:
        segments = con.execute(
            f"select count(*), count(*) filter (where is_evaluated) from '{gold}/segments.parquet'"
        ).fetchall()[0]
        decisions = con.execute(
            f"select decision, count(distinct experiment_id) from '{gold}/experiment_results.parquet' "
            "where metric = 'reply_rate_24h' and dimension = 'all' group by all order by all"
        ).fetchall()
    orgs = manifest["organizations"]
    statuses = loop.statuses
    delivered = statuses.get("delivered", 0) + statuses.get("read", 0)
    failed = statuses.get("failed", 0) + statuses.get("undelivered", 0)
    return "\n".join(
        [
            "\nSummary",
            f"  organizations  {len(orgs)} ({sum(o['type'] == 'client' for o in orgs)} client, "
            f"{sum(o['type'] == 'expert' for o in orgs)} expert)",
            f"  workers        {manifest['counts']['workers']}, enrollments "
            f"{manifest['counts']['enrollments']}",
            f"  segments       {segments[0]} ({segments[1]} evaluated)",
            f"  activation     {loop.sent_rows} sent, {delivered} delivered ({statuses.get('read', 0)} "
            f"read), {failed} failed, {loop.activation.get('held', 0)} held over quota, "
            f"{loop.replies} replies; {loop.double_sent} double-sent",
            "  experiments    " + ", ".join(f"{d} {n}" for d, n in decisions),
        ]
    )


def demo(
    workers: Annotated[int, typer.Option(help="Workers in the demo world.")] = 3_000,
    days: Annotated[int, typer.Option(help="Days of simulated history.")] = 30,
) -> None:
    """The end-to-end demo on the embedded default (SQLite, local Parquet, DuckDB).

    Replaces the world under COACH_HOME: simulates organizations, workers, programs and
    experiments with planted effects, then ingests the store and the landing folder into the lake
    through the Dagster assets and reports what landed and what was quarantined.
    """
    from coaching.settings import get_settings
    from coaching.simulator.config import SimulationConfig
    from coaching.simulator.run import simulate
    from coaching.simulator.summary import describe as describe_world
    from orchestration.local_loop import describe_loop, describe_seen, run_loop
    from orchestration.pipeline import (
        dagster_instance,
        describe,
        describe_experiments,
        describe_marts,
    )
    from orchestration.pipeline import ingest as run_ingest
    from orchestration.pipeline import transform as run_transform

    settings = get_settings()
    typer.echo(f"ABCD coaching demo in {settings.home}")
    typer.echo(f"[1/5] simulate a world: {workers} workers, {days} days")
    manifest = simulate(
        settings, SimulationConfig(workers=workers, days=days), reset=True, progress=_echo
    )
    typer.echo(describe_world(manifest))
    typer.echo("[2/5] ingest into the lake (Dagster assets, in-process)")
    assert settings.lake_dir is not None
    shutil.rmtree(settings.lake_dir, ignore_errors=True)  # a new world starts a new lake
    shutil.rmtree(settings.home / "dagster", ignore_errors=True)
    summary = run_ingest(settings, dagster_instance(settings), progress=_echo)
    typer.echo(describe(summary))
    expected = manifest["quarantine_expected"]
    typer.echo(
        "  planted dirty rows the contracts should quarantine: "
        + ", ".join(f"{table} {count}" for table, count in expected.items())
    )
    typer.echo("[3/5] dbt build and publish the marts (Dagster dbt assets)")
    built = run_transform(settings, dagster_instance(settings), progress=_echo)
    typer.echo(describe_marts(settings, built))
    typer.echo(describe_experiments(settings, manifest))
    typer.echo(
        "[4/5] activation: the due schedule through the Twilio SDK to the local emulator, "
        "callbacks and replies back through the API's webhooks"
    )
    loop = run_loop(settings, progress=_echo)
    typer.echo(describe_loop(loop))
    typer.echo("[5/5] ingest and build again: the marts see what happened to those messages")
    run_ingest(settings, dagster_instance(settings), progress=lambda _m: None)
    run_transform(settings, dagster_instance(settings), progress=lambda _m: None)
    typer.echo(describe_seen(settings, loop))
    typer.echo(_summary(settings, manifest, loop))
    typer.echo(
        "\nNext:\n"
        "  make dagster   the Dagster UI on http://127.0.0.1:3000, with these runs\n"
        "  make docs      the dbt docs site on http://127.0.0.1:8080\n"
        "  make api       the admin API on http://127.0.0.1:8000/docs "
        "(credentials: coach api-key <organization slug>)\n"
        "  notebooks/     analyst notebooks over the published marts (jupytext percent files)"
    )
