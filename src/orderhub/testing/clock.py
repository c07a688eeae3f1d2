"""A manual clock for tests and simulations: ``sleep`` advances time instead of waiting."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class FakeClock:
    """Implements :class:`orderhub.sdk.Clock`. Starts at ``start`` (UTC) and only moves when
    someone sleeps on it or calls :meth:`advance`. ``sleeps`` records every sleep asked for,
    so tests can assert how long code waited without waiting."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a UTC-aware start")
        self._mono = 1000.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
        if seconds > 0:
            self.advance(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds

    @property
    def slept(self) -> float:
        """Total seconds slept so far."""
        with self._lock:
            return sum(s for s in self.sleeps if s > 0)
