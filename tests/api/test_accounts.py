"""Accounts: sessions with refresh tokens (rotation, reuse, logout), lockout after failed
sign-ins, two-factor sign-in with TOTP and recovery codes, and the audit entry of every sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from api.security import totp_code
from coaching.accounts import MAX_FAILED_SIGN_INS, RECOVERY_CODES
from coaching.domain import Role
from coaching.store.engine import store_engine
from coaching.store.tables import User
from coaching.store.types import utcnow
from tests.api.conftest import PASSWORD, Api, Org


def sign_in(api: Api, email: str, password: str = PASSWORD, otp: str | None = None) -> Any:
    data = {"username": email, "password": password} | ({"otp": otp} if otp else {})
    return api.client.post("/auth/token", data=data)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audit(api: Api, org: Org, action: str) -> list[dict[str, Any]]:
    entries = api.client.get("/audit-log?limit=200", headers=org.admin).json()["items"]
    return [e for e in entries if e["action"] == action]


def set_user(api: Api, email: str, **values: Any) -> None:
    engine = store_engine(api.settings)
    with engine.begin() as connection:
        connection.execute(update(User).where(User.email == email).values(**values))
    engine.dispose()


def test_a_refresh_token_renews_the_session_once(api: Api) -> None:
    org = api.organization()
    first = sign_in(api, org.emails[Role.PROGRAM_MANAGER]).json()
    assert first["refresh_token"].startswith("rt_") and first["refresh_expires_in"] > 86_400
    second = api.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"]
    assert api.client.get("/workers", headers=bearer(renewed["access_token"])).status_code == 200

    # The first token again: it was copied, so the whole session ends, for both holders.
    replay = api.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]
    after = api.client.post("/auth/refresh", json={"refresh_token": renewed["refresh_token"]})
    assert after.status_code == 401
    assert api.client.get("/workers", headers=bearer(renewed["access_token"])).status_code == 401
    assert len(audit(api, org, "refresh_reused")) == 1
    nonsense = api.client.post("/auth/refresh", json={"refresh_token": "rt_nothing"})
    assert nonsense.status_code == 401


def test_logout_ends_the_session_and_its_tokens_only(api: Api) -> None:
    org = api.organization()
    email = org.emails[Role.ADMIN]
    laptop, phone = sign_in(api, email).json(), sign_in(api, email).json()
    sessions = api.client.get("/auth/sessions", headers=bearer(laptop["access_token"])).json()
    current = [s for s in sessions["items"] if s["current"]]
    assert len(current) == 1 and len(sessions["items"]) >= 3  # the fixture's sign-in too

    assert (
        api.client.post("/auth/logout", headers=bearer(laptop["access_token"])).status_code == 204
    )
    assert api.client.get("/workers", headers=bearer(laptop["access_token"])).status_code == 401
    refreshed = api.client.post("/auth/refresh", json={"refresh_token": laptop["refresh_token"]})
    assert refreshed.status_code == 401
    assert api.client.get("/workers", headers=bearer(phone["access_token"])).status_code == 200

    # The phone ends another of the user's sessions (the fixture's), by id.
    listed = api.client.get("/auth/sessions", headers=bearer(phone["access_token"])).json()
    other = next(s for s in listed["items"] if not s["current"])
    ended = api.client.delete(
        f"/auth/sessions/{other['id']}", headers=bearer(phone["access_token"])
    )
    assert ended.status_code == 204
    assert api.client.get("/workers", headers=org.admin).status_code == 401
    # No one ends a session that is not theirs.
    stranger = api.organization()
    mine = api.client.get("/auth/sessions", headers=stranger.admin).json()["items"][0]
    theirs = api.client.delete(
        f"/auth/sessions/{mine['id']}", headers=bearer(phone["access_token"])
    )
    assert theirs.status_code == 404
    assert api.client.get("/workers", headers=stranger.admin).status_code == 200


def test_repeated_failures_lock_the_account_for_a_while(api: Api) -> None:
    org = api.organization()
    email = org.emails[Role.PROGRAM_MANAGER]
    for attempt in range(1, MAX_FAILED_SIGN_INS + 1):
        wrong = sign_in(api, email, "not the password")
        expected = 423 if attempt == MAX_FAILED_SIGN_INS else 401
        assert wrong.status_code == expected, (attempt, wrong.text)
    assert int(wrong.headers["Retry-After"]) > 60
    # Locked: even the right password is refused, and says until when.
    locked = sign_in(api, email)
    assert locked.status_code == 423 and "locked" in locked.json()["detail"]
    failures = audit(api, org, "sign_in_failed")
    assert len(failures) == MAX_FAILED_SIGN_INS
    assert all(f["changes"]["reason"] == "password" for f in failures)
    assert "locked_until" in failures[0]["changes"]  # newest first: the one that locked it
    assert len(audit(api, org, "sign_in_locked")) == 1

    # Once the lock has passed, the right password signs in and the count starts again.
    set_user(api, email, locked_until=utcnow() - timedelta(seconds=1))
    assert sign_in(api, email).status_code == 200
    assert sign_in(api, email, "not the password").status_code == 401
    assert sign_in(api, email).status_code == 200
    succeeded = audit(api, org, "sign_in")
    assert succeeded[0]["changes"]["method"] == "password" and succeeded[0]["changes"]["client"]
    assert succeeded[0]["entity_id"] == org.user_ids[Role.PROGRAM_MANAGER]


def test_two_factor_sign_in_with_an_authenticator_and_recovery_codes(api: Api) -> None:
    org = api.organization()
    email = org.emails[Role.ADMIN]
    started = api.client.post("/auth/mfa/enrolment", headers=org.admin).json()
    secret = started["secret"]
    assert started["otpauth_uri"].startswith("otpauth://totp/") and secret in started["otpauth_uri"]
    # Not in force until confirmed: a password alone still signs in.
    assert sign_in(api, email).status_code == 200
    refused = api.client.post(
        "/auth/mfa/enrolment/confirm", json={"code": "000000"}, headers=org.admin
    )
    assert refused.status_code == 403
    now = datetime.now(UTC)
    confirmed = api.client.post(
        "/auth/mfa/enrolment/confirm", json={"code": totp_code(secret, now)}, headers=org.admin
    )
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == RECOVERY_CODES

    needed = sign_in(api, email)
    assert needed.status_code == 401 and needed.headers["X-Coach-OTP"] == "required"
    assert sign_in(api, email, otp="123456").status_code == 401
    # The code of the next step (the app a little ahead): accepted once, then not again.
    ahead = totp_code(secret, now + timedelta(seconds=30))
    assert sign_in(api, email, otp=ahead).status_code == 200
    assert sign_in(api, email, otp=ahead).status_code == 401
    assert sign_in(api, email, "wrong", otp=totp_code(secret, now)).status_code == 401

    # A lost phone: a recovery code signs in once, typed however.
    typed = codes[0].upper().replace("-", " ")
    recovered = sign_in(api, email, otp=typed)
    assert recovered.status_code == 200, recovered.text
    assert sign_in(api, email, otp=codes[0]).status_code == 401
    methods = [e["changes"]["method"] for e in audit(api, org, "sign_in")]
    assert methods[:2] == ["password+recovery_code", "password+totp"]
    # The stored user shows the secret only as changed, never its value.
    updates = [e for e in audit(api, org, "update") if e["entity"] == "users"]
    assert any(e["changes"].get("totp_secret") == "(changed)" for e in updates)
    assert secret not in str(updates)

    # Turning it off needs a code too; then the password alone signs in again.
    session = bearer(recovered.json()["access_token"])
    wrong = api.client.post("/auth/mfa/disable", json={"code": "999999"}, headers=session)
    assert wrong.status_code == 403
    off = api.client.post("/auth/mfa/disable", json={"code": codes[1]}, headers=session)
    assert off.status_code == 204
    assert sign_in(api, email).status_code == 200


def test_an_api_key_has_no_session_or_second_factor(api: Api) -> None:
    org = api.organization()
    created = api.client.post(
        "/api-keys", json={"name": "etl", "role": "program_manager"}, headers=org.admin
    )
    key = bearer(created.json()["key"])
    assert api.client.post("/auth/logout", headers=key).status_code == 403
    assert api.client.post("/auth/mfa/enrolment", headers=key).status_code == 403
    assert api.client.get("/workers", headers=key).status_code == 200
