"""The base class of every simulated marketplace API.

A simulator subclasses :class:`SimulatedApi`, declares its routes with :func:`route` and
overrides a few hooks (``authenticate``, ``error_response``, ``throttle_response``). It then
runs two ways through the same :meth:`SimulatedApi.handle`:

- ``httpx.Client(transport=api.transport(), base_url="https://shop.example")``: in-process,
  no sockets, for unit tests;
- ``with api.serve() as server: ...server.base_url...``: a real HTTP server on 127.0.0.1 in
  a daemon thread, for end-to-end tests, benchmarks and ``orderhub demo``.

Every request is handled in this order: record it, apply an armed fault (see
:mod:`orderhub.testing.sim.faults`), find the route (else ``no_route``), authenticate,
enforce the rate limit of the route's operation, call the handler. Handlers run one at a
time under ``api.lock``, so simulator state needs no further locking.
"""

from __future__ import annotations

import json
import random
import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from typing import Any, ClassVar, TypeVar
from urllib.parse import unquote

import httpx

from orderhub.sdk.clock import Clock
from orderhub.testing.sim.faults import Fault, FaultKind, FaultPlan
from orderhub.testing.sim.messages import SimRequest, SimResponse, mask_headers, mask_query
from orderhub.testing.sim.ratelimit import SimRateLimiter
from orderhub.testing.sim.server import SimServer
from orderhub.testing.sim.store import LiveFeed
from orderhub.testing.sim.transport import SimTransport

Handler = Callable[[SimRequest], SimResponse]
F = TypeVar("F", bound=Callable[..., SimResponse])

_ROUTES_ATTR = "_orderhub_sim_routes"
_PLACEHOLDER = re.compile(r"\{(\w+)(?::(int))?\}")


@dataclass(frozen=True)
class RouteSpec:
    """A route declared with :func:`route`, before it is bound to an instance."""

    method: str
    pattern: str
    operation: str | None
    auth: bool


def route(
    method: str, pattern: str, *, operation: str | None = None, auth: bool = True
) -> Callable[[F], F]:
    """Declare a handler method for ``method`` and ``pattern``.

    ``pattern`` is relative to the class's ``base_path`` and may contain ``{name}`` (one path
    segment) or ``{name:int}`` (digits only) placeholders, found in
    ``request.path_params``. ``operation`` names the route for rate limiting and the request
    record (default: the full pattern). ``auth=False`` skips the ``authenticate`` hook (token
    endpoints, public pages). A method may carry several ``@route`` decorators.
    """

    def decorate(fn: F) -> F:
        specs: list[RouteSpec] = list(getattr(fn, _ROUTES_ATTR, []))
        specs.append(RouteSpec(method.upper(), pattern, operation, auth))
        setattr(fn, _ROUTES_ATTR, specs)
        return fn

    return decorate


def _compile(pattern: str) -> re.Pattern[str]:
    """Turn ``/orders/{id:int}/notes`` into an anchored regex (a trailing slash is allowed,
    as WordPress and most routers allow it)."""
    out, pos = "", 0
    for match in _PLACEHOLDER.finditer(pattern):
        out += re.escape(pattern[pos : match.start()])
        name = match.group(1)
        out += rf"(?P<{name}>\d+)" if match.group(2) == "int" else rf"(?P<{name}>[^/]+)"
        pos = match.end()
    out += re.escape(pattern[pos:])
    return re.compile(f"^{out}/?$")


@dataclass(frozen=True)
class Route:
    """A bound route: the compiled pattern and the handler to call."""

    method: str
    pattern: str
    regex: re.Pattern[str]
    handler: Handler
    operation: str
    auth: bool


@dataclass
class RecordedRequest:
    """One request the simulator received, with what it answered.

    ``headers`` include credentials (tests check that auth was sent), but ``repr`` masks
    them so an assertion failure never prints a secret. ``status`` is ``None`` when the
    request got no answer (a timeout fault). ``fault`` names the fault applied, if any;
    ``throttled`` is true when the simulator's rate limit refused it; ``operation`` is the
    matched route's operation (``None`` for an unknown route).
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: httpx.Headers
    body: bytes
    time: datetime
    operation: str | None = None
    status: int | None = None
    fault: str | None = None
    throttled: bool = False

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The request body parsed as JSON."""
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self) -> str:
        return (
            f"RecordedRequest({self.method} {self.path} query={mask_query(self.query)} "
            f"headers={mask_headers(self.headers)} status={self.status} fault={self.fault} "
            f"throttled={self.throttled} operation={self.operation})"
        )


