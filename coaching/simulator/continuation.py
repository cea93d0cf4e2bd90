"""Continue a simulated world by more days, as if time had gone on.

The world, its population and every day's behaviour are functions of the config (each day draws
from its own seeded stream), so the simulator rebuilds them in memory, plays the days already
written without writing them, then plays the new days and writes what they produce the way the
live days of a simulation reach the store: message events as webhooks write them, opt-outs and
finished enrollments as updates. Continuing by 2 days and continuing twice by 1 give the same
store. The manifest is rewritten with the truth at the new end; the dirty-row ledger gains the new
days' rows.

All-or-nothing like `simulate`: the store rows go in one transaction and the manifest and ledger
are replaced only after it commits.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import func, select

from coaching.errors import InputError
from coaching.lake import atomic_path, write_text
from coaching.settings import Settings
from coaching.simulator.behaviour import Behaviour
from coaching.simulator.config import SimulationConfig
from coaching.simulator.dirty import DirtyPlanter
from coaching.simulator.population import NO_DAY, generate_population
from coaching.simulator.run import (
    MANIFEST,
    TRUTH,
    Progress,
    final_states,
    finished_mask,
    manifest_of,
    quarantine_expected,
    store_events,
)
from coaching.simulator.world import build_world
from coaching.store.engine import check_connection, store_engine
from coaching.store.tables import Organization

POPULATION_COUNTS = ("workers", "enrollments", "experiment_assignments")


def _config_of(manifest: dict[str, Any]) -> SimulationConfig:
    data = dict(manifest["config"])
    data.pop("start_date", None)
    data["end_date"] = date.fromisoformat(data["end_date"])
    return SimulationConfig(**data)


def continue_world(
    settings: Settings, days: int, progress: Progress = lambda _message: None
) -> dict[str, Any]:
    """Play `days` more days of the simulated world in COACH_HOME; returns the new manifest."""
    if days < 1:
        raise InputError("--days must be at least 1 to continue a world")
    manifest_path = settings.simulation_dir / MANIFEST
    if not manifest_path.exists():
        raise InputError(f"no simulated world to continue: {manifest_path} does not exist")
    previous = json.loads(manifest_path.read_text(encoding="utf-8"))
    config = _config_of(previous)
    done = int(previous.get("continued_days", 0))
    engine = store_engine(settings)
    check_connection(engine)
    with engine.connect() as connection:
        organizations = connection.execute(
            select(func.count()).select_from(Organization)
        ).scalar_one()
    if not organizations:
        engine.dispose()
        raise InputError("the store holds no organizations: simulate a world before continuing it")

    world = build_world(config)
    population = generate_population(config, world, lambda _chunk: None)
    first_new = config.days + done
    behaviour = Behaviour(config, world, population, horizon_days=first_new + days)
    planter = DirtyPlanter(
        world, config.dirty_share, config.seed, stranger_base=config.workers + 10**6
    )
    progress(f"replaying the {first_new} days already simulated")
    for day in range(first_new):
        for block_number, block in enumerate(behaviour.day(day)):
            planter.plant_events(block, "", "", day, block_number)
        planter.ledger.drain()
    planter.ledger.counts.clear()  # the days already played are counted in the manifest
    finished_before = finished_mask(population, behaviour)

    new_truth: list[pa.Table] = []
    written = 0
    try:
        with engine.begin() as connection:
            for day in range(first_new, first_new + days):
                for block_number, block in enumerate(behaviour.day(day)):
                    block = planter.plant_events(
                        block, "store.message_events", "", day, block_number
                    )
                    written += store_events(connection, block)
                new_truth.append(planter.ledger.drain())
                progress(f"day {config.start_date + timedelta(days=day)}: {written} events")
            final = final_states(
                connection, population, behaviour,
                (population.opted_out_day != NO_DAY) & (population.opted_out_day >= first_new),
                finished_mask(population, behaviour) & ~finished_before,
            )  # fmt: skip
    finally:
        engine.dispose()

    counts = {k: previous["counts"][k] for k in POPULATION_COUNTS}
    totals = {
        k: previous["counts"].get(k, 0) + final[k]
        for k in ("opted_out_workers", "completed_enrollments")
    }
    events = {**previous["events"], "store": previous["events"].get("store", 0) + written}
    manifest = manifest_of(
        config, world, population, behaviour, planter, counts, events, totals,
        previous["files"], continued_days=done + days,
    )  # fmt: skip
    dirty = Counter(previous["dirty"])
    dirty.update(planter.ledger.counts)
    manifest["dirty"] = dict(sorted(dirty.items()))
    manifest["quarantine_expected"] = quarantine_expected(manifest["dirty"])
    manifest["store"] = previous.get("store", {})
    # Quotas were planted once, for the first run's last month: that truth stays as it was.
    manifest["notifications"]["quota"] = previous.get("notifications", {}).get("quota", [])
    _append_truth(settings, new_truth)
    write_text(json.dumps(manifest, indent=2, sort_keys=True), manifest_path)
    return manifest


def _append_truth(settings: Settings, tables: list[pa.Table]) -> None:
    path = settings.simulation_dir / TRUTH
    old = pq.read_table(path) if path.exists() else None
    combined = pa.concat_tables([t for t in [old, *tables] if t is not None and t.num_rows])
    with atomic_path(path) as temporary:
        pq.write_table(combined, temporary)
