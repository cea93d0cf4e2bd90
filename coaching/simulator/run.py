"""Run a simulation end to end: world → store rows, landing files, ground truth, manifest.

All-or-nothing: store rows are written in one transaction, files go to hidden staging folders and
are moved into place only after the transaction commits, so a failure (or Ctrl-C) leaves the store
and the landing folder as they were.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, func, select, text

from coaching.domain import EnrollmentStatus
from coaching.errors import ConfigurationError, InputError
from coaching.settings import Settings
from coaching.simulator.behaviour import EVENT_SCHEMA, TAP_SHARE, Behaviour
from coaching.simulator.config import SimulationConfig
from coaching.simulator.dirty import (
    HR_QUARANTINE_KINDS,
    QUARANTINE_KINDS,
    TRUTH_SCHEMA,
    DirtyPlanter,
)
from coaching.simulator.hr_files import RosterWriter, months_reported, write_performance
from coaching.simulator.population import NO_DAY, Population, PopulationChunk, generate_population
from coaching.simulator.world import ACTOR, World, build_world
from coaching.store import bulk, migrate
from coaching.store.engine import check_connection, store_engine
from coaching.store.tables import Organization

# What the simulator owns inside the landing folder; `--reset` replaces exactly these.
LANDING_EVENTS = "message_events"
LANDING_HR = "hr"
MANIFEST = "manifest.json"
TRUTH = "dirty_rows.parquet"

Progress = Callable[[str], None]


def _writable(folder: Path, setting: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write to {folder} ({exc.strerror or exc}); set {setting} to a writable folder"
        ) from None


def _already_there(settings: Settings) -> list[Path]:
    landing = settings.landing_dir
    assert landing is not None
    candidates = [landing / LANDING_EVENTS, landing / LANDING_HR, settings.simulation_dir]
    return [p for p in candidates if p.exists() and any(p.iterdir())]


def simulate(
    settings: Settings,
    config: SimulationConfig,
    *,
    reset: bool = False,
    progress: Progress = lambda _message: None,
) -> dict[str, Any]:
    """Simulate a world into the store and the landing folder; returns the manifest."""
    landing = settings.landing_dir
    assert landing is not None
    _writable(landing, "COACH_LANDING_DIR (or COACH_HOME)")
    _writable(settings.simulation_dir.parent, "COACH_HOME")
    engine = store_engine(settings)
    check_connection(engine)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        existing = connection.execute(select(func.count()).select_from(Organization)).scalar_one()
    leftovers = _already_there(settings)
    if not reset and (existing or leftovers):
        what = f"{existing} organizations in the store" if existing else f"files in {leftovers[0]}"
        raise InputError(
            f"there are already {what}; pass --reset to replace the simulated world "
            "(deletes every row of the store), or set COACH_HOME to an empty folder"
        )

    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    landing_stage = landing / f".staging-{token}"
    truth_stage = settings.simulation_dir.parent / f".simulation-staging-{token}"
    try:
        with engine.begin() as connection:
            if reset:
                progress("reset: emptying the store")
                bulk.delete_everything(connection)
            manifest = _run(connection, config, landing_stage, truth_stage, progress)
            manifest["store"] = {
                "backend": engine.dialect.name,
                "rows": bulk.count_rows(connection),
            }
            (truth_stage / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
        _publish(landing_stage, landing, truth_stage, settings.simulation_dir)
    finally:
        shutil.rmtree(landing_stage, ignore_errors=True)
        shutil.rmtree(truth_stage, ignore_errors=True)
        engine.dispose()
    progress(f"wrote manifest to {settings.simulation_dir / MANIFEST}")
    return manifest


def _publish(landing_stage: Path, landing: Path, truth_stage: Path, simulation_dir: Path) -> None:
    for name in (LANDING_EVENTS, LANDING_HR):
        shutil.rmtree(landing / name, ignore_errors=True)
        if (landing_stage / name).exists():
            os.replace(landing_stage / name, landing / name)
    shutil.rmtree(simulation_dir, ignore_errors=True)
    os.replace(truth_stage, simulation_dir)


def _run(
    connection: Connection, config: SimulationConfig, landing_stage: Path, truth_stage: Path,
    progress: Progress,
) -> dict[str, Any]:  # fmt: skip
    landing_stage.mkdir(parents=True)
    truth_stage.mkdir(parents=True)
    world = build_world(config)
    for name, rows in world.rows.items():
        bulk.insert_rows(connection, name, rows)
    progress(
        f"world: {len(world.organizations)} organizations, {len(world.programs)} programs, "
        f"{len(world.rows['experiments'])} experiments"
    )

    roster = RosterWriter(landing_stage / LANDING_HR, config.end_date)
    counts = {"workers": 0, "enrollments": 0, "experiment_assignments": 0}
    slugs = {o.id: o.slug for o in world.organizations}

    def sink(chunk: PopulationChunk) -> None:
        counts["workers"] += bulk.insert_rows(connection, "workers", chunk.workers)
        counts["enrollments"] += bulk.insert_rows(connection, "enrollments", chunk.enrollments)
        counts["experiment_assignments"] += bulk.insert_rows(
            connection, "experiment_assignments", chunk.assignments
        )
        if chunk.workers:
            roster.write(slugs[chunk.workers[0]["organization_id"]], chunk.workers)

    population = generate_population(config, world, sink)
    roster.close()
    progress(f"population: {counts['workers']} workers, {counts['enrollments']} enrollments")

    behaviour = Behaviour(config, world, population)
    planter = DirtyPlanter(
        world, config.dirty_share, config.seed, stranger_base=config.workers + 10**6
    )
    truth_writer = pq.ParquetWriter(truth_stage / TRUTH, TRUTH_SCHEMA)
    events_dir = landing_stage / LANDING_EVENTS
    events_dir.mkdir(parents=True)
    event_files: list[str] = []
    event_counts = {"landing": 0, "store": 0}
    first_live = config.days - config.live_days
    for day in range(config.days):
        date_text = (config.start_date + timedelta(days=day)).isoformat()
        live = day >= first_live
        file_name = f"{LANDING_EVENTS}/{LANDING_EVENTS}_{date_text}.parquet"
        writer = None if live else pq.ParquetWriter(landing_stage / file_name, EVENT_SCHEMA)
        source = "store.message_events" if live else "landing.message_events"
        for block_number, block in enumerate(behaviour.day(day)):
            block = planter.plant_events(
                block, source, "" if live else file_name, day, block_number
            )
            if live:
                event_counts["store"] += store_events(connection, block)
            else:
                assert writer is not None
                writer.write_table(block)
                event_counts["landing"] += block.num_rows
        if writer is not None:
            writer.close()
            event_files.append(file_name)
        truth_writer.write_table(planter.ledger.drain())
        if (day + 1) % 10 == 0 or day + 1 == config.days:
            progress(f"day {day + 1}/{config.days}: {sum(event_counts.values())} events")

    hr_files = []
    months = months_reported(config)
    for org in world.client_organizations:
        for month_index, month in enumerate(months):
            path = write_performance(
                landing_stage / LANDING_HR, config, org, population, month, month_index,
                planter.ledger, config.dirty_share,
            )  # fmt: skip
            hr_files.append(f"{LANDING_HR}/{org.slug}/{path.name}")
    truth_writer.write_table(planter.ledger.drain())
    truth_writer.close()
    progress(f"hr files: {len(roster.paths)} rosters, {len(hr_files)} performance exports")

    final = final_states(
        connection, population, behaviour,
        population.opted_out_day != NO_DAY, finished_mask(population, behaviour),
    )  # fmt: skip
    quotas = behaviour.notices.plant_quotas(
        [o.id for o in world.organizations], [o.index for o in world.client_organizations]
    )
    for plant in quotas:
        connection.execute(
            text("update organizations set monthly_message_quota = :quota where id = :id"),
            {"quota": plant["quota"], "id": plant["organization_id"]},
        )
    manifest = manifest_of(config, world, population, behaviour, planter, counts, event_counts, final, {
        "message_events": event_files,
        "hr_rosters": [f"{LANDING_HR}/{p.parent.name}/{p.name}" for p in roster.paths],
        "hr_performance": hr_files,
    })  # fmt: skip
    manifest["notifications"]["quota"] = quotas
    return manifest


def store_events(connection: Connection, block: pa.Table) -> int:
    """Live days reach the store the way webhooks write them: raw, duplicates included."""
    written = 0
    for offset in range(0, block.num_rows, 20_000):
        rows = block.slice(offset, 20_000).to_pylist()
        for row in rows:
            row["received_at"] = row["occurred_at"] + timedelta(milliseconds=200)
            row["payload"] = {}
        written += bulk.insert_rows(connection, "message_events", rows)
    return written


def finished_mask(population: Population, behaviour: Behaviour) -> np.ndarray:
    """Enrollments whose journey has nothing more for them (and who did not opt out)."""
    return (
        (population.enroll_day >= 0)
        & ~population.holdout
        & population.opted_in
        & (population.opted_out_day == NO_DAY)
        & (behaviour.cur_pos >= 0)
        & (behaviour.next_pos < 0)
    )


def final_states(
    connection: Connection, population: Population, behaviour: Behaviour,
    opted: np.ndarray, finished: np.ndarray,
) -> dict[str, int]:  # fmt: skip
    """Write back what the days changed: the `opted` workers' opt-outs and the `finished`
    enrollments (masks over the population)."""
    stop_at = behaviour.opt_out_at
    worker_ids = population.worker_id
    enrollment_ids = population.enrollment_id
    opt_outs = []
    enrollment_updates = []
    for i in np.nonzero(opted)[0].tolist():
        when = pa.scalar(int(stop_at[i]), pa.timestamp("us", tz="UTC")).as_py()
        opt_outs.append(
            {
                "row_id": worker_ids[i].as_py(),
                "whatsapp_opt_out_at": when,
                "updated_at": when,
                "updated_by": ACTOR,
            }
        )
        if enrollment_ids[i].is_valid:
            enrollment_updates.append(
                {
                    "row_id": enrollment_ids[i].as_py(),
                    "status": EnrollmentStatus.OPTED_OUT.value,
                    "ended_at": when,
                    "updated_at": when,
                    "updated_by": ACTOR,
                }
            )
    for i in np.nonzero(finished)[0].tolist():
        day = int(behaviour.cur_day[i])
        when = behaviour.end_of_day(int(population.organization_index[i]), day)
        enrollment_updates.append(
            {
                "row_id": enrollment_ids[i].as_py(),
                "status": EnrollmentStatus.COMPLETED.value,
                "ended_at": when,
                "updated_at": when,
                "updated_by": ACTOR,
            }
        )
    bulk.update_by_id(
        connection, "workers", opt_outs, ["whatsapp_opt_out_at", "updated_at", "updated_by"]
    )
    bulk.update_by_id(
        connection,
        "enrollments",
        enrollment_updates,
        ["status", "ended_at", "updated_at", "updated_by"],
    )
    return {"opted_out_workers": len(opt_outs), "completed_enrollments": int(finished.sum())}


def quarantine_expected(dirty: dict[str, int]) -> dict[str, int]:
    """How many rows ingestion should quarantine, from the planted counts by source and kind."""
    return {
        "message_events": sum(
            v
            for k, v in dirty.items()
            if k.split(".")[-1] in QUARANTINE_KINDS and "message_events" in k
        ),
        "hr_performance": sum(
            v
            for k, v in dirty.items()
            if k.startswith("hr_performance.") and k.split(".")[-1] in HR_QUARANTINE_KINDS
        ),
    }


def manifest_of(
    config: SimulationConfig, world: World, population: Population, behaviour: Behaviour,
    planter: DirtyPlanter, counts: dict[str, int], event_counts: dict[str, int],
    final: dict[str, int], files: dict[str, list[str]], continued_days: int = 0,
) -> dict[str, Any]:  # fmt: skip
    tally = behaviour.tally
    experiments = []
    names = {row["id"]: row["name"] for row in world.rows["experiments"]}
    for program in world.programs:
        for spec in (program.journey_experiment, program.program_experiment):
            if spec is None:
                continue
            variants = []
            assigned_column = (
                population.journey_variant
                if spec is program.journey_experiment
                else population.program_variant
            )
            in_program = population.program_index == program.index
            for number, variant in enumerate(spec.variants):
                delivered, replies, opt_outs = tally.arm(spec.id, variant.key)
                assigned = int(np.count_nonzero(in_program & (assigned_column == number)))
                variants.append(
                    {
                        "id": variant.id,
                        "key": variant.key,
                        "is_control": variant.is_control,
                        "weight": variant.weight,
                        "planted_reply_lift": variant.reply_lift,
                        "planted_opt_out_multiplier": variant.opt_out_multiplier,
                        "cadence_factor": variant.cadence_factor,
                        "assigned_workers": assigned,
                        "delivered_messages": delivered,
                        "replies_24h": replies,
                        "opt_outs": opt_outs,
                    }
                )
            lifts = [v.reply_lift for v in spec.variants if not v.is_control]
            experiments.append(
                {
                    "id": spec.id,
                    "name": names[spec.id],
                    "level": spec.level.value,
                    "organization_id": world.organizations[program.organization_index].id,
                    "program_id": program.id,
                    "touchpoint_id": (
                        program.touchpoints[spec.touchpoint_index].id
                        if spec.touchpoint_index is not None
                        else None
                    ),
                    "primary_metric": "reply_rate_24h",
                    "planted_winner": (
                        next(v.key for v in spec.variants if v.reply_lift == max(lifts))
                        if lifts and max(lifts) > 0
                        else next(v.key for v in spec.variants if v.is_control)
                    ),
                    "variants": variants,
                }
            )
    workers_by_org = np.bincount(population.organization_index, minlength=len(world.organizations))
    dirty = dict(sorted(planter.ledger.counts.items()))
    end_date = config.end_date + timedelta(days=continued_days)
    # The end of the world's last day: what a build as of `end_date` can know.
    as_of_us = (
        int(datetime.combine(end_date + timedelta(days=1), time(0), UTC).timestamp()) * 1_000_000
    )
    return {
        "config": config.to_json(),
        # Continuing a world plays more days after the config's: the world now ends here
        # (exclusive, like the config's end_date).
        "continued_days": continued_days,
        "end_date": end_date.isoformat(),
        "organizations": [
            {
                "id": o.id,
                "slug": o.slug,
                "type": o.type.value,
                "tier": next(r["tier"] for r in world.rows["organizations"] if r["id"] == o.id),
                "country": o.country,
                "timezone": o.timezone,
                "workers": int(workers_by_org[o.index]),
            }
            for o in world.organizations
        ],
        "counts": {**{k: len(v) for k, v in world.rows.items()}, **counts, **final},
        "messages": {
            "outbound": tally.messages,
            "follow_ups": tally.follow_ups,
            "delivered": tally.delivered,
            "read": tally.read,
            "failed": tally.failed,
            "undelivered": tally.undelivered,
            "replies_24h": tally.replies,
            "opt_outs": tally.opt_outs,
            "out_of_order_statuses": tally.out_of_order,
        },
        "events": event_counts,
        "experiments": experiments,
        # Journey rules as of the end of the world (a build as of `end_date` should agree).
        "journey_rules": behaviour.journey_truth(as_of_us),
        # What a build as of `end_date` should tell people (coaching.notifications).
        "notifications": behaviour.notices.truth(
            population,
            behaviour.opt_out_at,
            behaviour.midnight,
            [p.id for p in world.programs],
            as_of_us,
        ),
        # Answers to quizzes and check-ins by option, typed or tapped, and inbound photos.
        "answers": {
            "tap_share": TAP_SHARE,
            "questions": [
                {
                    "touchpoint_id": touchpoint_id,
                    "options": {
                        payload: {"typed": typed, "tapped": tapped}
                        for payload, (typed, tapped) in sorted(options.items())
                    },
                }
                for touchpoint_id, options in sorted(tally.answers.items())
            ],
            "inbound_media": tally.media,
        },
        "language_gaps": world.language_gaps,
        "dirty": dirty,
        "quarantine_expected": quarantine_expected(dirty),
        "files": files,
        "truth_file": TRUTH,
    }
