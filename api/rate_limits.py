"""Request rate limits (the `limits` library): per organization and per API key on every
authenticated request, and per email and client address on sign-in.

Windows live in this process, or in Redis when `COACH_REDIS_URL` is set, so several API workers
keep one limit between them (as the senders do). The API's limits count in fixed windows (one
counter per window, cheap on every request); sign-in counts in a moving window, so a burst at a
window's edge cannot double the guesses. A limit past its count answers 429 with Retry-After.
If Redis cannot be reached the request goes on (and the failure is logged): a rate limit must
not take the API down with it.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter

from api.problems import Problem
from coaching.settings import Settings

log = logging.getLogger(__name__)
SCOPE = "coach:api"
CLIENT_FACTOR = 5  # one address (an office behind NAT) may try five people's sign-ins


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        storage = storage_from_string(settings.redis_url or "memory://")
        self._fixed = FixedWindowRateLimiter(storage)
        self._moving = MovingWindowRateLimiter(storage)
        self.per_organization = parse(settings.api_rate_limit_per_organization)
        self.per_api_key = parse(settings.api_rate_limit_per_api_key)
        self.per_email = parse(settings.api_sign_in_rate_limit)
        self.per_client = type(self.per_email)(
            self.per_email.amount * CLIENT_FACTOR, self.per_email.multiples
        )

    def request(self, organization_id: str, api_key_id: str | None) -> None:
        """Count one request of the organization (and of the key); 429 past either limit."""
        self._take(self._fixed, self.per_organization, "organization", organization_id)
        if api_key_id is not None:
            self._take(self._fixed, self.per_api_key, "api_key", api_key_id)

    def sign_in(self, email: str, client: str | None) -> None:
        """Count one sign-in attempt for the address and the client; 429 past either."""
        self._take(self._moving, self.per_email, "sign_in_email", email.lower())
        if client:
            self._take(self._moving, self.per_client, "sign_in_client", client)

    def _take(self, limiter: RateLimiter, item: RateLimitItem, kind: str, key: str) -> None:
        try:
            if limiter.hit(item, SCOPE, kind, key):
                return
            reset = limiter.get_window_stats(item, SCOPE, kind, key).reset_time
        except Exception:  # the shared store is down: serve rather than refuse everyone
            log.warning("rate limit store unavailable; %s not limited", kind, exc_info=True)
            return
        wait = max(1, math.ceil(reset - time.time()))
        raise Problem(
            429,
            f"too many requests for this {kind.replace('_', ' ')} ({item}); retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
