"""When failed sign-ins lock an account, and that a lock always ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coaching.accounts import LOCKOUT, MAX_FAILED_SIGN_INS, after_failure, is_locked

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


def test_the_last_allowed_failure_locks_for_the_lockout_and_starts_the_count_again() -> None:
    failures = 0
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        outcome = after_failure(failures, NOW)
        assert outcome.locked_until is None
        failures = outcome.failed_sign_ins
    assert failures == MAX_FAILED_SIGN_INS - 1
    locking = after_failure(failures, NOW)
    assert locking.locked_until == NOW + LOCKOUT and locking.failed_sign_ins == 0


def test_a_lock_holds_until_its_end_and_not_after() -> None:
    until = NOW + LOCKOUT
    assert is_locked(until, NOW) and is_locked(until, until - timedelta(seconds=1))
    assert not is_locked(until, until) and not is_locked(None, NOW)
