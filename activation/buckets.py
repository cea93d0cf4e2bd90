"""Rate limits for sends: per sender number (Twilio's throughput per sender) and per recipient
(so a worker never gets a burst), awaited by the sender's tasks. In-process token buckets by
default; with COACH_REDIS_URL the limits live in Redis, so every sender process keeps them
together."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float = field(init=False)
    stamp: float = field(init=False, default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.capacity

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def try_take(self) -> bool:
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def give_back(self) -> None:
        """Return a token for a send that did not happen (it failed and will be retried)."""
        self.tokens = min(self.capacity, self.tokens + 1)

    async def take(self) -> None:
        while not self.try_take():
            await asyncio.sleep((1 - self.tokens) / self.rate)


class Buckets:
    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.by_key: dict[str, TokenBucket] = {}

    def __getitem__(self, key: str) -> TokenBucket:
        bucket = self.by_key.get(key)
        if bucket is None:
            bucket = self.by_key[key] = TokenBucket(self.rate, self.capacity)
        return bucket


class SharedWindow:
    """One key's limit shared by every sender process through Redis (the `limits` library's
    moving window): at most `amount` sends in any `seconds`-long window, however many processes
    send. A send that did not happen is not given back: the window can only be conservative."""

    def __init__(self, limiter: Any, item: Any, scope: str, key: str) -> None:
        self.limiter, self.item, self.scope, self.key = limiter, item, scope, key

    def try_take(self) -> bool:
        return bool(self.limiter.hit(self.item, self.scope, self.key))

    def give_back(self) -> None:
        return None

    async def take(self) -> None:
        while not self.try_take():
            stats = self.limiter.get_window_stats(self.item, self.scope, self.key)
            await asyncio.sleep(min(1.0, max(0.005, stats.reset_time - time.time())))


class SharedBuckets:
    """`Buckets` whose limits live in Redis, so several senders together keep them."""

    def __init__(self, redis_url: str, scope: str, rate: float, capacity: float) -> None:
        from limits import RateLimitItemPerSecond
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        # `capacity` sends per the time `rate` takes to refill them: a token bucket's long-run
        # rate and burst, as a moving window.
        amount = max(1, round(capacity))
        seconds = max(1, round(amount / rate))
        self.item = RateLimitItemPerSecond(amount, seconds)
        self.limiter = MovingWindowRateLimiter(storage_from_string(redis_url))
        self.scope = f"coach:{scope}"

    def __getitem__(self, key: str) -> SharedWindow:
        return SharedWindow(self.limiter, self.item, self.scope, key)


def make_buckets(redis_url: str | None, scope: str, rate: float, capacity: float) -> Any:
    """Per-process token buckets, or limits shared through Redis when it is configured."""
    if redis_url:
        return SharedBuckets(redis_url, scope, rate, capacity)
    return Buckets(rate, capacity)
