"""Fault injection: make the next matching requests fail the way real channels fail.

A test arms a plan before it runs the code under test::

    api.faults.add(Fault.status(429, retry_after=2), times=1, path="/orders")
    api.faults.add(Fault.status(503), times=3)           # any request
    api.faults.add(Fault.timeout(), path="/orders", method="GET", skip=2)   # the 3rd one

Rules are checked in the order they were added; the first rule that matches a request fires
(and uses up one of its ``times``). Faults are applied before routing, authentication and
rate limiting, the way a proxy or the channel's front door would fail, and every faulted
request is still recorded in ``api.requests``.

How each fault looks to a client, in-process (``api.transport()``) and over a real socket
(``api.serve()``):

============================  ==========================  ================================
fault                         in-process                  real server
============================  ==========================  ================================
``Fault.status(...)``         the status and body         the same
``Fault.timeout()``           ``httpx.ReadTimeout``       connection closed, no answer
                                                          (``httpx.RemoteProtocolError``)
``Fault.truncated()``         200, JSON cut in half       the same
``Fault.truncated(            ``httpx.RemoteProtocol      ``Content-Length`` larger than
mode="connection")``          Error``                     the body, then closed
============================  ==========================  ================================

The real server does not hold a timed-out connection open until the client gives up (tests
would have to wait in real time); it drops it, which a client also has to treat as a
transient transport error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from orderhub.testing.sim.messages import SimRequest, SimResponse


class FaultKind(StrEnum):
    STATUS = "status"
    TIMEOUT = "timeout"
    TRUNCATED = "truncated"
    RESPONSE = "response"


@dataclass(frozen=True)
class Fault:
    """One failure to inject. Build it with the class methods, not the constructor."""

    kind: FaultKind
    http_status: int = 0
    retry_after: float | str | None = None
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    processed: bool = False
    mode: Literal["json", "connection"] = "json"
    response: SimResponse | None = None

    @classmethod
    def status(
        cls,
        status: int,
        *,
        retry_after: float | str | None = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Answer ``status`` instead of handling the request.

        The body is the channel's own error body for that status (the simulator's
        ``fault_response`` hook) unless ``body`` is given. ``retry_after`` (seconds, or an
        HTTP date string) adds a ``Retry-After`` header; leave it ``None`` for a 429 without
        one.
        """
        raw = body.encode("utf-8") if isinstance(body, str) else body
        return cls(
            kind=FaultKind.STATUS,
            http_status=status,
            retry_after=retry_after,
            body=raw,
            headers=tuple((headers or {}).items()),
        )

    @classmethod
    def timeout(cls, *, processed: bool = False) -> Fault:
        """No answer. With ``processed=True`` the request is handled first (its side effects
        happen, e.g. a note is created) and only the answer is lost: the case that makes
        blind retries create duplicates."""
        return cls(kind=FaultKind.TIMEOUT, processed=processed)

    @classmethod
    def truncated(cls, *, mode: Literal["json", "connection"] = "json") -> Fault:
        """Handle the request, then cut the answer's body in half.

        ``mode="json"``: a well-framed HTTP answer whose JSON is incomplete (the client sees a
        decode error). ``mode="connection"``: the body is shorter than its ``Content-Length``
        and the connection closes (the client sees a protocol error).
        """
        return cls(kind=FaultKind.TRUNCATED, mode=mode, processed=True)

    @classmethod
    def respond(cls, response: SimResponse) -> Fault:
        """Answer with exactly ``response`` (for channel-specific oddities, such as errors
        reported inside a 200 body)."""
        return cls(kind=FaultKind.RESPONSE, response=response, http_status=response.status)

    def describe(self) -> str:
        """A short label for the request record, e.g. ``status 429 retry-after=2``."""
        if self.kind is FaultKind.STATUS:
            extra = f" retry-after={self.retry_after}" if self.retry_after is not None else ""
            return f"status {self.http_status}{extra}"
        if self.kind is FaultKind.TIMEOUT:
            return "timeout (processed)" if self.processed else "timeout"
        if self.kind is FaultKind.TRUNCATED:
            return f"truncated ({self.mode})"
        return f"response {self.http_status}"


@dataclass
class FaultRule:
    """A fault with its matching conditions and how many more times it fires.

    ``path`` is a prefix, compared with both the full path and the path below the API's
    ``base_path`` (so ``"/orders"`` matches ``/wp-json/wc/v3/orders``). ``times=None`` fires
    forever. ``skip`` lets that many matching requests through first. ``where`` is an extra
    predicate on the request (for example on a query parameter).
    """

    fault: Fault
    times: int | None = 1
    path: str | None = None
    method: str | None = None
    skip: int = 0
    where: Callable[[SimRequest], bool] | None = None
    fired: int = field(default=0)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def matches(self, request: SimRequest, relative_path: str) -> bool:
        if self.method is not None and request.method != self.method.upper():
            return False
        if self.path is not None and not (
            request.path.startswith(self.path) or relative_path.startswith(self.path)
        ):
            return False
        return self.where is None or self.where(request)


class FaultPlan:
    """The faults armed on one simulated API (thread-safe)."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(
        self,
        fault: Fault,
        *,
        times: int | None = 1,
        path: str | None = None,
        method: str | None = None,
        skip: int = 0,
        where: Callable[[SimRequest], bool] | None = None,
    ) -> FaultRule:
        """Arm ``fault`` for the next ``times`` matching requests. Returns the rule, whose
        ``fired`` count tests can check."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        rule = FaultRule(fault, times=times, path=path, method=method, skip=skip, where=where)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._rules.clear()

    @property
    def pending(self) -> list[FaultRule]:
        """Rules that can still fire."""
        with self._lock:
            return [r for r in self._rules if not r.exhausted]

    def take(self, request: SimRequest, relative_path: str) -> Fault | None:
        """The fault to apply to ``request`` (consuming one use), or ``None``."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(request, relative_path):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                rule.fired += 1
                return rule.fault
            # Exhausted rules are dropped so a long-running demo does not accumulate them.
            self._rules = [r for r in self._rules if not r.exhausted]
        return None
