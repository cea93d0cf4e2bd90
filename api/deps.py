"""Typed dependencies: who is calling, in which organization, with which session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import anyio
from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.principals import PrincipalCache
from api.problems import Problem
from api.security import api_key_matches, api_key_prefix, read_token
from api.tenancy import platform_session, tenant_session
from api.versions import CURRENT
from coaching.domain import ApprovalStatus, OrganizationType, Role, Tier
from coaching.settings import Settings
from coaching.store.tables import ApiKey, Organization, User, UserSession

oauth2 = OAuth2PasswordBearer(tokenUrl=f"{CURRENT}/auth/token", auto_error=False)
KEY_TOUCH_INTERVAL = timedelta(minutes=1)  # how stale an API key's last_used_at may get


@dataclass(frozen=True)
class Principal:
    """The caller: a user (through an access token) or a service account (an API key)."""

    organization_id: str
    role: Role
    actor: str  # "user:<id>" or "api_key:<id>", as the audit log records it
    tier: Tier
    organization_type: OrganizationType
    approved: bool
    session_id: str | None = None  # the sign-in an access token belongs to (None: an API key)

    @property
    def user_id(self) -> str | None:
        return self.actor.removeprefix("user:") if self.actor.startswith("user:") else None

    @property
    def api_key_id(self) -> str | None:
        return self.actor.removeprefix("api_key:") if self.actor.startswith("api_key:") else None


# The small dependencies are async: a sync one costs each request a trip to a worker thread.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


EngineDep = Annotated[Engine, Depends(get_engine)]
# Row ids are UUIDs (36 characters); the bound keeps anything longer out of the store's queries.
RowId = Annotated[
    str, Path(min_length=1, max_length=64, examples=["6f1c2a9e-0000-4000-8000-000000000001"])
]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_platform_session(engine: EngineDep) -> AsyncIterator[Session]:
    """Async on purpose (as is get_tenant_session): creating a session does no I/O, and the
    teardown that returns its connection must not wait for a worker thread, or a burst of
    requests holding every thread would wait forever for connections only teardowns free."""
    with platform_session(engine) as session:
        yield session


# scope="function": the session closes (and returns its connection) when the route returns, not
# after the response is serialized, which for sync routes itself waits for a worker thread.
PlatformSessionDep = Annotated[Session, Depends(get_platform_session, scope="function")]


def _unauthorized(detail: str = "missing or invalid credentials") -> Problem:
    return Problem(401, detail)


def _principal_for_key(session: Session, key: str) -> tuple[Principal, datetime | None]:
    prefix = api_key_prefix(key)
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix)) if prefix else None
    now = datetime.now(UTC)
    if (
        row is None
        or not api_key_matches(key, row.key_hash)
        or row.revoked_at is not None
        or row.deleted_at is not None
        or (row.expires_at is not None and row.expires_at <= now)
    ):
        raise _unauthorized("invalid, revoked or expired API key")
    if row.last_used_at is None or now - row.last_used_at > KEY_TOUCH_INTERVAL:
        row.last_used_at = now
        session.commit()
    principal = _principal(session, row.organization_id, Role(row.role), f"api_key:{row.id}")
    return principal, row.expires_at


def _principal(session: Session, organization_id: str, role: Role, actor: str) -> Principal:
    organization = session.get(Organization, organization_id)
    if organization is None or organization.deleted_at is not None:
        raise _unauthorized("the organization no longer exists")
    return Principal(
        organization_id=organization_id,
        role=role,
        actor=actor,
        tier=Tier(organization.tier),
        organization_type=OrganizationType(organization.type),
        approved=organization.approval_status == ApprovalStatus.APPROVED,
    )


def look_up(engine: Engine, secret_key: str, token: str) -> tuple[Principal, datetime | None]:
    """Who holds `token` (an access token or an API key), checked against the store as it is
    now, and when the credential itself expires (None: never).

    Uses its own short session, returned to the pool before the route runs, so a request never
    holds two connections at once."""
    with platform_session(engine) as session:
        if api_key_prefix(token):
            return _principal_for_key(session, token)
        claims = read_token(token, secret_key)
        if claims is None:
            raise _unauthorized("invalid or expired access token")
        user = session.get(User, claims.user_id)
        if user is None or not user.is_active or user.deleted_at is not None:
            raise _unauthorized("the user is no longer active")
        if claims.session_id is not None:
            record = session.get(UserSession, claims.session_id)
            if record is None or record.revoked_at is not None or record.user_id != user.id:
                raise _unauthorized("the session has ended: sign in again")
        # The role is read from the store, not the token: a demotion takes effect at once.
        principal = _principal(session, user.organization_id, Role(user.role), f"user:{user.id}")
        return replace(principal, session_id=claims.session_id), claims.expires_at


def principal_for_token(request: Request, engine: Engine, token: str | None) -> Principal:
    """The console's check of its cookie's token: read from the store on every page (people
    click, they do not send hundreds of requests a second)."""
    if not token:
        raise _unauthorized()
    return look_up(engine, request.app.state.secret_key, token)[0]


async def get_principal(
    request: Request, token: Annotated[str | None, Depends(oauth2)]
) -> Principal:
    """Who is calling, from the bearer token: from the app's principal cache (api.principals)
    when it knows the token, else looked up on a worker thread and remembered."""
    if not token:
        raise _unauthorized()
    state = request.app.state
    cache: PrincipalCache[Principal] = state.principals
    principal = cache.get(token)
    if principal is None:
        principal, expires_at = await anyio.to_thread.run_sync(
            look_up, state.engine, state.secret_key, token
        )
        cache.put(token, principal, expires_at)
    state.rate_limits.request(principal.organization_id, principal.api_key_id)
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_tenant_session(engine: EngineDep, principal: PrincipalDep) -> AsyncIterator[Session]:
    with tenant_session(engine, principal.organization_id, principal.actor) as session:
        yield session


TenantSessionDep = Annotated[Session, Depends(get_tenant_session, scope="function")]


def writer(roles: frozenset[Role], what: str) -> Any:
    """A dependency giving the caller, who must hold one of `roles` in an organization the
    platform has approved: `principal: Annotated[Principal, writer(ADMINS, "API keys")]`."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            allowed = ", ".join(sorted(roles))
            raise Problem(403, f"{principal.role} may not change {what} (allowed: {allowed})")
        if not principal.approved:
            raise Problem(403, "the organization is awaiting platform approval")
        return principal

    return Depends(check)


def reader(roles: frozenset[Role] | None, what: str) -> Any:
    """A dependency giving the caller, who must hold one of `roles` (None: any role)."""

    async def check(principal: PrincipalDep) -> Principal:
        return may_read(principal, roles, what)

    return Depends(check)


def may_read(principal: Principal, roles: frozenset[Role] | None, what: str) -> Principal:
    """`principal`, if one of `roles` (None: any role) may read `what`; 403 otherwise."""
    if roles is not None and principal.role not in roles:
        raise Problem(403, f"{principal.role} may not read {what}")
    return principal
