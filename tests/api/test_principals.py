"""The principal cache: how long the API remembers who holds a credential, and what forgets it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text, update

from api.principals import MAX_ENTRIES, PrincipalCache
from api.tenancy import platform_session
from coaching.domain import Role
from coaching.store.engine import store_engine
from coaching.store.tables import User
from tests.api.conftest import Api

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds

    def wall(self) -> datetime:
        return NOW + timedelta(seconds=self.seconds)


def cache(ttl: float = 5.0) -> tuple[PrincipalCache[str], Clock]:
    clock = Clock()
    return PrincipalCache[str](ttl, clock=clock, wall=clock.wall), clock


def test_an_entry_lives_for_the_ttl_and_never_past_its_credential() -> None:
    principals, clock = cache()
    principals.put("token-a", "alice")
    principals.put("token-b", "bob", expires_at=NOW + timedelta(seconds=2))
    principals.put("token-c", "carol", expires_at=NOW - timedelta(seconds=1))
    assert principals.get("token-a") == "alice" and principals.get("token-b") == "bob"
    assert principals.get("token-c") is None  # already expired: never remembered
    clock.seconds = 2.5
    assert principals.get("token-a") == "alice" and principals.get("token-b") is None
    clock.seconds = 5.0
    assert principals.get("token-a") is None
    assert principals.get("token-z") is None


def test_a_ttl_of_zero_turns_the_cache_off_and_it_stays_bounded() -> None:
    off, _ = cache(0)
    off.put("token", "alice")
    assert off.get("token") is None and len(off) == 0
    bounded, _ = cache()
    for n in range(MAX_ENTRIES + 10):
        bounded.put(f"token-{n}", str(n))
    assert len(bounded) == MAX_ENTRIES
    assert bounded.get("token-0") is None and bounded.get(f"token-{MAX_ENTRIES + 9}") is not None


def _clocked(api: Api) -> Clock:
    clock = Clock()
    api.client.app.state.principals = PrincipalCache(5.0, clock=clock, wall=clock.wall)
    return clock


def test_a_change_made_in_this_process_is_seen_by_the_next_request(api: Api) -> None:
    _clocked(api)
    org = api.organization()
    assert api.client.get("/api-keys", headers=org.admin).status_code == 200  # now remembered
    engine = store_engine(api.settings)
    with platform_session(engine) as session:  # any session of this process, not only the API's
        session.execute(
            update(User)
            .where(User.email == org.emails[Role.ADMIN])
            .values(role=Role.CONTENT_SPECIALIST)
        )
        session.commit()
    engine.dispose()
    assert api.client.get("/api-keys", headers=org.admin).status_code == 403  # demoted at once


def test_a_change_made_by_another_process_is_seen_within_the_ttl(api: Api) -> None:
    clock = _clocked(api)
    org = api.organization()
    pm = org.headers[Role.PROGRAM_MANAGER]
    assert api.client.get("/workers", headers=pm).status_code == 200
    engine = store_engine(api.settings)
    with engine.begin() as connection:  # plain SQL, as another process or a DBA would change it
        connection.execute(
            text("update users set is_active = false where email = :email"),
            {"email": org.emails[Role.PROGRAM_MANAGER]},
        )
    engine.dispose()
    clock.seconds = 4.9
    assert api.client.get("/workers", headers=pm).status_code == 200  # the documented delay
    clock.seconds = 5.0
    answer = api.client.get("/workers", headers=pm)
    assert answer.status_code == 401 and "no longer active" in answer.json()["detail"]


def test_using_an_api_key_does_not_empty_the_cache(api: Api) -> None:
    _clocked(api)
    org = api.organization()
    created = api.client.post(
        "/api-keys", json={"name": "etl", "role": "program_manager"}, headers=org.admin
    )
    service = {"Authorization": f"Bearer {created.json()['key']}"}
    principals = api.client.app.state.principals
    assert api.client.get("/workers", headers=org.admin).status_code == 200
    before = len(principals)
    # The key's first use stamps its last_used_at (a commit on an api_keys row): bookkeeping,
    # which must not make the API forget everyone else.
    assert api.client.get("/workers", headers=service).status_code == 200
    assert len(principals) == before + 1
