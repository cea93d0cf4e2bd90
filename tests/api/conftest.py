"""An API per store backend, and factories for organizations, users and their tokens."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.security import hash_password
from api.tenancy import platform_session
from coaching.domain import TIER_MONTHLY_QUOTA, OrganizationType, Role, Tier
from coaching.settings import Settings, load_settings
from coaching.store import migrate
from coaching.store.engine import make_engine, store_engine
from coaching.store.tables import Organization, User
from coaching.store.types import new_id
from tests.conftest import private_postgres
from tests.store_keys import TEST_FIELD_KEYS, TEST_KEY_ENVIRONMENT
from tests.worlds import copy_store

PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give each operation schemathesis fuzzes its own node id.

    schemathesis names its items `test[GET /path]` but gives them all the test's bare node id, and
    pytest-xdist schedules and reports by node id: under `make test` (`-n 2 --dist loadfile`) the
    duplicates were silently dropped. Only items whose name carries a part their id lacks change.
    """
    for item in items:
        own = item.parent.id.child(item.name) if item.parent else None
        if own is not None and item.nodeid != str(own):
            item._id = own  # pytest has no public setter for a node id


_HASH = hash_password(PASSWORD)  # hashing is slow on purpose; tests share one hash


@dataclass
class Org:
    id: str
    slug: str
    whatsapp_sender: str
    headers: dict[Role, dict[str, str]] = field(default_factory=dict)
    emails: dict[Role, str] = field(default_factory=dict)
    user_ids: dict[Role, str] = field(default_factory=dict)

    @property
    def admin(self) -> dict[str, str]:
        return self.headers[Role.ADMIN]


@dataclass
class Api:
    client: TestClient
    settings: Settings

    def organization(
        self,
        *,
        tier: Tier = Tier.PREMIUM,
        type: OrganizationType = OrganizationType.CLIENT,
        approved: bool = True,
    ) -> Org:
        """An organization with one user per role, each logged in."""
        tag = uuid.uuid4().hex[:10]
        sender = f"+1555{int(tag[:7], 16) % 10_000_000:07d}"
        engine = store_engine(self.settings)
        with platform_session(engine) as session:
            organization = Organization(
                name=f"Org {tag}",
                slug=f"org-{tag}",
                type=type,
                tier=tier,
                approval_status="approved" if approved else "pending",
                monthly_message_quota=TIER_MONTHLY_QUOTA[tier],
                whatsapp_sender=sender,
                timezone="Africa/Nairobi",
            )
            session.add(organization)
            session.flush()
            org = Org(organization.id, organization.slug, sender)
            for role in Role:
                email = f"{role}-{tag}@example.org"
                user = User(
                    id=new_id(),
                    organization_id=organization.id,
                    email=email,
                    full_name=f"{role} {tag}",
                    role=role,
                    password_hash=_HASH,
                )
                session.add(user)
                org.emails[role] = email
                org.user_ids[role] = user.id
            session.commit()
        engine.dispose()
        for role, email in org.emails.items():
            org.headers[role] = self.login(email)
        return org

    def login(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        answer = self.client.post("/auth/token", data={"username": email, "password": password})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def api_settings(home: Path, database_url: str, **extra: str) -> Settings:
    environ = {
        "COACH_HOME": str(home),
        "COACH_DATABASE_URL": database_url,
        **TEST_KEY_ENVIRONMENT,
        **extra,
    }
    return load_settings(environ)


@pytest.fixture(scope="session")
def api_postgres_url() -> Iterator[str | None]:
    """The API tests' own PostgreSQL database: they add organizations other tests do not expect."""
    yield from private_postgres()


@pytest.fixture(params=["sqlite", "postgresql"])
def api_store_url(
    request: pytest.FixtureRequest, tmp_path: Path, api_postgres_url: str | None
) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    if api_postgres_url is None:
        pytest.skip("COACH_TEST_POSTGRES_URL is not set")
    return api_postgres_url


@pytest.fixture
def api(api_store_url: str, tmp_path: Path) -> Iterator[Api]:
    """The API on each backend (PostgreSQL with row-level security when configured)."""
    store_url = api_store_url
    settings = api_settings(tmp_path, store_url, COACH_PLATFORM_TOKEN="p" * 40)
    engine = make_engine(store_url, field_keys=TEST_FIELD_KEYS)
    migrate.upgrade(engine)
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        yield Api(client, settings)


@dataclass
class ConsoleWorld:
    """The built world's marts with a copy of its store whose users have a password."""

    settings: Settings
    organization_id: str
    other_organization_id: str
    emails: dict[Role, str]


@pytest.fixture
def console_world(built_world, tmp_path: Path) -> ConsoleWorld:

    from sqlalchemy import select, update

    settings = built_world[0]
    mine = copy_store(settings, tmp_path, new_home=True)
    engine = store_engine(mine)
    with platform_session(engine) as session:
        session.execute(update(User).values(password_hash=_HASH))
        # The client organization with the most programs, and another one.
        clients = list(
            session.scalars(
                select(Organization.id)
                .where(Organization.type == OrganizationType.CLIENT)
                .order_by(Organization.slug)
            )
        )
        users = list(session.scalars(select(User).where(User.organization_id == clients[0])))
        session.commit()
    engine.dispose()
    return ConsoleWorld(
        mine, clients[0], clients[1], {Role(u.role): u.email for u in users if u.is_active}
    )
