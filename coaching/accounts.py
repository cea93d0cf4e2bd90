"""How sign-in defends an account: when repeated failures lock it, and for how long.

Pure: the API's sign-in (api/accounts.py) reads and stores the counts; the rule lives here so it
can be read and tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILED_SIGN_INS = 5  # wrong passwords or one-time codes in a row before the account locks
LOCKOUT = timedelta(minutes=15)
RECOVERY_CODES = 10  # one-time stand-ins for the second factor, issued at enrolment


@dataclass(frozen=True)
class FailureOutcome:
    failed_sign_ins: int
    locked_until: datetime | None


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and locked_until > now


def after_failure(failed_sign_ins: int, now: datetime) -> FailureOutcome:
    """One more failure: at the limit the account locks for LOCKOUT and the count starts again,
    so that once the lock ends the next run of failures locks it again, never for good (an
    attacker must not be able to lock a person out forever)."""
    failures = failed_sign_ins + 1
    if failures >= MAX_FAILED_SIGN_INS:
        return FailureOutcome(0, now + LOCKOUT)
    return FailureOutcome(failures, None)
