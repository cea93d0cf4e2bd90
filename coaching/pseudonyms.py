"""The pseudonymous worker key the analytics marts carry instead of the store's worker id.

An analyst reading `gold/` learns how workers behave, never who they are: no phone, name or free
text is published there, and the worker column is a keyed hash, so a published row cannot be
joined to the store (or the admin API's ids) without the key. Each organization gets its own key,
derived from one platform secret, so one worker key never links rows of two tenants. The join
back to a person happens only in the restricted publication (`restricted/worker_identities`),
which activation and the admin reads open at their last step.

The hash is SHA-256 over `<organization key>:<worker id>`, because DuckDB and Spark both compute
SHA-256 in SQL and neither has an HMAC; the organization key is a 256-bit HMAC output, secret, and
the message has a fixed form, so a length extension yields nothing anyone can use: it could only
produce hashes of strings that are not worker ids.
"""

from __future__ import annotations

import hashlib
import hmac

KEY_LENGTH = 32  # hex digits of the worker key: 128 bits, no collision among billions of workers


def organization_key(secret: str, organization_id: str) -> str:
    """The organization's own pseudonym key, derived from the platform secret."""
    digest = hmac.new(secret.encode(), f"worker-key:{organization_id}".encode(), hashlib.sha256)
    return digest.hexdigest()


def worker_key(organization_key_: str, worker_id: str) -> str:
    """The worker's pseudonymous key within its organization (what `worker_key_sql` computes)."""
    return hashlib.sha256(f"{organization_key_}:{worker_id}".encode()).hexdigest()[:KEY_LENGTH]


def worker_key_sql(organization_key_column: str, worker_id_column: str) -> str:
    """The same key as a DuckDB SQL expression over two columns."""
    return (
        f"substr(sha256({organization_key_column} || ':' || {worker_id_column}), 1, {KEY_LENGTH})"
    )
