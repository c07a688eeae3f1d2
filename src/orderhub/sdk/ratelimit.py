"""Token buckets: the channel's published usage plan, enforced before each request is sent.

A bucket holds up to ``burst`` tokens and gains ``rate`` tokens per second. ``acquire`` takes
one token, sleeping on the injected clock until one is there, so a connector never sends a
request the channel would throttle (the channel's 429 is then a surprise, not the plan).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from orderhub.sdk.clock import Clock


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A usage plan: ``rate`` requests per second sustained, ``burst`` at once."""

    rate: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"rate must be positive, got {self.rate}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst}")

    @property
    def interval(self) -> float:
        """Seconds between two tokens."""
        return 1.0 / self.rate


class TokenBucket:
    """A thread-safe token bucket on an injectable clock. Starts full."""

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        self._limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._stamp = clock.monotonic()
        self._lock = threading.Lock()

    @property
    def limit(self) -> RateLimit:
        return self._limit

    def _refill(self) -> None:
        now = self._clock.monotonic()
        elapsed = max(0.0, now - self._stamp)
        self._tokens = min(float(self._limit.burst), self._tokens + elapsed * self._limit.rate)
        self._stamp = now

    def wait_time(self) -> float:
        """Seconds until a token is available (0 when one is there now)."""
        with self._lock:
            self._refill()
            missing = 1.0 - self._tokens
            return 0.0 if missing <= 0 else missing / self._limit.rate

    def acquire(self) -> float:
        """Take one token, sleeping until there is one. Returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= 1.0 - 1e-9:
                    self._tokens -= 1.0
                    return waited
                delay = (1.0 - self._tokens) / self._limit.rate
            self._clock.sleep(delay)
            waited += delay

    def drain(self) -> None:
        """Empty the bucket: the channel said we are throttled, so wait for a full refill."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, 0.0)

    def update(self, limit: RateLimit) -> None:
        """Adopt a new plan (e.g. from a response header), keeping the tokens already earned."""
        with self._lock:
            self._refill()
            self._limit = limit
            self._tokens = min(self._tokens, float(limit.burst))


def announced_rate_limit(value: str | None, declared: RateLimit | None) -> RateLimit | None:
    """The plan a channel announces as a rate in a response header (Amazon's
    ``x-amzn-RateLimit-Limit: 0.0167``, requests per second), with the ``declared`` plan's
    burst (1 without one), for :meth:`Connector.rate_limit_from_response`. None when the
    header is missing or not a positive finite number: the declared plan stays."""
    try:
        rate = float((value or "").strip())
    except ValueError:
        return None
    if not math.isfinite(rate) or rate <= 0:
        return None
    return RateLimit(rate=rate, burst=declared.burst if declared is not None else 1)
