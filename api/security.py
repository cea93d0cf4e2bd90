"""Credentials: password hashes, access tokens and API keys.

Passwords are low-entropy, so they get a slow memory-hard hash (Argon2id via pwdlib). API keys are
256 random bits, so a fast SHA-256 is enough to make a stolen table useless, and lets every request
check a key without spending 50 ms on it. Keys carry a public prefix to find the row in one lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash

from coaching.home_secrets import home_secret
from coaching.settings import Settings

ALGORITHM = "HS256"
ISSUER = "abcd-coaching"
KEY_PREFIX = "coach_"
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
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_prefix(key: str) -> str | None:
    if not key.startswith(KEY_PREFIX):
        return None
    prefix, _, rest = key[len(KEY_PREFIX) :].partition("_")
    return prefix if prefix and rest else None


def api_key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_api_key(key), stored_hash)
