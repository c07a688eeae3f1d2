"""Rate limits enforced by a simulated API, so a connector that ignores the usage plan meets
the channel's 429 exactly when the real channel would send it.

The buckets are :class:`orderhub.sdk.ratelimit.TokenBucket` instances on the simulator's
clock: the connector's own bucket and the simulator's bucket follow the same arithmetic, so
a connector that paces itself correctly is never throttled, and one that does not is.
"""

from __future__ import annotations

import threading

from orderhub.sdk.clock import Clock
from orderhub.sdk.ratelimit import RateLimit, TokenBucket

# Float noise must never throttle a client that paced itself with the same arithmetic, so the
# simulator admits a request when the bucket is within this many tokens of a whole one.
_TOLERANCE = 1e-6


class _SimBucket(TokenBucket):
    """A TokenBucket that can take a token without ever sleeping."""

    def try_take(self) -> float:
        """Take a token and return 0, or return the seconds until one is there."""
        with self._lock:
            self._refill()
            if self._tokens >= 1.0 - _TOLERANCE:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self._limit.rate


class SimRateLimiter:
    """Token buckets keyed by operation name (or by route pattern when a route names none).

    Limits are off until :meth:`set` configures one for a key.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._buckets: dict[str, _SimBucket] = {}
        self._lock = threading.Lock()
        #: How many requests each key has throttled so far.
        self.throttled: dict[str, int] = {}

    def set(self, key: str, limit: RateLimit) -> None:
        """Enforce ``limit`` on ``key`` from now on, starting with a full bucket."""
        with self._lock:
            self._buckets[key] = _SimBucket(limit, self._clock)

    def clear(self, key: str | None = None) -> None:
        """Stop enforcing ``key`` (or every key)."""
        with self._lock:
            if key is None:
                self._buckets.clear()
            else:
                self._buckets.pop(key, None)

    def limit_for(self, key: str) -> RateLimit | None:
        """The limit enforced on ``key``, if any (e.g. for an ``x-amzn-RateLimit-Limit``
        header)."""
        with self._lock:
            bucket = self._buckets.get(key)
            return bucket.limit if bucket is not None else None

    def try_acquire(self, key: str) -> float | None:
        """Admit one request on ``key``: ``None`` when admitted (a token was taken), else the
        seconds until a token will be there (nothing is taken). Never sleeps."""
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                return None
            wait = bucket.try_take()
            if wait > 0:
                self.throttled[key] = self.throttled.get(key, 0) + 1
                return wait
            return None
