"""The clock every connector and runner uses, so tests can replace time instead of sleeping."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


class Interrupted(Exception):  # a signal to stop, hence not named ...Error
    """Raised from ``Clock.sleep`` when the worker is shutting down."""


@runtime_checkable
class Clock(Protocol):
    """Wall time, monotonic time and sleeping.

    ``now`` is UTC-aware. ``sleep`` may raise :class:`Interrupted` when the process is asked
    to stop, so a long wait for a rate-limit token never delays a shutdown.
    """

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock. ``stop`` (if given) interrupts sleeps when it is set."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self.stop = stop

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.stop is None:
            time.sleep(seconds)
            return
        if self.stop.wait(seconds):
            raise Interrupted("shutdown requested while waiting")
