"""Credentials: password hashes, access tokens, refresh tokens, API keys and one-time codes.

Passwords are low-entropy, so they get a slow memory-hard hash (Argon2id via pwdlib). API keys are
256 random bits, so a fast SHA-256 is enough to make a stolen table useless, and lets every request
check a key without spending 50 ms on it. Keys carry a public prefix to find the row in one lookup. Refresh tokens and recovery codes are
random too (256 and 60 bits), so they are kept the same way.

The second factor is TOTP (RFC 6238, through pyotp): 6 digits, 30-second steps, one step of
clock drift either way, and a code is accepted once (the step it matched is stored).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
import pyotp
from pwdlib import PasswordHash

from coaching.home_secrets import home_secret
from coaching.settings import Settings

ALGORITHM = "HS256"
ISSUER = "abcd-coaching"
KEY_PREFIX = "coach_"
REFRESH_PREFIX = "rt_"
TOTP_ISSUER = "ABCD coaching"
_hasher = PasswordHash.recommended()
# Verified against when the email is unknown, so a login takes as long for any address.
_DUMMY_HASH = _hasher.hash("no-such-user-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, stored)


def secret_key(settings: Settings) -> str:
    """The token signing key: the configured one, or a random key kept beside the embedded store
    (tokens survive an API restart on a laptop, and no installation shares a default key)."""
    return settings.api_secret_key or home_secret(settings.home, "api_secret_key")


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    organization_id: str
    role: str
    expires_at: datetime | None = None  # read from a token; issue_token sets its own
    session_id: str | None = None  # the sign-in it belongs to; revoking that ends the token


def issue_token(claims: TokenClaims, key: str, minutes: int) -> str:
    now = datetime.now(UTC)
    payload = {
        "iss": ISSUER,
        "sub": claims.user_id,
        "org": claims.organization_id,
        "role": claims.role,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    if claims.session_id is not None:
        payload["sid"] = claims.session_id
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def read_token(token: str, key: str) -> TokenClaims | None:
    """The claims of a valid, unexpired token of ours; None for anything else."""
    try:
        payload = jwt.decode(
            token, key, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub"]}
        )
        return TokenClaims(
            str(payload["sub"]),
            str(payload["org"]),
            str(payload["role"]),
            datetime.fromtimestamp(int(payload["exp"]), UTC),
            str(payload["sid"]) if "sid" in payload else None,
        )
    except (jwt.PyJWTError, KeyError):
        return None


@dataclass(frozen=True)
class NewApiKey:
    key: str  # shown once, never stored
    prefix: str
    key_hash: str


def new_api_key() -> NewApiKey:
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return NewApiKey(key, prefix, hash_api_key(key))


def hash_api_key(key: str) -> str:
    return hash_secret(key)


def api_key_prefix(key: str) -> str | None:
    if not key.startswith(KEY_PREFIX):
        return None
    prefix, _, rest = key[len(KEY_PREFIX) :].partition("_")
    return prefix if prefix and rest else None


def api_key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(key), stored_hash)


def hash_secret(value: str) -> str:
    """The stored form of a random secret (refresh token, recovery code)."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_refresh_token() -> tuple[str, str]:
    """(the token, shown once; its hash, stored)."""
    token = f"{REFRESH_PREFIX}{secrets.token_urlsafe(32)}"
    return token, hash_secret(token)


def new_recovery_codes(count: int) -> list[str]:
    """Codes such as `k3vq-8xmt-2pdw`: 60 random bits each, easy to read out and type."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        for _ in range(count)
    ]


def normalize_recovery_code(code: str) -> str:
    return code.strip().lower().replace(" ", "").replace("-", "")


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def totp_code(secret: str, at: datetime) -> str:
    """The code an authenticator shows at `at` (tests and the console's own checks)."""
    return pyotp.TOTP(secret).at(at)


def accepted_totp_step(
    secret: str, code: str, last_step: int | None, now: datetime | None = None
) -> int | None:
    """The time step `code` belongs to, if it is the code of the current step or one either
    side of it and later than the last step accepted; None otherwise (wrong, stale or replayed)."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or datetime.now(UTC))
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
