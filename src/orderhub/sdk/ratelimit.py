"""Token buckets: the channel's published usage plan, enforced before each request is sent.

A bucket holds up to ``burst`` tokens and gains ``rate`` tokens per second. ``acquire`` takes
one token, sleeping on the injected clock until one is there, so a connector never sends a
request the channel would throttle (the channel's 429 is then a surprise, not the plan).

A new bucket starts full, or empty for a plan declared with ``start_full=False``. The
channel's own bucket outlives orderhub's processes: a worker restarted in the middle of a
push drain, or ``orderhub push`` run right after the worker pushed, meets a channel bucket
the previous process left empty. A full start would then send a burst the channel throttles;
an empty start never sends ahead of the channel's bucket, whatever a previous process did
(both fill at the same rate up to the same burst, and the client's can only be lower), at
the price of one token interval before the first request.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace

from orderhub.sdk.clock import Clock


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A usage plan: ``rate`` requests per second sustained, ``burst`` at once.

    ``start_full`` is what a new process assumes about the channel's bucket: full (the
    default: a request may go out at once) or, with False, emptied by a previous process
    (the first request waits one interval, ``1 / rate``). Declare False where that interval
    is short and a burst into an empty channel bucket costs a 429 the plan should have
    avoided: pushes (Amazon's ``confirmShipment``, 0.5 s). Reads with slow plans keep the
    full start: an empty ``searchOrders`` bucket (0.0056/s) would hold every new process's
    first page back three minutes.
    """

    rate: float
    burst: int = 1
    start_full: bool = True

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
    """A thread-safe token bucket on an injectable clock. Starts full, or empty when the
    plan says ``start_full=False``."""

    def __init__(self, limit: RateLimit, clock: Clock) -> None:
        self._limit = limit
        self._clock = clock
        self._tokens = float(limit.burst) if limit.start_full else 0.0
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
        """Adopt a new plan (e.g. from a response header), keeping the tokens already earned
        (a bucket that started empty stays as careful: the header tells the rate, not how
        many requests the channel's bucket holds now)."""
        with self._lock:
            self._refill()
            self._limit = limit
            self._tokens = min(self._tokens, float(limit.burst))


def announced_rate_limit(value: str | None, declared: RateLimit | None) -> RateLimit | None:
    """The plan a channel announces as a rate in a response header (Amazon's
    ``x-amzn-RateLimit-Limit: 0.0167``, requests per second), with the ``declared`` plan's
    burst and start (burst 1, full, without one), for :meth:`Connector.rate_limit_from_response`.
    None when the header is missing or not a positive finite number: the declared plan
    stays."""
    try:
        rate = float((value or "").strip())
    except ValueError:
        return None
    if not math.isfinite(rate) or rate <= 0:
        return None
    if declared is None:
        return RateLimit(rate=rate)
    return replace(declared, rate=rate)
