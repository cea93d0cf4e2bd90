"""A small built world shared by the tests that read the marts: simulated, ingested and built as
of END, with what an admin might have done planted in it."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow.parquet as pq

from coaching.lake import published_mart
from coaching.settings import Settings
from coaching.simulator.config import SimulationConfig
from coaching.simulator.run import simulate
from coaching.store.engine import FIELD_KEY_FILE, FIELD_LOOKUP_FILE, store_engine, transaction
from coaching.store.tables import Enrollment, Segment
from orchestration.runs import ingest, transform
from tests.coaching.simulator.truth import store_table
from tests.conftest import make_settings

# The 3rd, so the as-of month holds two simulated days (the quotas planted in it are reached).
END = date(2026, 11, 3)


def build_world(home: Path) -> tuple[Settings, dict[str, Any], Any]:
    """A small world simulated, ingested and built (as of END), shared by the tests that read the
    built marts (tests/orchestration/test_transform.py, the notebooks): an admin's broken segment
    and a worker enrolled after the last assignment run are planted in it."""
    settings = make_settings(home)
    manifest = simulate(settings, SimulationConfig(seed=31, workers=1200, days=12, end_date=END))
    _add_broken_segment(settings)
    _enroll_someone_new(settings)
    instance = dg.DagsterInstance.ephemeral()
    ingest(settings, instance)
    summary = transform(settings, instance, as_of=END.isoformat())
    return settings, manifest, summary


def copy_store(settings: Settings, folder: Path, *, new_home: bool = False) -> Settings:
    """Settings on a copy of the world's store in `folder` that a test may change; with
    `new_home`, `folder` is also the home, and the world's field keys go along (a store sealed
    under one installation's keys opens under those keys only)."""
    store = folder / "coach.db"
    shutil.copy(Path(settings.home) / "coach.db", store)
    update: dict[str, Any] = {"database_url": f"sqlite:///{store}"}
    if new_home:
        for name in (FIELD_KEY_FILE, FIELD_LOOKUP_FILE):
            shutil.copy(Path(settings.home) / name, folder / name)
        update["home"] = folder
    return settings.model_copy(update=update)


BROKEN = "Shoe sizes"


def _add_broken_segment(settings: Settings) -> None:
    """An admin saved a rule naming a feature the catalog does not have."""
    organization = store_table(settings, "organizations").to_pylist()[0]
    engine = store_engine(settings)
    with transaction(engine) as session:
        session.add(
            Segment(
                organization_id=organization["id"], name=BROKEN, kind="performance",
                rule={"root": {"type": "group", "combinator": "and", "rules": [
                    {"type": "condition", "feature": "shoe_size", "operator": "gt", "value": 40}]}},
            )
        )  # fmt: skip
    engine.dispose()


def _enroll_someone_new(settings: Settings) -> None:
    """A worker enrolled after the last assignment run: no recorded variant yet."""
    from datetime import UTC, datetime

    enrolled = {r["worker_id"] for r in store_table(settings, "enrollments").to_pylist()}
    worker = next(
        w for w in store_table(settings, "workers").to_pylist() if w["id"] not in enrolled
    )
    program = next(
        p
        for p in store_table(settings, "programs").to_pylist()
        if p["organization_id"] == worker["organization_id"]
    )
    engine = store_engine(settings)
    with transaction(engine) as session:
        session.add(Enrollment(organization_id=worker["organization_id"], program_id=program["id"],
                               worker_id=worker["id"], enrolled_at=datetime.now(UTC)))  # fmt: skip
    engine.dispose()


def published(lake_dir: Path | str, mart: str) -> str:
    """A published mart as a SQL relation, with the store's worker id as the admin API reads it:
    an analytics mart names workers by key, so it is joined to the restricted identities (the
    tests compare marts with the store and the simulator, which know workers by id)."""
    path = published_mart(lake_dir, mart)
    names = pq.read_schema(path).names
    if "worker_key" not in names or "worker_id" in names:
        return f"read_parquet('{path}')"
    identities = published_mart(lake_dir, "worker_identities")
    return (
        f"(select mart.*, identities.worker_id from read_parquet('{path}') as mart "
        f"left join read_parquet('{identities}') as identities "
        "on identities.organization_id = mart.organization_id "
        "and identities.worker_key = mart.worker_key)"
    )
