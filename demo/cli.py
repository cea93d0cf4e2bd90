"""`coach demo`: the end-to-end loop on the embedded default (registered through the
`coach.commands` entry point group). Heavy imports stay inside the command to keep `coach --help`
fast."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated

import typer


def _echo(message: str) -> None:
    typer.echo(f"  {message}")


def demo(
    workers: Annotated[int, typer.Option(help="Workers in the demo world.")] = 3_000,
    days: Annotated[int, typer.Option(help="Days of simulated history.")] = 30,
) -> None:
    """The end-to-end demo on the embedded default (SQLite, local Parquet, DuckDB).

    Replaces the world under COACH_HOME: simulates organizations, workers, programs and
    experiments with planted effects; ingests the store and the landing folder into the lake and
    builds the marts through the Dagster assets; sends the due schedule through the Twilio SDK to
    the local emulator with callbacks and replies coming back through the API's webhooks; builds
    again; and reports each step beside the simulator's planted truth.
    """
    from coaching.settings import get_settings
    from coaching.simulator.config import SimulationConfig
    from coaching.simulator.run import simulate
    from coaching.simulator.summary import describe as describe_world
    from demo.loop import enroll, recorded_assignments, run_loop
    from demo.notices import tell_people
    from demo.report import (
        describe_enrollments,
        describe_experiments,
        describe_journey_rules,
        describe_loop,
        describe_marts,
        describe_planted,
        describe_program_sends,
        describe_questions,
        describe_recorded,
        describe_seen,
        summary_of,
    )
    from demo.scenario import plant_programs
    from orchestration.runs import dagster_instance, describe_ingest
    from orchestration.runs import ingest as run_ingest
    from orchestration.runs import transform as run_transform

    settings = get_settings()
    typer.echo(f"ABCD coaching demo in {settings.home}")
    typer.echo(f"[1/6] simulate a world: {workers} workers, {days} days")
    config = SimulationConfig(workers=workers, days=days)
    manifest = simulate(settings, config, reset=True, progress=_echo)
    typer.echo(describe_world(manifest))
    planted = plant_programs(settings, config.end_date)
    typer.echo(describe_planted(planted))
    typer.echo("[2/6] ingest into the lake (Dagster assets, in-process)")
    assert settings.lake_dir is not None
    shutil.rmtree(settings.lake_dir, ignore_errors=True)  # a new world starts a new lake
    # ... and a new warehouse: the incremental models would otherwise keep the previous run's
    # rows for the same (deterministic) ids, and a second `make demo` would count them twice.
    if settings.warehouse_path is not None:
        Path(settings.warehouse_path).unlink(missing_ok=True)
    shutil.rmtree(settings.home / "dagster", ignore_errors=True)
    summary = run_ingest(settings, dagster_instance(settings), progress=_echo)
    typer.echo(describe_ingest(summary))
    expected = manifest["quarantine_expected"]
    typer.echo(
        "  planted dirty rows the contracts should quarantine: "
        + ", ".join(f"{table} {count}" for table, count in expected.items())
    )
    typer.echo("[3/6] dbt build and publish the marts (Dagster dbt assets)")
    built = run_transform(settings, dagster_instance(settings), progress=_echo)
    typer.echo(describe_marts(settings, built))
    typer.echo(describe_journey_rules(settings, manifest))
    typer.echo(describe_questions(settings, manifest))
    typer.echo(describe_experiments(settings, manifest))
    typer.echo(tell_people(settings, manifest))
    typer.echo(
        "[4/6] enrollment sync: the plan applied to the store by diff (coach sync), then ingest "
        "and build again"
    )
    enrolled = enroll(settings, planted, now=datetime.combine(config.end_date, time(0, 5), UTC))
    typer.echo(describe_enrollments(enrolled, planted))
    typer.echo(
        "[5/6] activation: the due schedule through the Twilio SDK to the local emulator, "
        "callbacks and replies back through the API's webhooks"
    )
    loop = run_loop(settings, progress=_echo)
    typer.echo(describe_loop(loop))
    typer.echo(describe_program_sends(loop, planted))
    typer.echo(describe_recorded(recorded_assignments(settings, planted), planted))
    typer.echo("[6/6] ingest and build again: the marts see what happened to those messages")
    run_ingest(settings, dagster_instance(settings), progress=lambda _m: None)
    run_transform(settings, dagster_instance(settings), progress=lambda _m: None)
    typer.echo(describe_seen(settings, loop))
    typer.echo(summary_of(settings, manifest, loop))
    typer.echo(
        "\nNext:\n"
        "  make dagster   the Dagster UI on http://127.0.0.1:3000, with these runs\n"
        "  make docs      the dbt docs site on http://127.0.0.1:8080\n"
        "  make api       the console on http://127.0.0.1:8000/console/ and the admin API on "
        "http://127.0.0.1:8000/v1/docs\n"
        "                 (coach orgs lists who can sign in; coach set-password <email>, "
        "coach api-key <slug>)\n"
        "  notebooks/     analyst notebooks over the published marts (jupytext percent files)"
    )
