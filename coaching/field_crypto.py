"""Field-level encryption of personal data in the operational store.

Phone numbers, message bodies and webhook payloads are stored as tokens
`enc1:<key id>:<base64 of nonce + ciphertext>`, sealed with AES-256-GCM-SIV from `cryptography`
(a nonce reused by accident leaks only that two values are equal, not the key stream). The
associated data is the column's name (`workers.phone_e164`), so a token copied into another
column does not open there.

Keys are listed newest first: the first seals, every key opens. Rotation is therefore: put the new
key first, keep the old ones, run `coach db rotate-keys` (which reseals every token under the
first key), then drop the old keys. Key material is any secret of at least 32 characters; the
cipher key is derived from it with HKDF, and its id is a fingerprint, so nobody names keys.

Equality lookups (the webhook finds a worker by phone) cannot use randomized tokens: a separate
HMAC-SHA256 of the plain value under the lookup secret is stored beside it (`workers.phone_lookup`).

Pure functions and values: no I/O; the keys come from settings (`coaching.store.engine`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from coaching.errors import ConfigurationError

PREFIX = "enc1"
NONCE_BYTES = 12
MIN_SECRET_CHARS = 32


class FieldKeyError(ConfigurationError, ValueError):
    """A token no configured key opens, a tampered token, or unusable key material: the CLI
    prints it as one line, as it does every error a person can fix."""


def _derive(material: str, purpose: bytes) -> bytes:
    if len(material) < MIN_SECRET_CHARS:
        raise FieldKeyError(
            f"a field key needs at least {MIN_SECRET_CHARS} characters of secret material"
        )
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        material.encode()
    )


@dataclass(frozen=True)
class _Key:
    id: str
    cipher: AESGCMSIV


class FieldKeys:
    """The keys that seal and open field tokens, and the secret of the lookup hashes."""

    def __init__(self, materials: Sequence[str], lookup_secret: str) -> None:
        if not materials:
            raise FieldKeyError("at least one field encryption key is needed")
        keys = []
        for material in materials:
            raw = _derive(material, b"coach field encryption v1")
            kid = hashlib.sha256(b"coach key id" + raw).hexdigest()[:8]
            keys.append(_Key(kid, AESGCMSIV(raw)))
        if len({k.id for k in keys}) != len(keys):
            raise FieldKeyError("the same field encryption key is listed twice")
        self._keys = {k.id: k for k in keys}
        self.current_id = keys[0].id
        self._lookup = _derive(lookup_secret, b"coach field lookup v1")

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def seal(self, plain: str, column: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.current_id].cipher.encrypt(nonce, plain.encode(), column.encode())
        return f"{PREFIX}:{self.current_id}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, stored: str, column: str) -> str:
        """The plain value of a token; a value that is not a token is returned as it is (a row
        written before its column was encrypted, until the migration or a rotation reseals it)."""
        return self.open_many((stored,), column)[0]  # type: ignore[return-value]

    def open_many(self, stored: Sequence[str | None], column: str) -> list[str | None]:
        """`open` over a column's values (None stays None), without a call per value: an extract
        of the store opens a million phones at a time."""
        associated = column.encode()
        keys = self._keys
        opened: list[str | None] = []
        append = opened.append
        for value in stored:
            if value is None or not is_token(value):
                append(value)
                continue
            _, kid, body = value.split(":", 2)
            key = keys.get(kid)
            if key is None:
                raise FieldKeyError(
                    f"{column} holds a token of key {kid}, which is not among the configured "
                    f"field encryption keys ({', '.join(keys)}): add it back to "
                    "COACH_FIELD_ENCRYPTION_KEYS"
                )
            try:
                raw = binascii.a2b_base64(body, strict_mode=True)
                plain = key.cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated)
            except (InvalidTag, ValueError):  # binascii.Error is a ValueError
                raise FieldKeyError(
                    f"a token in {column} does not open: altered or truncated"
                ) from None
            append(plain.decode())
        return opened

    def needs_resealing(self, stored: str | None) -> bool:
        """Whether a stored value is plain or sealed under a key other than the current one."""
        if stored is None:
            return False
        return not is_token(stored) or token_key_id(stored) != self.current_id

    def lookup(self, plain: str) -> str:
        """A keyed hash for equality lookups; the same plain value always gives the same hash."""
        return hmac.new(self._lookup, plain.encode(), hashlib.sha256).hexdigest()


def is_token(stored: str) -> bool:
    return stored.startswith(PREFIX + ":") and stored.count(":") >= 2


def token_key_id(stored: str) -> str:
    return stored.split(":", 2)[1]
