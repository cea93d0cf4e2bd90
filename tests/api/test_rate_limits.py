"""Rate limits per organization, per API key and per sign-in address, kept in the process or
shared through Redis; and CORS from settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from coaching.domain import Role
from coaching.store import migrate
from coaching.store.engine import make_engine
from tests.api.conftest import Api, api_settings
from tests.store_keys import TEST_FIELD_KEYS


@contextmanager
def limited_api(tmp_path: Path, name: str = "store", **limits: str) -> Iterator[Api]:
    """The API over SQLite with the given settings (rate limits, CORS, Redis)."""
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    engine = make_engine(url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    engine.dispose()
    settings = api_settings(tmp_path / name, url, **limits)
    with TestClient(create_app(settings)) as client:
        yield Api(client, settings)


def test_an_organization_and_an_api_key_each_have_a_limit(tmp_path: Path) -> None:
    with limited_api(
        tmp_path,
        COACH_API_RATE_LIMIT_PER_ORGANIZATION="8/minute",
        COACH_API_RATE_LIMIT_PER_API_KEY="3/minute",
    ) as api:
        busy, quiet = api.organization(), api.organization()
        key = api.client.post(
            "/api-keys", json={"name": "etl", "role": "program_manager"}, headers=busy.admin
        ).json()["key"]  # the organization's first request
        by_key = {"Authorization": f"Bearer {key}"}
        answers = [api.client.get("/workers", headers=by_key).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]  # the key's own limit
        limited = api.client.get("/workers", headers=by_key)
        assert limited.headers["content-type"] == "application/problem+json"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        assert "api key" in limited.json()["detail"]
        # The key's requests counted for the organization too (1 + 5 so far): two more, then 429
        # for every caller of the organization, whoever they are.
        users = [busy.headers[role] for role in (Role.ADMIN, Role.PROGRAM_MANAGER)]
        assert [api.client.get("/workers", headers=h).status_code for h in users] == [200, 200]
        refused = api.client.get("/workers", headers=busy.headers[Role.TRAINING_MANAGER])
        assert refused.status_code == 429 and "organization" in refused.json()["detail"]
        # Another organization is not slowed down by the first.
        assert api.client.get("/workers", headers=quiet.admin).status_code == 200


def test_sign_in_attempts_are_limited_per_address(tmp_path: Path) -> None:
    with limited_api(tmp_path, COACH_API_SIGN_IN_RATE_LIMIT="3/minute") as api:
        org = api.organization()  # four sign-ins, one per role, from the same client
        email = org.emails[Role.ADMIN]
        tries = [
            api.client.post("/auth/token", data={"username": email, "password": "guess"})
            for _ in range(4)
        ]
        # The fixture already signed this address in once: two guesses, then 429 (the account
        # itself is not locked: five failures lock it).
        assert [t.status_code for t in tries] == [401, 401, 429, 429]
        assert int(tries[-1].headers["Retry-After"]) >= 1
        # An unknown address is limited the same way, though it has no account to lock.
        unknown = [
            api.client.post("/auth/token", data={"username": "x@nowhere.org", "password": "p"})
            for _ in range(4)
        ]
        assert [t.status_code for t in unknown] == [401, 401, 401, 429]


@pytest.mark.skipif(
    not os.environ.get("COACH_TEST_REDIS_URL"), reason="COACH_TEST_REDIS_URL is not set"
)
def test_two_api_processes_share_one_limit_through_redis(tmp_path: Path) -> None:
    """Two apps (two workers behind one load balancer) over one store count one window."""
    redis_url = os.environ["COACH_TEST_REDIS_URL"]
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    engine.dispose()
    limits = {
        "COACH_REDIS_URL": redis_url,
        "COACH_API_RATE_LIMIT_PER_ORGANIZATION": "6/minute",
        "COACH_API_SIGN_IN_RATE_LIMIT": "1000/minute",
        "COACH_API_SECRET_KEY": uuid.uuid4().hex,  # one signing key, as a deployment has
    }
    first = api_settings(tmp_path / "a", url, **limits)
    second = api_settings(tmp_path / "b", url, **limits)
    with TestClient(create_app(first)) as one, TestClient(create_app(second)) as two:
        org = Api(one, first).organization()
        statuses = [
            (one if n % 2 else two).get("/workers", headers=org.admin).status_code for n in range(8)
        ]
    assert statuses == [200] * 6 + [429] * 2


def test_cors_answers_only_the_configured_origins(tmp_path: Path) -> None:
    allowed = "https://console.example.org"
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    with limited_api(tmp_path, "open", COACH_API_CORS_ORIGINS=f'["{allowed}"]') as api:
        org = api.organization()
        answer = api.client.options("/workers", headers={"Origin": allowed, **preflight})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == allowed
        assert "authorization" in answer.headers["access-control-allow-headers"].lower()
        read = api.client.get("/workers", headers={"Origin": allowed, **org.admin})
        assert read.headers["access-control-allow-origin"] == allowed
        other = api.client.options(
            "/workers", headers={"Origin": "https://evil.example", **preflight}
        )
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    with limited_api(tmp_path, "closed") as api:
        org = api.organization()
        read = api.client.get("/workers", headers={"Origin": allowed, **org.admin})
        assert read.status_code == 200 and "access-control-allow-origin" not in read.headers
