"""How the HTTP helper retries: attempts, exponential backoff, jitter, Retry-After caps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry settings for transient and rate-limited failures.

    ``max_attempts`` counts the first try. Backoff is ``base_delay * 2**(n-1)`` capped at
    ``max_delay``, plus up to ``jitter`` × that delay at random, so many workers don't retry
    in step. A ``Retry-After`` from the channel replaces the backoff (jitter is added on top,
    never taken off: we never send early), but a value above ``max_retry_after`` gives up
    instead of parking the worker for hours.
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: float = 0.1
    max_retry_after: float = 900.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("delays must be non-negative and jitter within [0, 1]")

    def backoff(self, attempt: int) -> float:
        """The delay before retry number ``attempt`` (1-based), without jitter."""
        return float(min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1))))
