"""A clock that runs faster than real time, for demos and benchmarks.

Give the same :class:`ScaledClock` to the simulated API and to the worker: an hour of
marketplace time (rate-limit refills, new orders, settle delays) then passes in a minute of
wall time when ``speed=60``, and both sides agree on what time it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orderhub.sdk.clock import Clock, SystemClock


class ScaledClock:
    """Implements :class:`orderhub.sdk.Clock` on top of ``base`` (the real clock by default),
    with time running ``speed`` times faster. ``now`` starts at ``start`` (default: the base
    clock's now). Sleeping ``s`` simulated seconds sleeps ``s / speed`` base seconds.
    """

    def __init__(
        self, base: Clock | None = None, *, speed: float = 1.0, start: datetime | None = None
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self._base = base or SystemClock()
        self.speed = speed
        self._start = start or self._base.now()
        if self._start.tzinfo is None:
            raise ValueError("ScaledClock needs a UTC-aware start")
        self._start = self._start.astimezone(UTC)
        self._base_mono0 = self._base.monotonic()

    def _elapsed(self) -> float:
        return (self._base.monotonic() - self._base_mono0) * self.speed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed())

    def monotonic(self) -> float:
        return self._elapsed()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._base.sleep(seconds / self.speed)
