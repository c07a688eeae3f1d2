"""What the conformance kit puts between a connector and the simulated channel.

- :class:`KitTransport`: the transport every kit-built connector gets. It passes requests to
  the simulated API in-process and lets a test make the process "die" after N requests
  (:class:`SimulatedCrash`), cap the requests of a read that may never end
  (:class:`RequestLimitExceeded`), or serve a page of the list endpoint a second time
  (a channel, proxy or cache repeating a page).
- :class:`GuardedClock` and :class:`GuardedTransport`: a clock and a transport that raise
  :class:`ImpureCall` while armed, to prove ``to_order`` does no I/O and reads no clock.

The raised errors derive from :class:`BaseException` on purpose: a connector's
``except Exception`` (a common and reasonable guard around one record) must not be able to
swallow the kit's signal.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import httpx

from orderhub.sdk.clock import Clock
from orderhub.testing.sim import SimulatedApi

__all__ = [
    "GuardedClock",
    "GuardedTransport",
    "ImpureCall",
    "KitTransport",
    "RequestLimitExceeded",
    "SimulatedCrash",
]


class SimulatedCrash(BaseException):
    """Raised by :class:`KitTransport` instead of sending a request: the process died.

    Nothing in orderhub or a connector may catch it (it is not an ``Exception``), exactly as
    nothing runs after a ``kill -9``.
    """


class RequestLimitExceeded(BaseException):
    """Raised by :class:`KitTransport` when a read sent more requests than the test allows
    (paging that would never end)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} requests were sent")
        self.limit = limit


class ImpureCall(BaseException):
    """Raised by :class:`GuardedClock` / :class:`GuardedTransport` when code that must be
    pure (``to_order``) reads the clock or sends a request."""


class KitTransport(httpx.BaseTransport):
    """Passes every request to ``api`` in-process, with three switches for tests.

    ``crash_after``: after that many requests, the next one raises :class:`SimulatedCrash`
    instead of being sent. ``limit``: the same with :class:`RequestLimitExceeded`.
    :meth:`replay_next_page`: the second request to a path from then on is answered with the
    answer to the first (the request still reaches the simulator, so it is recorded).
    :meth:`echo_next`: the next request is answered 400 with an error body that echoes the
    request's URL and headers, as some gateways and WAFs do. ``sent`` counts the requests
    passed on.
    """

    def __init__(self, api: SimulatedApi) -> None:
        self.api = api
        self.inner = api.transport()
        self.sent = 0
        self.crash_after: int | None = None
        self.limit: int | None = None
        self.replayed = 0
        self._lock = threading.Lock()
        self._replay_path: str | None = None
        self._replay_first: tuple[int, list[tuple[str, str]], bytes] | None = None
        self._echo = False

    def echo_next(self) -> None:
        """Answer the next request with 400 and an error body echoing the request (its URL,
        query string and headers, credentials included)."""
        with self._lock:
            self._echo = True

    def replay_next_page(self, path: str) -> None:
        """Answer the second successful request to ``path`` (a prefix, below the simulator's
        ``base_path``) with the first one's answer: the page the client asked for next comes
        back as the page it already had, with the same next-page token or link."""
        with self._lock:
            self._replay_path = path
            self._replay_first = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if self.crash_after is not None and self.sent >= self.crash_after:
                raise SimulatedCrash(f"the process died before sending request {self.sent + 1}")
            if self.limit is not None and self.sent >= self.limit:
                raise RequestLimitExceeded(self.limit)
            self.sent += 1
            echo, self._echo = self._echo, False
        if echo:
            message = f"bad request {request.method} {request.url} " + " ".join(
                f"{name}: {value}" for name, value in request.headers.items()
            )
            body = {"error": "bad_request", "message": message, "errors": [{"message": message}]}
            return httpx.Response(400, json=body, request=request)
        response = self.inner.handle_request(request)
        return self._replayed(request, response)

    def _replayed(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        with self._lock:
            path = self._replay_path
            if path is None or not self.api.relative_path(request.url.path).startswith(path):
                return response
            if not 200 <= response.status_code < 300:
                return response
            if self._replay_first is None:
                content = response.read()
                self._replay_first = (response.status_code, response.headers.multi_items(), content)
                return response
            status, headers, content = self._replay_first
            self._replay_path = None
            self._replay_first = None
            self.replayed += 1
        response.close()
        return httpx.Response(status, headers=headers, content=content, request=request)


class _Guard:
    """The switch both guards share: disarmed until :meth:`armed`, for the ``with`` block."""

    _armed = False

    @contextmanager
    def armed(self) -> Iterator[None]:
        """Raise :class:`ImpureCall` on every use until the block ends."""
        self._armed = True
        try:
            yield
        finally:
            self._armed = False


class GuardedClock(_Guard):
    """A :class:`~orderhub.sdk.Clock` that delegates to ``inner`` except while
    :meth:`armed`, when any use raises :class:`ImpureCall` naming the call."""

    def __init__(self, inner: Clock) -> None:
        self.inner = inner

    def _check(self, call: str) -> None:
        if self._armed:
            raise ImpureCall(f"read the clock ({call})")

    def now(self) -> datetime:
        self._check("clock.now()")
        return self.inner.now()

    def monotonic(self) -> float:
        self._check("clock.monotonic()")
        return self.inner.monotonic()

    def sleep(self, seconds: float) -> None:
        self._check(f"clock.sleep({seconds})")
        self.inner.sleep(seconds)


class GuardedTransport(_Guard, httpx.BaseTransport):
    """A transport that delegates to ``inner`` except while :meth:`armed`, when a request
    raises :class:`ImpureCall` naming it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._armed:
            raise ImpureCall(f"sent a request ({request.method} {request.url.path})")
        return self.inner.handle_request(request)
