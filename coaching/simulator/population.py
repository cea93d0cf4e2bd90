"""Workers, enrollments and experiment assignments, generated in chunks.

The rows for the store are produced chunk by chunk and handed to a sink, so a million workers never
sit in memory as Python objects; what the behaviour model needs later is kept as compact NumPy and
Arrow columns (about 120 bytes a worker).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from coaching.domain import EnrollmentStatus
from coaching.experiments.assignment import buckets, choose
from coaching.segments.evaluate import evaluate
from coaching.simulator.catalog import COUNTRIES, FIRST_NAMES, LAST_NAMES, SECTORS
from coaching.simulator.config import SimulationConfig
from coaching.simulator.world import ACTOR, OrganizationSpec, World

# A multiplier coprime with 10: index -> national-number suffix is then a bijection, so every
# worker's phone is unique without keeping a set of the numbers handed out.
PHONE_STRIDE = 7919
EMPLOYMENT_TYPES = np.array(["full_time", "part_time", "volunteer"])
NO_DAY = np.iinfo(np.int32).max


def phone_for(country: str, prefix: str, index: int) -> str:
    info = COUNTRIES[country]
    digits = info.national_digits - len(prefix)
    suffix = (index * PHONE_STRIDE) % 10**digits
    return f"+{info.calling_code}{prefix}{suffix:0{digits}d}"


@dataclass
class Population:
    """Per-worker columns the behaviour model reads and updates (index = worker number)."""

    worker_id: pa.Array
    phone: pa.Array
    enrollment_id: pa.Array
    external_id: pa.Array
    organization_index: np.ndarray
    program_index: np.ndarray  # -1 when not enrolled
    enroll_day: np.ndarray  # simulated day of enrollment, -1 when not enrolled
    holdout: np.ndarray
    opted_in: np.ndarray
    language_index: np.ndarray
    reply_propensity: np.ndarray
    skill: np.ndarray
    wellbeing: np.ndarray
    bad_handset: np.ndarray
    journey_variant: np.ndarray  # index into the program's journey experiment, -1 none
    program_variant: np.ndarray  # index into the program's program experiment, -1 none
    tenure_days: np.ndarray
    opted_out_day: np.ndarray  # NO_DAY until a STOP


@dataclass
class PopulationChunk:
    """Rows for the store from one chunk of workers."""

    workers: list[dict[str, Any]]
    enrollments: list[dict[str, Any]]
    assignments: list[dict[str, Any]]


def _organization_sizes(world: World, total: int) -> list[tuple[OrganizationSpec, int]]:
    clients = world.client_organizations
    shares = np.array([o.worker_share for o in clients])
    sizes = np.floor(shares * total).astype(int)
    sizes[0] += total - sizes.sum()
    return list(zip(clients, sizes.tolist(), strict=True))


def _uuids(rng: np.random.Generator, n: int) -> list[str]:
    raw = rng.bytes(16 * n)
    return [str(uuid.UUID(bytes=raw[i * 16 : (i + 1) * 16], version=4)) for i in range(n)]


def generate_population(
    config: SimulationConfig,
    world: World,
    sink: Callable[[PopulationChunk], None],
) -> Population:
    """Create every worker, enrol the ones their program's segment selects, assign variants."""
    n = config.workers
    columns: dict[str, list[Any]] = {
        k: [] for k in ("worker_id", "phone", "enrollment_id", "external_id")
    }
    numeric = {
        "organization_index": np.zeros(n, np.int16),
        "program_index": np.full(n, -1, np.int16),
        "enroll_day": np.full(n, -1, np.int32),
        "holdout": np.zeros(n, bool),
        "opted_in": np.zeros(n, bool),
        "language_index": np.zeros(n, np.int8),
        "reply_propensity": np.zeros(n, np.float32),
        "skill": np.zeros(n, np.float32),
        "wellbeing": np.zeros(n, np.float32),
        "bad_handset": np.zeros(n, bool),
        "journey_variant": np.full(n, -1, np.int8),
        "program_variant": np.full(n, -1, np.int8),
        "tenure_days": np.zeros(n, np.int32),
    }
    start = datetime.combine(config.start_date, time(0), UTC)
    offset = 0
    for org, size in _organization_sizes(world, n):
        for chunk_start in range(0, size, config.chunk_size):
            count = min(config.chunk_size, size - chunk_start)
            rng = np.random.default_rng(
                np.random.SeedSequence([config.seed, 1, org.index, chunk_start])
            )
            chunk = _chunk(
                config, world, org, rng, offset, chunk_start, count, start, numeric, columns
            )
            sink(chunk)
            offset += count
    return Population(
        worker_id=pa.array(columns["worker_id"], pa.string()),
        phone=pa.array(columns["phone"], pa.string()),
        enrollment_id=pa.array(columns["enrollment_id"], pa.string()),
        external_id=pa.array(columns["external_id"], pa.string()),
        opted_out_day=np.full(n, NO_DAY, np.int32),
        **numeric,
    )


