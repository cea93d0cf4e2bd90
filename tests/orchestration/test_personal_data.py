"""The lake's personal-data boundary on a built world: no phone, name, HR id or free-text reply in
any file under gold/, workers named there only by a pseudonymous key, and the restricted
identities the one place that joins a key back to a person."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from coaching.lake import RESTRICTED_MARTS, published_mart
from coaching.pseudonyms import organization_key, worker_key
from coaching.settings import Settings
from orchestration.lib.publication import IDENTITY_COLUMNS
from orchestration.lib.warehouse import PUBLISHED_MARTS
from orchestration.resources import default_resources
from tests.personal_data import found, parquet_texts, personal_values


@pytest.fixture(scope="module")
def world(built_world) -> tuple[Settings, dict[str, set[str]]]:
    settings = built_world[0]
    return settings, personal_values(settings)


def test_the_search_finds_people_where_they_are(world) -> None:
    """The control: the raw events and the restricted marts do name people, so a search that
    finds nothing under gold/ means something."""
    settings, values = world
    assert all(values.values()), {kind: len(v) for kind, v in values.items()}
    identities = published_mart(settings.lake_dir, "worker_identities")
    assert set(found(parquet_texts(identities), values)) == {"phone", "name", "hr_id"}
    raw = sorted((Path(settings.lake_dir) / "raw" / "message_events").glob("*.parquet"))
    assert "reply" in found((t for p in raw for t in parquet_texts(p)), values)


def test_no_file_under_gold_names_a_person(world) -> None:
    settings, values = world
    files = sorted((Path(settings.lake_dir) / "gold").rglob("*.parquet"))
    assert len(files) == len(PUBLISHED_MARTS) - len(RESTRICTED_MARTS)
    leaks = {path.name: hits for path in files if (hits := found(parquet_texts(path), values))}
    assert leaks == {}
    for path in files:
        names = set(pq.read_schema(path).names)
        assert not names & (IDENTITY_COLUMNS | {"worker_id"}), path.name


def test_workers_are_keyed_per_organization_and_joined_back_only_by_the_identities(
    world,
) -> None:
    settings, _ = world
    secret = default_resources(settings)["warehouse"].resolved_pseudonym_secret()  # type: ignore[attr-defined]
    identities = pq.read_table(published_mart(settings.lake_dir, "worker_identities")).to_pylist()
    assert identities and all(
        row["worker_key"]
        == worker_key(organization_key(secret, row["organization_id"]), row["worker_id"])
        for row in identities
    )
    keys = {row["worker_key"] for row in identities}
    assert len(keys) == len(identities)  # one key per worker, none shared across tenants
    con = duckdb.connect()
    for mart in (
        "workers",
        "messages",
        "worker_features",
        "segment_membership",
        "team_leaderboards",
    ):
        path = published_mart(settings.lake_dir, mart)
        unmatched = con.execute(
            f"select count(*) from read_parquet('{path}') where worker_key is not null "
            "and worker_key not in (select unnest(?::varchar[]))",
            [sorted(keys)],
        ).fetchall()[0][0]
        assert unmatched == 0, mart


def test_the_marts_that_name_people_are_published_apart(world) -> None:
    settings, _ = world
    restricted = Path(settings.lake_dir) / "restricted"
    assert sorted(p.stem for p in restricted.glob("*.parquet")) == sorted(RESTRICTED_MARTS)
    schedule = pq.read_schema(restricted / "activation_schedule.parquet")
    assert {"worker_id", "worker_key", "to_number", "body"} <= set(schedule.names)
