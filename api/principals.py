"""A short-lived cache of who holds a credential, so a read does not look the caller up every time.

Finding the principal behind a bearer token takes two store lookups (the key or the user, then the
organization): on the API's read mix that was a tenth of a request's CPU, spent on an answer that
almost never changes. The cache keeps each answer for `api_principal_ttl_seconds` (never past the
credential's own expiry), keyed by a hash of the credential, so no secret sits in memory twice.

What invalidates an entry:
- any commit in this process that adds, changes or deletes an API key, a user or an organization,
  or ends a signed-in session (a revocation, demotion, deactivation, logout or deletion through
  the API or the console takes effect on the next request, as it did without the cache);
- the TTL, for changes made by another process (a second API worker, `coach` commands, SQL): those
  take up to `api_principal_ttl_seconds` to be seen. 0 turns the cache off.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from coaching.store.tables import ApiKey, Organization, User, UserSession

P = TypeVar("P")
MAX_ENTRIES = 10_000  # distinct credentials held at once; the oldest go first past it
_WHO = (ApiKey, User, Organization, UserSession)
# A key's last use is stamped once a minute while it is used: no reason to forget anyone.
# Nor does a user's sign-in bookkeeping or a session's refresh change who anyone is.
_BOOKKEEPING = frozenset(
    {
        "last_used_at",
        "updated_at",
        "updated_by",
        "last_login_at",
        "failed_sign_ins",
        "locked_until",
        "totp_last_step",
        "last_refreshed_at",
    }
)
_CHANGED = "principals_changed"  # in Session.info; a rolled-back change only costs a spare clear
_caches: weakref.WeakSet[PrincipalCache[Any]] = weakref.WeakSet()


class PrincipalCache(Generic[P]):
    """Thread-safe: the API answers on an event loop and a few worker threads at once."""

    def __init__(
        self,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ttl = ttl_seconds
        self._clock = clock
        self._wall = wall
        self._entries: dict[bytes, tuple[float, P]] = {}
        self._lock = threading.Lock()
        _caches.add(self)

    @staticmethod
    def _key(credential: str) -> bytes:
        return hashlib.sha256(credential.encode()).digest()

    def get(self, credential: str) -> P | None:
        if self.ttl <= 0:
            return None
        key = self._key(credential)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            return entry[1]

    def put(self, credential: str, principal: P, expires_at: datetime | None = None) -> None:
        """Keep `principal` for the TTL, or until `expires_at` (the credential's own end) if
        that comes first."""
        if self.ttl <= 0:
            return
        now = self._clock()
        deadline = now + self.ttl
        if expires_at is not None:
            deadline = min(deadline, now + (expires_at - self._wall()).total_seconds())
        if deadline <= now:
            return
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
            self._entries[self._key(credential)] = (deadline, principal)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def forget_all() -> None:
    """Empty every cache of this process: who holds which credential may have changed."""
    for cache in list(_caches):
        cache.clear()


def _more_than_bookkeeping(row: object) -> bool:
    changed = {a.key for a in inspect(row).attrs if a.history.has_changes()}
    return not changed <= _BOOKKEEPING


@event.listens_for(Session, "after_flush")
def _note_changed_rows(session: Session, _: UOWTransaction) -> None:
    # (Called with the flush's rows still listed as new, dirty and deleted.)
    # A new session names no one yet: only its end (an update) can change an answer.
    added = (row for row in session.new if not isinstance(row, UserSession))
    added_or_deleted = (*added, *session.deleted)
    if any(isinstance(row, _WHO) for row in added_or_deleted) or any(
        isinstance(row, _WHO) and _more_than_bookkeeping(row) for row in session.dirty
    ):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ in _WHO:
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget_all()
