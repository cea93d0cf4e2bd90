"""Logging in, registering an organization, the caller's organization, platform approval."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, Form, Header, Request
from sqlalchemy import func, select

from api import accounts
from api.crud import answer
from api.deps import (
    PlatformSessionDep,
    Principal,
    PrincipalDep,
    RowId,
    SettingsDep,
    TenantSessionDep,
    writer,
)
from api.problems import RESPONSES, Problem, field_problem, not_found, problem_response
from api.resources import without_nones
from api.routing import StoreRouter
from api.schemas import OrganizationRead, OrganizationUpdate, Registration, Token
from api.schemas.accounts import RefreshRequest
from api.schemas.delivery import TierChange
from api.security import hash_password
from api.tenancy import tenant_session
from coaching import entitlements
from coaching.domain import (
    ADMINS,
    TIER_MONTHLY_QUOTA,
    ApprovalStatus,
    OrganizationType,
    ProgramStatus,
    Role,
    Tier,
)
from coaching.store.tables import AuditEntry, Organization, Program, User
from coaching.store.types import new_id, utcnow

router = StoreRouter(responses=RESPONSES)


@router.post(
    "/auth/token",
    response_model=Token,
    tags=["auth"],
    summary="Log in (OAuth2 password)",
    responses={423: problem_response("Locked for a while after repeated failed sign-ins")},
)
def login(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=254, description="The email")],
    password: Annotated[
        str, Form(min_length=1, max_length=128, json_schema_extra={"format": "password"})
    ],
    session: PlatformSessionDep,
    settings: SettingsDep,
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
    scope: Annotated[str, Form(max_length=1000)] = "",
    otp: Annotated[
        str | None,
        Form(
            min_length=6,
            max_length=20,
            description="The authenticator's code (or a recovery code), for an account "
            "enrolled in two-factor sign-in",
        ),
    ] = None,
) -> Token:
    """The OAuth2 password flow's form (RFC 6749 4.3), with the bounds every parameter has, and
    the one-time code of an account with a second factor. Repeated failures lock the account
    for a while (423); too many attempts answer 429."""
    return accounts.sign_in(
        session,
        settings,
        request.app.state.secret_key,
        username,
        password,
        otp,
        client_address(request),
        request.app.state.rate_limits,
    )


@router.post(
    "/auth/refresh",
    response_model=Token,
    tags=["auth"],
    summary="Renew the tokens of a session",
    description="Each refresh token is good once and answers a new pair; using one a second "
    "time ends its session (it was copied).",
)
def refresh(request: Request, body: RefreshRequest, session: PlatformSessionDep) -> Token:
    state = request.app.state
    return accounts.refresh(session, state.settings, state.secret_key, body.refresh_token)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post(
    "/organizations/register",
    response_model=OrganizationRead,
    status_code=201,
    tags=["organizations"],
    summary="Register an organization and its first admin",
    description="A client organization is active at once; an expert organization (which publishes "
    "to the marketplace) waits for platform approval before it can change anything.",
)
def register(body: Registration, session: PlatformSessionDep) -> Any:
    organization_id = new_id()
    is_expert = body.type == OrganizationType.EXPERT
    organization = Organization(
        id=organization_id,
        name=body.name,
        slug=body.slug,
        type=body.type,
        tier=Tier.BASIC,
        approval_status=ApprovalStatus.PENDING if is_expert else ApprovalStatus.APPROVED,
        country=body.country,
        timezone=body.timezone,
        monthly_message_quota=TIER_MONTHLY_QUOTA[Tier.BASIC],
        created_by="registration",
    )
    session.add(organization)
    session.commit()
    # The admin is created in the new tenant's own session, so it is checked and audited as such.
    actor = "registration"
    with tenant_session(session.get_bind(), organization_id, actor) as tenant:
        tenant.add(
            User(
                email=str(body.admin_email).lower(),
                full_name=body.admin_name,
                role=Role.ADMIN,
                password_hash=hash_password(body.admin_password),
            )
        )
        try:
            tenant.commit()
        except Exception:
            tenant.rollback()
            session.delete(organization)  # never leave an organization without its admin
            session.commit()
            raise
    return organization


@router.get("/organizations/me", response_model=OrganizationRead, tags=["organizations"])
def my_organization(principal: PrincipalDep, session: TenantSessionDep) -> Any:
    organization = session.get(Organization, principal.organization_id)
    if organization is None:
        raise not_found("organization")
    return organization


@router.patch("/organizations/me", response_model=OrganizationRead, tags=["organizations"])
def update_my_organization(
    body: OrganizationUpdate,
    principal: Annotated[Principal, writer(ADMINS, "the organization")],
    session: TenantSessionDep,
) -> Any:
    organization = session.get(Organization, principal.organization_id)
    if organization is None:
        raise not_found("organization")
    values = body.model_dump(exclude_unset=True)
    if isinstance(values.get("experiment_defaults"), dict):
        values["experiment_defaults"] = without_nones(values["experiment_defaults"])
    for name, value in values.items():
        setattr(organization, name, value)
    return answer(session, OrganizationRead, organization, values)  # triggers claim the numbers


def platform_operator(
    settings: SettingsDep, authorization: Annotated[str | None, Header(max_length=512)] = None
) -> None:
    """Platform routes answer only to the configured platform token; unset, they do not exist."""
    expected = settings.platform_token
    if expected is None:
        raise not_found("route")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Problem(401, "platform token required")


@router.post(
    "/platform/organizations/{organization_id}/approval",
    response_model=OrganizationRead,
    tags=["platform"],
    dependencies=[Depends(platform_operator)],
    summary="Approve or reject an expert organization",
)
def approve(organization_id: RowId, approve: bool, session: PlatformSessionDep) -> Any:
    status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    return _platform_change(session, organization_id, {"approval_status": status})


@router.post(
    "/platform/organizations/{organization_id}/tier",
    response_model=OrganizationRead,
    tags=["platform"],
    dependencies=[Depends(platform_operator)],
    summary="Change an organization's tier (and its monthly quota)",
    description="The quota becomes the tier's unless one is given; the grace allowance for "
    "urgent content follows the tier. Recorded in the organization's audit log. A downgrade the "
    "organization's users or running programs exceed is refused with the reason.",
)
def change_tier(organization_id: RowId, body: TierChange, session: PlatformSessionDep) -> Any:
    tier = Tier(body.tier)
    quota = body.monthly_message_quota
    changes = {
        "tier": tier,
        "monthly_message_quota": TIER_MONTHLY_QUOTA[tier] if quota is None else quota,
    }
    with tenant_session(session.get_bind(), organization_id, "platform") as tenant:
        users = tenant.scalar(
            select(func.count()).select_from(User).where(User.is_active, User.deleted_at.is_(None))
        )
        running = tenant.scalar(
            select(func.count())
            .select_from(Program)
            .where(Program.status == ProgramStatus.ACTIVE, Program.deleted_at.is_(None))
        )
    if refusal := entitlements.active_users_refusal(tier, users or 0):
        raise field_problem("body.tier", f"{refusal}; {users} are active", 409)
    if refusal := entitlements.active_programs_refusal(tier, running or 0):
        raise field_problem("body.tier", f"{refusal}; {running} are running", 409)
    return _platform_change(session, organization_id, changes)


def _platform_change(session: Any, organization_id: str, changes: dict[str, Any]) -> Any:
    """Apply a platform operator's change to an organization, with its audit entry."""
    organization = session.get(Organization, organization_id)
    if organization is None or organization.deleted_at is not None:
        raise not_found("organization")
    for name, value in changes.items():
        setattr(organization, name, value)
    organization.updated_by = "platform"
    session.add(
        AuditEntry(
            organization_id=organization.id,
            actor="platform",
            action="update",
            entity="organizations",
            entity_id=organization.id,
            changes=dict(changes),
            at=utcnow(),
        )
    )
    session.commit()
    return organization
