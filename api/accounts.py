"""Signing in and staying signed in: passwords, the second factor, sessions and their refresh.

A sign-in checks, in order: the attempt rate (per email and client address, api.rate_limits),
the account's lock (coaching.accounts), the password, then the TOTP code or a recovery code when
the user enrolled one. Every outcome for a known account is written to its organization's audit
log (`sign_in`, `sign_in_failed`, `sign_in_locked`), with the client address; an unknown email
has no organization to log to and is only counted against the rate.

A successful sign-in opens a `UserSession`: the access token names it (`sid`), and a refresh
token, good once, renews the pair. A refresh token used twice was copied: the session ends at
once (`revoked_reason = reuse`), so whoever holds either copy is signed out. Logging out ends the
session, and with it every access token it issued, on the next request.

These functions use the platform session (the caller is not yet anyone), so they set the tenant
columns and write the audit entries themselves.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.problems import Problem
from api.schemas import Token
from api.security import (
    TokenClaims,
    accepted_totp_step,
    hash_secret,
    issue_token,
    new_refresh_token,
    normalize_recovery_code,
    verify_password,
)
from coaching.accounts import after_failure, is_locked
from coaching.settings import Settings
from coaching.store.tables import AuditEntry, RecoveryCode, RefreshToken, User, UserSession
from coaching.store.types import new_id, utcnow

log = logging.getLogger(__name__)
WRONG = "wrong email or password"
CODE_NEEDED = "this account signs in with a one-time code: send the authenticator's code as `otp`"


def sign_in(
    session: Session,
    settings: Settings,
    key: str,
    email: str,
    password: str,
    otp: str | None = None,
    client: str | None = None,
    limits: Any = None,
) -> Token:
    """A new session's tokens for the user with this email, password and (if enrolled) code."""
    if limits is not None:
        limits.sign_in(email, client)
    user = session.scalar(select(User).where(User.email == email.lower()))
    valid = verify_password(password, user.password_hash if user else None)
    if user is None or not user.is_active or user.deleted_at is not None:
        log.info("sign-in refused for an unknown or inactive account from %s", client)
        raise Problem(401, WRONG)
    now = utcnow()
    if is_locked(user.locked_until, now):
        _audit(session, user, "sign_in_locked", {"client": client})
        session.commit()
        raise _locked(user.locked_until)
    if not valid:
        _fail(session, user, "password", client, now)
    method = "password"
    if user.totp_enabled_at is not None:
        if not otp:
            raise Problem(401, CODE_NEEDED, headers={"X-Coach-OTP": "required"})
        factor = second_factor(session, user, otp, now)
        if factor is None:
            _fail(session, user, "one_time_code", client, now)
        method = f"password+{factor}"
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_login_at = now
    record = UserSession(
        id=new_id(),
        organization_id=user.organization_id,
        user_id=user.id,
        expires_at=now + timedelta(days=settings.api_refresh_token_days),
        created_by=f"user:{user.id}",
        updated_by=f"user:{user.id}",
    )
    session.add(record)
    session.flush()  # the session before the token that points at it
    refresh = _new_refresh(session, record)
    _audit(session, user, "sign_in", {"method": method, "client": client, "session": record.id})
    session.commit()
    return _token(settings, key, user, record, refresh, now)


def refresh(session: Session, settings: Settings, key: str, token: str) -> Token:
    """The next pair of a session, for its latest refresh token (once)."""
    row = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == hash_secret(token)))
    record = session.get(UserSession, row.session_id) if row is not None else None
    now = utcnow()
    if row is None or record is None or record.revoked_at is not None or record.expires_at <= now:
        raise Problem(401, "invalid or expired refresh token: sign in again")
    user = session.get(User, record.user_id)
    if user is None or not user.is_active or user.deleted_at is not None:
        raise Problem(401, "the user is no longer active")
    # Spent in one statement, so two requests racing with the same token cannot both win.
    spent = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:
        end_session(session, record, "reuse", now)
        _audit(session, user, "refresh_reused", {"session": record.id})
        session.commit()
        raise Problem(401, "this refresh token was already used: the session is ended")
    record.last_refreshed_at = now
    new = _new_refresh(session, record)
    session.commit()
    return _token(settings, key, user, record, new, now)


def end_session(session: Session, record: UserSession, reason: str, now: datetime) -> None:
    if record.revoked_at is None:
        record.revoked_at = now
        record.revoked_reason = reason


def second_factor(session: Session, user: User, otp: str, now: datetime) -> str | None:
    """How the code proved the second factor (`totp`, `recovery_code`), or None if it did not;
    the code is spent either way it proved it (the TOTP step is stored, the recovery code used)."""
    step = accepted_totp_step(user.totp_secret or "", otp, user.totp_last_step, now)
    if step is not None:
        user.totp_last_step = step
        return "totp"
    code = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_secret(normalize_recovery_code(otp)),
            RecoveryCode.used_at.is_(None),
            RecoveryCode.deleted_at.is_(None),
        )
    )
    if code is None:
        return None
    code.used_at = now
    return "recovery_code"


def _fail(session: Session, user: User, reason: str, client: str | None, now: datetime) -> None:
    outcome = after_failure(user.failed_sign_ins, now)
    user.failed_sign_ins = outcome.failed_sign_ins
    user.locked_until = outcome.locked_until or user.locked_until
    changes = {"reason": reason, "client": client}
    if outcome.locked_until is not None:
        changes["locked_until"] = outcome.locked_until.isoformat()
    _audit(session, user, "sign_in_failed", changes)
    session.commit()
    if outcome.locked_until is not None:
        raise _locked(outcome.locked_until)
    raise Problem(401, WRONG if reason == "password" else "wrong one-time code")


def _locked(until: datetime | None) -> Problem:
    moment = until.isoformat(timespec="seconds") if until else "later"
    return Problem(
        423,
        f"the account is locked after repeated failed sign-ins, until {moment}",
        headers={"Retry-After": str(max(1, int((until - utcnow()).total_seconds())))}
        if until
        else None,
    )


def _new_refresh(session: Session, record: UserSession) -> str:
    token, token_hash = new_refresh_token()
    session.add(
        RefreshToken(
            id=new_id(),
            organization_id=record.organization_id,
            session_id=record.id,
            token_hash=token_hash,
            created_by=record.created_by,
            updated_by=record.created_by,
        )
    )
    return token


def _token(
    settings: Settings, key: str, user: User, record: UserSession, refresh: str, now: datetime
) -> Token:
    claims = TokenClaims(user.id, user.organization_id, user.role, session_id=record.id)
    return Token(
        access_token=issue_token(claims, key, settings.api_token_minutes),
        expires_in=settings.api_token_minutes * 60,
        refresh_token=refresh,
        refresh_expires_in=max(0, int((record.expires_at - now).total_seconds())),
    )


def _audit(session: Session, user: User, action: str, changes: dict[str, Any]) -> None:
    session.add(
        AuditEntry(
            organization_id=user.organization_id,
            actor=f"user:{user.id}",
            action=action,
            entity="users",
            entity_id=user.id,
            changes={k: v for k, v in changes.items() if v is not None},
            at=utcnow(),
        )
    )
