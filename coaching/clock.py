"""The platform's clock. Production reads the wall clock; the demo replays the simulated world's
last day by shifting it, and every component that stamps time in-process (the sender, the
webhooks, the Twilio emulator) then agrees on what "now" is, so replies still follow the messages
they answer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


@contextmanager
def shifted_to(moment: datetime) -> Iterator[None]:
    """Run the block as if the wall clock showed `moment` (it keeps ticking from there)."""
    global _offset
    previous = _offset
    _offset = moment - datetime.now(UTC)
    try:
        yield
    finally:
        _offset = previous
