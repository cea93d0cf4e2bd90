"""The signed-in user's own account: their sessions (list, end one, log out) and their second
factor (enrol a TOTP authenticator, confirm it, new recovery codes, turn it off).

Everything here is the caller's own and runs in their tenant session, so each change is in the
audit log like any other (secrets only as "(changed)").

(No `from __future__ import annotations`: FastAPI reads the models in the signatures.)
"""

from typing import Any

from fastapi import Response
from sqlalchemy import select, update

from api.accounts import end_session, second_factor
from api.deps import Principal, PrincipalDep, RowId, TenantSessionDep
from api.problems import RESPONSES, Problem, not_found
from api.routing import StoreRouter
from api.schemas.accounts import (
    MfaEnrolment,
    OneTimeCode,
    RecoveryCodes,
    SessionList,
    SessionRead,
)
from api.security import (
    accepted_totp_step,
    hash_secret,
    new_recovery_codes,
    new_totp_secret,
    normalize_recovery_code,
    totp_uri,
)
from coaching.accounts import RECOVERY_CODES
from coaching.store.tables import RecoveryCode, User, UserSession
from coaching.store.types import utcnow

router = StoreRouter(tags=["auth"], responses=RESPONSES)


def _user(session: Any, principal: Principal) -> User:
    if principal.user_id is None:
        raise Problem(403, "an API key has no account of its own: sign in as a user")
    user = session.get(User, principal.user_id)
    if user is None:
        raise not_found("user")
    return user


@router.post("/auth/logout", status_code=204, summary="End this session")
def logout(principal: PrincipalDep, session: TenantSessionDep) -> Response:
    """Its refresh token stops working and so does every access token it issued."""
    _user(session, principal)
    record = session.get(UserSession, principal.session_id) if principal.session_id else None
    if record is not None:
        end_session(session, record, "logout", utcnow())
        session.commit()
    return Response(status_code=204)


@router.get("/auth/sessions", response_model=SessionList, summary="My open sessions")
def my_sessions(principal: PrincipalDep, session: TenantSessionDep) -> Any:
    user = _user(session, principal)
    rows = session.scalars(
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
        .order_by(UserSession.created_at.desc())
    )
    return SessionList(
        items=[
            SessionRead(
                id=r.id,
                created_at=r.created_at,
                last_refreshed_at=r.last_refreshed_at,
                expires_at=r.expires_at,
                current=r.id == principal.session_id,
            )
            for r in rows
        ]
    )


@router.delete("/auth/sessions/{row_id}", status_code=204, summary="End one of my sessions")
def end_my_session(row_id: RowId, principal: PrincipalDep, session: TenantSessionDep) -> Response:
    """A device lost or left signed in: its tokens stop working on their next request."""
    user = _user(session, principal)
    record = session.get(UserSession, row_id)
    if record is None or record.user_id != user.id:
        raise not_found("session")
    end_session(session, record, "ended", utcnow())
    session.commit()
    return Response(status_code=204)


@router.post(
    "/auth/mfa/enrolment",
    response_model=MfaEnrolment,
    summary="Start two-factor sign-in",
    description="A new TOTP secret for an authenticator app. Sign-in does not ask for a code "
    "until POST /auth/mfa/enrolment/confirm proves the app has it.",
)
def start_enrolment(principal: PrincipalDep, session: TenantSessionDep) -> Any:
    user = _user(session, principal)
    if user.totp_enabled_at is not None:
        raise Problem(409, "two-factor sign-in is already on: turn it off first to change it")
    user.totp_secret = new_totp_secret()
    user.totp_last_step = None
    session.commit()
    return MfaEnrolment(secret=user.totp_secret, otpauth_uri=totp_uri(user.totp_secret, user.email))


@router.post(
    "/auth/mfa/enrolment/confirm",
    response_model=RecoveryCodes,
    summary="Turn two-factor sign-in on",
    description="With a code from the app, the second factor is in force from the next sign-in; "
    f"the answer holds {RECOVERY_CODES} recovery codes, shown this once.",
)
def confirm_enrolment(body: OneTimeCode, principal: PrincipalDep, session: TenantSessionDep) -> Any:
    user = _user(session, principal)
    if user.totp_enabled_at is not None:
        raise Problem(409, "two-factor sign-in is already on")
    if user.totp_secret is None:
        raise Problem(409, "no enrolment started: POST /auth/mfa/enrolment first")
    step = accepted_totp_step(user.totp_secret, body.code, user.totp_last_step)
    if step is None:
        raise Problem(403, "wrong or expired code: use the code the app shows now")
    user.totp_last_step = step
    user.totp_enabled_at = utcnow()
    codes = _replace_recovery_codes(session, user)
    session.commit()
    return RecoveryCodes(recovery_codes=codes)


@router.post(
    "/auth/mfa/recovery-codes",
    response_model=RecoveryCodes,
    summary="New recovery codes",
    description="With a current code, the old recovery codes stop working and new ones are "
    "shown this once.",
)
def new_codes(body: OneTimeCode, principal: PrincipalDep, session: TenantSessionDep) -> Any:
    user = _enrolled(session, principal, body.code)
    codes = _replace_recovery_codes(session, user)
    session.commit()
    return RecoveryCodes(recovery_codes=codes)


@router.post("/auth/mfa/disable", status_code=204, summary="Turn two-factor sign-in off")
def disable(body: OneTimeCode, principal: PrincipalDep, session: TenantSessionDep) -> Response:
    """Needs a current code (or a recovery code): a stolen session alone cannot remove it."""
    user = _enrolled(session, principal, body.code)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    _retire_recovery_codes(session, user)
    session.commit()
    return Response(status_code=204)


def _enrolled(session: Any, principal: Principal, code: str) -> User:
    """The caller, once `code` proves their second factor (a TOTP code or a recovery code)."""
    user = _user(session, principal)
    if user.totp_enabled_at is None or user.totp_secret is None:
        raise Problem(409, "two-factor sign-in is not on")
    if second_factor(session, user, code, utcnow()) is None:
        raise Problem(403, "wrong or expired code")
    return user


def _retire_recovery_codes(session: Any, user: User) -> None:
    session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.deleted_at.is_(None))
        .values(deleted_at=utcnow())
    )


def _replace_recovery_codes(session: Any, user: User) -> list[str]:
    _retire_recovery_codes(session, user)
    codes = new_recovery_codes(RECOVERY_CODES)
    for code in codes:
        session.add(
            RecoveryCode(user_id=user.id, code_hash=hash_secret(normalize_recovery_code(code)))
        )
    return codes