def _chunk(
    config: SimulationConfig, world: World, org: OrganizationSpec, rng: np.random.Generator,
    offset: int, chunk_start: int, count: int, start: datetime,
    numeric: dict[str, np.ndarray], columns: dict[str, list[Any]],
) -> PopulationChunk:  # fmt: skip
    country = COUNTRIES[org.country]
    sector = SECTORS[org.sector]
    sl = slice(offset, offset + count)
    regions = list(country.regions)
    region_idx = rng.integers(0, len(regions), count)
    district = [
        country.regions[regions[r]][k % len(country.regions[regions[r]])]
        for r, k in zip(region_idx, rng.integers(0, 8, count), strict=True)
    ]
    role_idx = rng.choice(len(sector.job_roles), count, p=[0.5, 0.25, 0.15, 0.1])
    team_idx = rng.integers(0, len(sector.teams), count)
    language_p = np.array(
        [0.6] + [0.4 / max(1, len(country.languages) - 1)] * (len(country.languages) - 1)
    )
    language_idx = rng.choice(len(country.languages), count, p=language_p / language_p.sum())
    tenure = np.minimum(rng.exponential(700, count).astype(np.int32) + 7, 15 * 365)
    prefixes = rng.integers(0, len(country.mobile_prefixes), count)
    opted_in = rng.random(count) > 0.02
    employment = EMPLOYMENT_TYPES[rng.choice(3, count, p=[0.7, 0.2, 0.1])]
    certified = rng.random(count) < 0.4
    first = rng.integers(0, len(FIRST_NAMES), count)
    last = rng.integers(0, len(LAST_NAMES), count)

    # Latent traits: supervisors and longer-tenured workers reply a little more.
    role_boost = np.where(role_idx == len(sector.job_roles) - 1, 1.15, 1.0)
    tenure_boost = 1.0 + 0.1 * np.tanh(tenure / 365.0)
    propensity = np.clip(rng.beta(2.2, 3.8, count) * role_boost * tenure_boost, 0.02, 0.85)
    ids = _uuids(rng, count)
    worker_rows: list[dict[str, Any]] = []
    phones: list[str] = []
    external: list[str] = []
    for i in range(count):
        phone = phone_for(org.country, country.mobile_prefixes[prefixes[i]], offset + i)
        phones.append(phone)
        external.append(f"{org.code}-{chunk_start + i + 1:07d}")
        hire = config.end_date - timedelta(days=int(tenure[i]))
        opt_in_at = start - timedelta(days=int(min(tenure[i], 60)), hours=int(role_idx[i]))
        worker_rows.append(
            {
                "id": ids[i],
                "organization_id": org.id,
                "external_id": external[-1],
                "display_name": f"{FIRST_NAMES[first[i]]} {LAST_NAMES[last[i]]}",
                "phone_e164": phone,
                "whatsapp_opt_in_at": opt_in_at if opted_in[i] else None,
                "whatsapp_opt_out_at": None,
                "language": country.languages[language_idx[i]],
                "timezone": org.timezone,
                "country": org.country,
                "region": regions[region_idx[i]],
                "district": district[i],
                "team": sector.teams[team_idx[i]],
                "job_role": sector.job_roles[role_idx[i]],
                "hire_date": hire,
                "attributes": {
                    "employment_type": str(employment[i]),
                    "certified": bool(certified[i]),
                },
                "created_at": start - timedelta(days=30),
                "updated_at": start - timedelta(days=30),
                "created_by": ACTOR,
                "updated_by": ACTOR,
                "deleted_at": None,
            }
        )

    numeric["organization_index"][sl] = org.index
    numeric["opted_in"][sl] = opted_in
    numeric["language_index"][sl] = language_idx
    numeric["reply_propensity"][sl] = propensity
    numeric["skill"][sl] = rng.beta(4, 2, count)
    numeric["wellbeing"][sl] = rng.normal(3.6, 0.7, count)
    numeric["bad_handset"][sl] = rng.random(count) < 0.02
    numeric["tenure_days"][sl] = tenure

    enrollment_ids: list[str | None] = [None] * count
    enrollments: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    program = world.program_of(org.index)
    if program is not None:
        features = {
            "job_role": np.array([sector.job_roles[r] for r in role_idx], dtype=object),
            "team": np.array([sector.teams[t] for t in team_idx], dtype=object),
            "region": np.array([regions[r] for r in region_idx], dtype=object),
            "tenure_days": tenure.astype(np.float64),
        }
        members = np.nonzero(evaluate(program.segment_rule, features))[0]
        member_ids = [ids[i] for i in members]
        enroll_day = rng.integers(0, program.enroll_window_days, len(members)).astype(np.int32)
        holdout = buckets(f"holdout:{program.id}", member_ids) < program.holdout_share
        enrollment_uuid = _uuids(rng, len(members))
        numeric["program_index"][offset + members] = program.index
        numeric["enroll_day"][offset + members] = enroll_day
        numeric["holdout"][offset + members] = holdout
        experiments = [
            (program.journey_experiment, "journey_variant"),
            (program.program_experiment, "program_variant"),
        ]
        chosen: dict[str, np.ndarray] = {}
        for experiment, column in experiments:
            if experiment is None:
                continue
            chosen[column] = choose(buckets(experiment.salt, member_ids), experiment.weights)
            numeric[column][offset + members] = np.where(holdout, -1, chosen[column])
        for j, i in enumerate(members):
            enrollment_ids[i] = enrollment_uuid[j]
            # Just after local midnight of the enrollment day: before any touchpoint of that day.
            local_day = config.start_date + timedelta(days=int(enroll_day[j]))
            enrolled_at = datetime.combine(
                local_day, time(0, 5 + int(i % 50)), ZoneInfo(org.timezone)
            ).astimezone(UTC)
            enrollments.append(
                {
                    "id": enrollment_uuid[j],
                    "organization_id": org.id,
                    "program_id": program.id,
                    "worker_id": ids[i],
                    "enrolled_at": enrolled_at,
                    "status": EnrollmentStatus.ACTIVE.value,
                    "is_holdout": bool(holdout[j]),
                    "ended_at": None,
                    "created_at": enrolled_at,
                    "updated_at": enrolled_at,
                    "created_by": ACTOR,
                    "updated_by": ACTOR,
                    "deleted_at": None,
                }
            )
            if holdout[j]:
                continue
            for experiment, column in experiments:
                if experiment is None:
                    continue
                variant = experiment.variants[chosen[column][j]]
                assignments.append(
                    {
                        "id": str(uuid.UUID(bytes=rng.bytes(16), version=4)),
                        "organization_id": org.id,
                        "experiment_id": experiment.id,
                        "variant_id": variant.id,
                        "worker_id": ids[i],
                        "enrollment_id": enrollment_uuid[j],
                        "assigned_at": enrolled_at,
                        "created_at": enrolled_at,
                        "updated_at": enrolled_at,
                        "created_by": ACTOR,
                        "updated_by": ACTOR,
                        "deleted_at": None,
                    }
                )
    columns["worker_id"].extend(ids)
    columns["phone"].extend(phones)
    columns["external_id"].extend(external)
    columns["enrollment_id"].extend(enrollment_ids)
    return PopulationChunk(worker_rows, enrollments, assignments)