class SimulatedApi:
    """Routing, request record, fault injection, rate limits and the two ways to run.

    Subclasses set ``base_path`` (e.g. ``/wp-json/wc/v3``), declare routes and override the
    hooks below. ``clock`` drives everything time-related: pass a ``FakeClock`` in tests, a
    ``SystemClock`` or a :class:`~orderhub.testing.sim.clock.ScaledClock` in demos.

    Public state: ``requests`` (the record), ``faults`` (a
    :class:`~orderhub.testing.sim.faults.FaultPlan`), ``rate_limits`` (a
    :class:`~orderhub.testing.sim.ratelimit.SimRateLimiter`), ``handler_errors`` (exceptions
    raised by handlers, answered as 500s; a test should expect this to stay empty),
    ``live_feed`` (an optional :class:`~orderhub.testing.sim.store.LiveFeed` caught up before
    each request) and ``lock``.
    """

    #: Prefix of every route pattern.
    base_path: ClassVar[str] = ""
    #: Whether the simulator's own 429s carry a ``Retry-After`` header.
    throttle_sends_retry_after: ClassVar[bool] = True

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.requests: list[RecordedRequest] = []
        #: Keep at most this many recorded requests (oldest dropped); ``None`` keeps all.
        self.max_recorded: int | None = None
        self.faults = FaultPlan()
        self.rate_limits = SimRateLimiter(clock)
        self.handler_errors: list[BaseException] = []
        self.live_feed: LiveFeed | None = None
        self._routes: list[Route] = []
        self._bind_declared_routes()

    # -- routes --------------------------------------------------------------------------------

    def _bind_declared_routes(self) -> None:
        seen: set[str] = set()
        for klass in type(self).__mro__:
            for name, member in vars(klass).items():
                if name in seen:
                    continue
                specs: list[RouteSpec] | None = getattr(member, _ROUTES_ATTR, None)
                if not specs:
                    continue
                seen.add(name)
                handler: Handler = getattr(self, name)
                for spec in specs:
                    self.add_route(
                        spec.method,
                        spec.pattern,
                        handler,
                        operation=spec.operation,
                        auth=spec.auth,
                    )

    def add_route(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        operation: str | None = None,
        auth: bool = True,
    ) -> None:
        """Add a route at run time (same meaning as :func:`route`)."""
        full = self.base_path.rstrip("/") + pattern
        self._routes.append(
            Route(
                method=method.upper(),
                pattern=full,
                regex=_compile(full),
                handler=handler,
                operation=operation or full,
                auth=auth,
            )
        )

    def _match(self, request: SimRequest) -> Route | None:
        for candidate in self._routes:
            if candidate.method != request.method:
                continue
            found = candidate.regex.match(request.path)
            if found is not None:
                request.path_params = {k: unquote(v) for k, v in found.groupdict().items()}
                return candidate
        return None

    def relative_path(self, path: str) -> str:
        """``path`` below ``base_path`` (unchanged when it is not below it)."""
        base = self.base_path.rstrip("/")
        if base and (path == base or path.startswith(base + "/")):
            return path[len(base) :] or "/"
        return path

    # -- hooks ---------------------------------------------------------------------------------

    def authenticate(self, request: SimRequest, route: Route) -> SimResponse | None:
        """Check credentials for a route declared with ``auth=True``: return an error answer
        to refuse, ``None`` to let the request through. The default lets everything in."""
        return None

    def error_response(
        self, status: int, code: str, message: str, extra: dict[str, Any] | None = None
    ) -> SimResponse:
        """The channel's error body. The default is ``{"code", "message"}``; override it."""
        body: dict[str, Any] = {"code": code, "message": message}
        body.update(extra or {})
        return SimResponse.json(status, body)

    def no_route(self, request: SimRequest) -> SimResponse:
        """The answer for an unknown path or method (default: 404)."""
        return self.error_response(404, "not_found", "No route matches the URL and method.")

    def fault_response(self, fault: Fault, request: SimRequest) -> SimResponse:
        """The answer of a ``Fault.status``: the channel's error body for that status unless
        the fault brings its own, plus ``Retry-After`` when the fault sets one."""
        if fault.body is not None:
            response = SimResponse(status=fault.http_status, body=fault.body)
            response.headers["Content-Type"] = "application/json; charset=UTF-8"
        else:
            response = self.status_error(fault.http_status)
        if fault.retry_after is not None:
            value = fault.retry_after
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            response.headers["Retry-After"] = str(value)
        response.headers.update(dict(fault.headers))
        return response

    def status_error(self, status: int) -> SimResponse:
        """The channel's error answer for a bare HTTP status (used by faults)."""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        code = phrase.lower().replace(" ", "_").replace("-", "_")
        return self.error_response(status, code, phrase)

    def throttle_response(
        self, request: SimRequest, operation: str, retry_after: float
    ) -> SimResponse:
        """The answer when the simulator's own rate limit refuses a request (429)."""
        response = self.status_error(429)
        if self.throttle_sends_retry_after:
            response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
        return response

    # -- handling ------------------------------------------------------------------------------

    def handle(self, request: SimRequest) -> SimResponse:
        """Answer one request. Both transports call this; tests may call it directly."""
        with self.lock:
            if self.live_feed is not None:
                self.live_feed.catch_up()
            record = RecordedRequest(
                method=request.method,
                path=request.path,
                query={k: list(v) for k, v in request.query.items()},
                headers=httpx.Headers(request.headers),
                body=request.body,
                time=self.clock.now(),
            )
            self._record(record)
            response = self._dispatch(request, record)
            record.status = None if response.abort == "timeout" else response.status
            return response

    def _record(self, record: RecordedRequest) -> None:
        self.requests.append(record)
        if self.max_recorded is not None and len(self.requests) > self.max_recorded:
            del self.requests[: len(self.requests) - self.max_recorded]

    def _dispatch(self, request: SimRequest, record: RecordedRequest) -> SimResponse:
        fault = self.faults.take(request, self.relative_path(request.path))
        if fault is not None:
            record.fault = fault.describe()
            if fault.kind is FaultKind.STATUS:
                return self.fault_response(fault, request)
            if fault.kind is FaultKind.RESPONSE and fault.response is not None:
                return fault.response
            if fault.kind is FaultKind.TIMEOUT and not fault.processed:
                return SimResponse(status=0, abort="timeout")
        matched = self._match(request)
        if matched is None:
            return self.no_route(request)
        record.operation = matched.operation
        response = self._run(request, matched, record)
        if fault is None:
            return response
        if fault.kind is FaultKind.TIMEOUT:
            return SimResponse(status=0, abort="timeout")
        # A truncated answer: the work was done, half of the answer arrives.
        cut = response.body[: len(response.body) // 2]
        if fault.mode == "connection":
            return SimResponse(response.status, dict(response.headers), response.body, "short_body")
        return SimResponse(response.status, dict(response.headers), cut)

    def _run(self, request: SimRequest, matched: Route, record: RecordedRequest) -> SimResponse:
        try:
            if matched.auth:
                refused = self.authenticate(request, matched)
                if refused is not None:
                    return refused
            wait = self.rate_limits.try_acquire(matched.operation)
            if wait is not None:
                record.throttled = True
                return self.throttle_response(request, matched.operation, wait)
            return matched.handler(request)
        except Exception as exc:  # a simulator bug must show up, not hang the client
            self.handler_errors.append(exc)
            traceback.print_exc()
            return self.status_error(500)

    # -- the record ----------------------------------------------------------------------------

    def requests_to(self, path: str, *, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path starts with ``path`` (full, or below ``base_path``),
        optionally only those with ``method``."""
        with self.lock:
            found = []
            for item in self.requests:
                if method is not None and item.method != method.upper():
                    continue
                rel = self.relative_path(item.path)
                if item.path.startswith(path) or rel.startswith(path):
                    found.append(item)
            return found

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self.lock:
            self.requests.clear()

    # -- running -------------------------------------------------------------------------------

    def transport(self) -> SimTransport:
        """An httpx transport that answers in-process (sync and async clients)."""
        return SimTransport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> SimServer:
        """Start a real HTTP server for this API in a daemon thread and return it (already
        listening). Use it as a context manager, or call ``stop()``. ``port=0`` picks a free
        port; read it from ``server.base_url``."""
        server = SimServer(self, host, port)
        server.start()
        return server

    def start_live_feed(
        self,
        on_new: Callable[[random.Random, datetime], object],
        on_change: Callable[[random.Random, datetime], object],
        *,
        new_per_hour: float,
        changes_per_hour: float,
        seed: int,
    ) -> LiveFeed:
        """Make orders arrive and change as the simulator's clock passes: a
        :class:`~orderhub.testing.sim.store.LiveFeed` calling ``on_new(rng, when)`` and
        ``on_change(rng, when)``, caught up before every request from now on (it replaces
        any earlier one). Returns it. A simulator's ``start_live`` passes its own
        handlers, rates and seed."""
        feed = LiveFeed(
            self.clock,
            on_new=on_new,
            on_change=on_change,
            new_per_hour=new_per_hour,
            changes_per_hour=changes_per_hour,
            seed=seed,
        )
        self.live_feed = feed
        return feed


__all__ = ["RecordedRequest", "Route", "RouteSpec", "SimulatedApi", "route"]
