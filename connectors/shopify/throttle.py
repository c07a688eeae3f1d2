"""Shopify's cost-based rate limit, seen from the client, and GraphQL errors classified like
HTTP errors.

Every answer reports ``extensions.cost.throttleStatus`` (bucket size, points available now,
restore rate); :class:`CostBudget` keeps that state on the clock and, before a query goes
out, waits until the bucket holds the query's requested cost (learnt from the last answer to
the same query), so the steady state of a backfill never meets ``THROTTLED``. An answer that
is throttled anyway (another process using the same app on the store shares the bucket)
becomes :class:`RateLimitedError` with the exact refill time as ``retry_after``.
"""

from __future__ import annotations

from typing import Any

from orderhub.sdk import (
    AuthError,
    Clock,
    ConnectorError,
    RateLimitedError,
    RejectedError,
    TransientError,
)

_MAX_MESSAGE = 200


class CostBudget:
    """The client-side model of one store's query-cost bucket (unknown until an answer)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.maximum: float | None = None
        self.restore_rate = 0.0
        self._available = 0.0
        self._stamp = 0.0
        self.waited = 0.0

    def available(self) -> float | None:
        if self.maximum is None:
            return None
        gained = (self._clock.monotonic() - self._stamp) * self.restore_rate
        return min(self.maximum, self._available + max(0.0, gained))

    def seconds_until(self, cost: float) -> float:
        """How long until the bucket holds ``cost`` points (0 when it does, or is unknown)."""
        have = self.available()
        if have is None or have >= cost or self.restore_rate <= 0:
            return 0.0
        return (min(cost, self.maximum or cost) - have) / self.restore_rate

    def wait_for(self, cost: float) -> float:
        """Sleep on the clock until ``cost`` points are available; returns the seconds."""
        delay = self.seconds_until(cost)
        if delay > 0:
            self._clock.sleep(delay)
            self.waited += delay
        return delay

    def observe(self, cost: dict[str, Any]) -> None:
        """Adopt ``extensions.cost.throttleStatus`` from an answer."""
        status = cost.get("throttleStatus")
        if not isinstance(status, dict):
            return
        try:
            self.maximum = float(status["maximumAvailable"])
            self._available = float(status["currentlyAvailable"])
            self.restore_rate = float(status["restoreRate"])
        except (KeyError, TypeError, ValueError):
            return
        self._stamp = self._clock.monotonic()


def classify_errors(
    operation: str, errors: list[Any], cost: dict[str, Any] | None, budget: CostBudget
) -> ConnectorError:
    """The SDK error for a GraphQL answer with top-level ``errors`` (HTTP 200 or 429): a
    200 with errors is never a success."""
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    found = first.get("extensions")
    extensions: dict[str, Any] = found if isinstance(found, dict) else {}
    code = str(extensions.get("code") or "") or None
    message = " ".join(str(first.get("message") or "GraphQL error").split())[:_MAX_MESSAGE]
    what = f"{operation}: Shopify answered {code or 'an error'}: {message}"
    if code == "THROTTLED":
        requested = float((cost or {}).get("requestedQueryCost") or 0)
        wait = budget.seconds_until(requested) if requested else 1.0
        return RateLimitedError(what, code=code, retry_after=max(wait, 0.1))
    if code == "ACCESS_DENIED":
        return AuthError(
            what,
            code=code,
            fix="Give the app the access scope named above in the Dev Dashboard (Versions > "
            "Access), release the version and approve it on the store; for buyer names and "
            "addresses also request protected customer data access, or set "
            "include_addresses = false.",
        )
    if code in ("INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"):
        return TransientError(what, code=code)
    return RejectedError(
        what,
        code=code,
        fix="orderhub sent a query this store's API version refuses: check api_version, "
        "and report it if it is the pinned default.",
    )
