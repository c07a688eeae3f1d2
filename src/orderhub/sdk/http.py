"""The HTTP helper every connector talks to its channel through (``self.http``).

One :class:`HttpClient` per configured account. For every request it:

1. takes a token from the operation's :class:`~orderhub.sdk.ratelimit.TokenBucket`, waiting
   on the injected clock until the channel's usage plan allows the request (proactive: the
   plan is the speed limit, a 429 is a surprise);
2. sends it with one pooled ``httpx.Client``;
3. classifies the answer into ok / transient / rate-limited / auth / rejected
   (:mod:`orderhub.sdk.errors`);
4. retries transient and rate-limited failures with tenacity, honouring ``Retry-After``,
   with exponential backoff and jitter, sleeping on the injected clock (tests never sleep);
5. logs exactly one ``http.request`` event per attempt, with secrets redacted.

Non-idempotent requests (POST, PATCH) are only retried when the channel certainly did not
act on them (a throttled answer, or a connection that was never opened): retrying a POST
after a timeout could create a second shipment on the channel. Those failures still raise a
retryable error, so the push runner retries later through the connector's own idempotency
check (``push_tracking`` looks for the shipment before creating it).
"""

from __future__ import annotations

import itertools
import json as jsonlib
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote_plus, urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception

from orderhub import __version__
from orderhub.sdk.clock import Clock, Interrupted
from orderhub.sdk.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    DeadlineError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from orderhub.sdk.progress import ListingProgress, ListingWatcher
from orderhub.sdk.ratelimit import RateLimit, TokenBucket
from orderhub.sdk.retry import RetryPolicy
from orderhub.sdk.secrets import REDACTED, looks_secret, scrub

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "HttpClient",
    "HttpStats",
    "looks_secret",
    "parse_retry_after",
    "redact_url",
    "scrub",
]


# Methods whose repetition has the same effect as one call (RFC 9110 §9.2.2).
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})

_MAX_MESSAGE = 200
_MAX_CODE = 80

#: Seconds one request may take from connecting to the last byte of its answer.
DEFAULT_DEADLINE = 120.0
#: The largest answer read (decoded); a larger one is refused while it streams in.
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
#: How often a wait for an answer looks at the deadline and the stop request.
_POLL = 0.25


# -- redaction ------------------------------------------------------------------------------


def _holds_secret(raw: str, secrets: Sequence[str]) -> bool:
    decoded = unquote_plus(raw)
    return any(secret and (secret in raw or secret in decoded) for secret in secrets)


def redact_url(url: str, secrets: Sequence[str]) -> str:
    """A URL safe to log: secrets removed, structure kept.

    - the user-info part of the host (``user:password@``) is dropped;
    - the value of every query parameter whose name looks secret (:func:`looks_secret`) is
      replaced by ``***``;
    - every path segment or query value that contains one of ``secrets`` (in any encoding)
      is replaced by ``***``;
    - the fragment is dropped.

    Works on absolute URLs and on path-plus-query strings alike. Never raises.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        # Not parseable as a URL: fall back to plain scrubbing of what we were given.
        return scrub(url.split("#", 1)[0], secrets)
    origin = ""
    if parts.scheme and host:
        shown_host = f"[{host}]" if ":" in host else host
        origin = f"{parts.scheme}://{shown_host}" + (f":{port}" if port is not None else "")
    segments = [
        REDACTED if segment and _holds_secret(segment, secrets) else segment
        for segment in parts.path.split("/")
    ]
    path = "/".join(segments)
    pairs: list[str] = []
    if parts.query:
        for pair in parts.query.split("&"):
            name, sep, value = pair.partition("=")
            if (sep and looks_secret(unquote_plus(name))) or _holds_secret(value, secrets):
                pairs.append(f"{name}={REDACTED}")
            else:
                pairs.append(pair)
    query = ("?" + "&".join(pairs)) if pairs else ""
    return scrub(origin + path + query, secrets)


# -- Retry-After ----------------------------------------------------------------------------


def _seconds(value: str) -> float | None:
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _break_body_cycle(response: httpx.Response) -> None:
    """httpx keeps each response in a reference cycle with its body stream, so a page's body
    lives until the next full garbage collection and a long sync grows with every page
    (encode/httpx#3733). The body has been read by then: break the cycle."""
    stream = response.stream
    if getattr(stream, "_response", None) is response:
        stream._response = None  # type: ignore[union-attr]


def parse_retry_after(headers: httpx.Headers, now: datetime) -> float | None:
    """Seconds the channel asks us to wait, or None when it did not say.

    Read in this order:

    - ``Retry-After``: delay in seconds (``"120"``, Shopify sends ``"2.0"``) or an HTTP-date,
      counted from ``now`` (the injected clock) and never negative;
    - ``RateLimit-Retry-After`` (WooCommerce's Store API limiter): seconds;
    - ``RateLimit-Reset`` (IETF RateLimit header fields draft): seconds until the quota resets;
    - ``X-RateLimit-Reset``: used both ways in the wild; a value above 10^9 is a Unix time
      (the quota resets at that instant), a smaller one a delay in seconds.
    """
    value = headers.get("retry-after")
    if value:
        seconds = _seconds(value)
        if seconds is not None:
            return seconds
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:  # HTTP-dates are always GMT
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - now).total_seconds())
    for name in ("ratelimit-retry-after", "ratelimit-reset"):
        value = headers.get(name)
        seconds = _seconds(value) if value else None
        if seconds is not None:
            return seconds
    value = headers.get("x-ratelimit-reset")
    seconds = _seconds(value) if value else None
    if seconds is not None:
        if seconds > 1e9:
            return max(0.0, seconds - now.timestamp())
        return seconds
    return None


# -- error bodies ---------------------------------------------------------------------------


def _short(value: Any, limit: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _channel_error(response: httpx.Response) -> tuple[str | None, str | None]:
    """The channel's own error code and a short message, from the common JSON error shapes.

    WooCommerce ``{"code", "message"}``, Amazon ``{"errors": [{"code", "message"}]}``, eBay
    ``{"errors": [{"errorId", "message", "longMessage"}]}``, Login with Amazon
    ``{"error", "error_description"}``, Shopify ``{"errors": "..."}`` or
    ``{"errors": {"field": ["..."]}}``. Only the first error is taken, truncated: a body can
    be large and may echo request data.
    """
    if not response.content:
        return None, None
    try:
        body = jsonlib.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    code: Any = None
    message: Any = None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        code = first.get("code") if first.get("code") is not None else first.get("errorId")
        message = first.get("message") or first.get("longMessage")
    elif isinstance(errors, str):
        message = errors
    elif isinstance(errors, dict) and errors:
        field, detail = next(iter(errors.items()))
        if isinstance(detail, list) and detail:
            detail = detail[0]
        message = f"{field}: {detail}"
    elif isinstance(body.get("code"), str | int) or isinstance(body.get("message"), str):
        code, message = body.get("code"), body.get("message")
    elif isinstance(body.get("error"), str):
        code, message = body.get("error"), body.get("error_description")
    return (
        _short(code, _MAX_CODE) if code not in (None, "") else None,
        _short(message, _MAX_MESSAGE) if message not in (None, "") else None,
    )


# -- the client -----------------------------------------------------------------------------


@dataclass
class HttpStats:
    """Counters for one account's HTTP traffic; the sync engine copies them into its
    ``sync_run`` row (read before and after a run to get that run's share)."""

    requests: int = 0  # requests actually sent (attempts)
    retries: int = 0  # attempts beyond the first
    throttled: int = 0  # 429 / rate-limited answers received
    pages: int = 0  # incremented by paginate()
    waited: float = 0.0  # seconds spent waiting for rate-limit tokens + backoff


class _Overrun(Exception):
    """The exchange passed its deadline (``what="deadline"``) or its size cap (``"size"``)."""

    def __init__(self, what: str, size: int = 0) -> None:
        super().__init__(what)
        self.what = what
        self.size = size


class _CallState:
    """Per-call state shared between the attempt and the retry decision."""

    __slots__ = ("attempts", "unsent")

    def __init__(self) -> None:
        self.attempts = 0
        self.unsent = False  # the last attempt never reached the channel


class HttpClient:
    """HTTP access for one account: rate-limited, classified, retried, logged.

    Built by :class:`~orderhub.sdk.connector.Connector` from its class declarations; a
    connector uses it as ``self.http``. ``operation`` names the channel operation a request
    belongs to (``"getOrders"``, ``"orders.list"``...): it selects the token bucket from
    ``rate_limits`` (or ``default_rate_limit``; no waiting when both are missing) and labels
    the log event.

    ``classify`` turns responses the status code alone misjudges into errors (it is asked
    first; returning None falls back to the status). ``rate_limit_from_response`` reads a
    usage plan the channel announces in a response and replaces the operation's bucket plan.
    ``secrets`` are scrubbed out of every logged URL and every error message. ``rng`` seeds
    the retry jitter (tests pass ``random.Random(0)``).

    Safe to share between threads: buckets and counters are locked.
    """

    def __init__(
        self,
        *,
        base_url: str,
        account_id: str,
        rate_limits: Mapping[str, RateLimit],
        default_rate_limit: RateLimit | None,
        retry_policy: RetryPolicy,
        clock: Clock,
        log: Any,
        transport: httpx.BaseTransport | None = None,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        stop: threading.Event | None = None,
        secrets: Sequence[str] = (),
        classify: Callable[[httpx.Response], ConnectorError | None] | None = None,
        rate_limit_from_response: Callable[[str, httpx.Response], RateLimit | None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.account_id = account_id
        self.retry_policy = retry_policy
        self.clock = clock
        self.log = log
        self.stats = HttpStats()
        self._listing_watcher: ListingWatcher | None = None
        self._listing_numbers = itertools.count(1)
        self._rate_limits = dict(rate_limits)
        self._default_rate_limit = default_rate_limit
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()
        # The operation each thread sent last: what its next request most likely uses.
        self._sent = threading.local()
        self._secrets = tuple(s for s in secrets if s)
        self._classify = classify
        self._rate_limit_from_response = rate_limit_from_response
        self._rng = rng if rng is not None else random.Random()
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        # The worker's stop request: a wait for an answer ends within _POLL seconds of it.
        self._stop_event = stop if stop is not None else getattr(clock, "stop", None)
        self._host = urlsplit(base_url).hostname or base_url
        merged = {"User-Agent": f"orderhub/{__version__}", "Accept": "application/json"}
        merged.update(headers or {})
        self._client = httpx.Client(
            base_url=base_url,
            transport=transport,
            auth=auth,
            headers=merged,
            # Per socket operation; the whole request is bounded by ``deadline`` on top.
            timeout=min(timeout, deadline + 1.0),
            # A redirect usually means base_url is stale (http -> https, a moved shop); it is
            # reported as a config error instead of silently re-sending credentials.
            follow_redirects=False,
        )

    # -- public ----------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API root relative URLs are joined to (always ends with ``/``)."""
        return str(self._client.base_url)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret values scrubbed from logs and messages."""
        return self._secrets

    def resolve_url(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.URL:
        """The absolute URL a request to ``url`` with ``params`` goes to (no request sent).

        Raises ConfigError when ``url`` is not a valid URL.
        """
        target, query = self._prepare_url(url, params)
        try:
            return self._client.build_request("GET", target, params=query).url
        except httpx.InvalidURL as exc:
            raise self._invalid_url(exc) from None

    def bucket(self, operation: str) -> TokenBucket | None:
        """The token bucket of ``operation``, created on first use from ``rate_limits`` or
        ``default_rate_limit``; None when the operation has no plan."""
        with self._lock:
            existing = self._buckets.get(operation)
            if existing is not None:
                return existing
            limit = self._rate_limits.get(operation, self._default_rate_limit)
            if limit is None:
                return None
            created = TokenBucket(limit, self.clock)
            self._buckets[operation] = created
            return created

    def next_wait(self) -> float:
        """Seconds the calling thread's next request of the operation it sent last would
        wait for a token (0 when one is there, or nothing was sent yet). The sync engine
        asks between pages, to give its thread back instead of sleeping through a long
        wait."""
        operation = getattr(self._sent, "operation", None)
        with self._lock:
            bucket = self._buckets.get(operation) if operation is not None else None
        return bucket.wait_time() if bucket is not None else 0.0

    def request(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one request (with waits and retries) and return the 2xx response.

        ``url`` is relative to ``base_url`` (``"orders"`` or ``"/orders"``) or absolute (a
        next-page URL). ``params`` are merged into any query ``url`` already carries.
        ``idempotent`` overrides the method's default (GET/PUT/DELETE yes, POST/PATCH no):
        pass True for a POST the channel de-duplicates, so it is retried after timeouts and
        5xx too.

        Raises :class:`AuthError` (401/403), :class:`RejectedError` (other 4xx),
        :class:`RateLimitedError` (429 after the last attempt, or a ``Retry-After`` longer
        than ``retry_policy.max_retry_after``), :class:`TransientError` (5xx, 408, network
        failures after the last attempt), :class:`ConfigError` (invalid URL, redirect), or
        whatever ``classify`` returned. :class:`~orderhub.sdk.clock.Interrupted` passes
        through when the worker shuts down during a wait.
        """
        response, _ = self._call(
            operation,
            method,
            url,
            params=params,
            json=json,
            data=data,
            headers=headers,
            idempotent=idempotent,
            parse_json=False,
        )
        return response

    def get_json(
        self,
        operation: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """GET ``url`` and return the decoded JSON body (None for a 204).

        A 2xx body that is not valid JSON (cut short by a crashing server or proxy) counts as
        a :class:`TransientError` and is retried like a 5xx. Otherwise raises as
        :meth:`request`.
        """
        _, body = self.get_json_response(operation, url, params=params, headers=headers)
        return body

    def get_json_response(
        self,
        operation: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[httpx.Response, Any]:
        """As :meth:`get_json`, but also returns the response (for headers such as
        ``Link`` or ``X-WP-TotalPages``)."""
        return self._call(
            operation,
            "GET",
            url,
            params=params,
            json=None,
            data=None,
            headers=headers,
            idempotent=None,
            parse_json=True,
        )

    def send_json(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send ``json`` as the request body (POST, PUT, PATCH...) and return the 2xx
        response. Raises as :meth:`request`; see there for ``idempotent``."""
        return self.request(
            operation,
            method,
            url,
            params=params,
            json=json,
            headers=headers,
            idempotent=idempotent,
        )

    def count_page(self) -> None:
        """Count one fetched page in :attr:`stats` (called by :func:`paginate`)."""
        with self._lock:
            self.stats.pages += 1

    def next_listing(self) -> int:
        """A new listing number for :class:`~orderhub.sdk.progress.ListingProgress`."""
        with self._lock:
            return next(self._listing_numbers)

    def report_listing(self, progress: ListingProgress) -> None:
        """Tell whoever watches (see :meth:`watching_listings`) how far a listing has got;
        nothing happens when no one does. Called by ``read_window`` after every page."""
        watcher = self._listing_watcher
        if watcher is not None:
            watcher(progress)

    @contextmanager
    def watching_listings(self, watcher: ListingWatcher) -> Iterator[None]:
        """Send every listing report made inside the block to ``watcher`` (the sync engine
        does, for its progress display). One watcher at a time: a client serves one run."""
        previous, self._listing_watcher = self._listing_watcher, watcher
        try:
            yield
        finally:
            self._listing_watcher = previous

    def limit_to_one_try(self, timeout: float) -> None:
        """One attempt per call, with this deadline: for a check a person waits on
        (``orderhub config check --online``), where retrying a wrong address for a minute
        only hides the answer."""
        self.retry_policy = RetryPolicy(max_attempts=1)
        self._client.timeout = httpx.Timeout(timeout)

    def close(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the retry loop --------------------------------------------------------------------

    def _call(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        idempotent: bool | None,
        parse_json: bool,
    ) -> tuple[httpx.Response, Any]:
        method = method.upper()
        safe = idempotent if idempotent is not None else method in _IDEMPOTENT_METHODS
        state = _CallState()
        target, query = self._prepare_url(url, params)

        def attempt() -> tuple[httpx.Response, Any]:
            state.attempts += 1
            return self._attempt(
                operation,
                method,
                target,
                params=query,
                json=json,
                data=data,
                headers=headers,
                number=state.attempts,
                parse_json=parse_json,
                state=state,
            )

        def should_retry(exc: BaseException) -> bool:
            if not isinstance(exc, ConnectorError) or not exc.retryable:
                return False
            if isinstance(exc, DeadlineError):
                return False  # it took a whole deadline already: leave it to the next run
            # A throttled request or one that never left was not acted on: always safe.
            return safe or isinstance(exc, RateLimitedError) or state.unsent

        retrying = Retrying(
            sleep=self._backoff_sleep,
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception(should_retry),
            reraise=True,  # the last ConnectorError, not tenacity's RetryError
        )
        return retrying(attempt)

    def _stop(self, retry_state: RetryCallState) -> bool:
        if retry_state.attempt_number >= self.retry_policy.max_attempts:
            return True
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        # A channel asking for a very long pause: give up now and let the next scheduled
        # run try again, instead of parking the worker.
        return (
            isinstance(exc, ConnectorError)
            and exc.retry_after is not None
            and exc.retry_after > self.retry_policy.max_retry_after
        )

    def _wait(self, retry_state: RetryCallState) -> float:
        """Seconds before the next attempt.

        - the channel said when (``Retry-After``): exactly that, plus up to ``jitter`` × that
          on top, never less (sending early only earns another 429);
        - otherwise ``retry_policy.backoff(attempt)`` plus up to ``jitter`` × that. For a 429
          without ``Retry-After`` the operation's bucket has also been drained, and the
          bucket refills during this sleep, so the retry goes out after the longer of the
          backoff and one full token interval of the plan: the channel's own bucket is empty
          and gains its next token one interval later (Amazon's plans work this way), while
          the growing backoff takes over when 429s repeat (another client sharing the quota,
          or a plan lower than declared).
        """
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        policy = self.retry_policy
        if isinstance(exc, ConnectorError) and exc.retry_after is not None:
            base = max(0.0, exc.retry_after)
        else:
            base = policy.backoff(retry_state.attempt_number)
        if base <= 0:
            return 0.0
        return base + self._rng.uniform(0.0, policy.jitter * base)

    def _backoff_sleep(self, seconds: float) -> None:
        with self._lock:
            self.stats.waited += seconds
        self.clock.sleep(seconds)

    # -- one attempt -----------------------------------------------------------------------

    def _attempt(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        number: int,
        parse_json: bool,
        state: _CallState,
    ) -> tuple[httpx.Response, Any]:
        state.unsent = False
        try:
            request = self._client.build_request(
                method, url, params=params, json=json, data=data, headers=headers
            )
        except httpx.InvalidURL as exc:
            raise self._invalid_url(exc) from None
        log_url = redact_url(request.url.raw_path.decode("ascii", "replace"), self._secrets)

        bucket = self.bucket(operation)
        self._sent.operation = operation
        waited = bucket.acquire() if bucket is not None else 0.0
        with self._lock:
            self.stats.waited += waited
            self.stats.requests += 1
            if number > 1:
                self.stats.retries += 1

        started = self.clock.monotonic()
        response: httpx.Response | None = None
        body: Any = None
        error: ConnectorError | None
        try:
            response = self._exchange(request)
        except httpx.RequestError as exc:
            error = self._network_error(operation, method, log_url, exc, state)
        except _Overrun as exc:
            error = self._overrun_error(operation, method, log_url, exc)
        else:
            self._adopt_rate_limit(operation, response)
            error = self._classify_response(operation, method, response)
            if error is None and parse_json:
                body, error = self._parse_json(operation, method, response)
        duration_ms = round((self.clock.monotonic() - started) * 1000.0, 1)

        if isinstance(error, RateLimitedError):
            with self._lock:
                self.stats.throttled += 1
            if error.retry_after is None and bucket is not None:
                # No hint from the channel: start the plan over, a full token interval.
                bucket.drain()

        fields: dict[str, Any] = {
            "operation": operation,
            "method": method,
            "url": log_url,
            "status": response.status_code if response is not None else None,
            "duration_ms": duration_ms,
            "attempt": number,
        }
        if error is None and response is not None:
            self.log.info("http.request", **fields)
            return response, body
        if error is None:  # unreachable: no response always comes with an error
            error = TransientError(f"{operation}: {method} {log_url}: no response")
        error = self._scrubbed(error)
        fields["error_kind"] = error.kind.value
        fields["error"] = error.message
        if error.retry_after is not None:
            fields["retry_after"] = error.retry_after
        self.log.warning("http.request", **fields)
        raise error

    # -- the exchange: deadline, size cap, stop ------------------------------------------

    def _exchange(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and read its whole answer, within the overall deadline and the
        size cap, ending early on a stop request.

        httpx's timeouts are per socket operation: a server sending one byte every few
        seconds never trips them. So the exchange runs in a helper thread while this one
        waits on the clock that matters (``time.monotonic``, real time: sockets do not
        follow a fake clock) and on the stop event. A helper left behind by a deadline or a
        stop ends by itself at its next socket timeout and its answer is dropped.
        """
        outcome: dict[str, Any] = {}
        done = threading.Event()
        abandoned = threading.Event()

        def work() -> None:
            try:
                outcome["response"] = self._read_capped(request, abandoned)
            except BaseException as exc:  # handed over to the waiting thread
                outcome["error"] = exc
            finally:
                done.set()

        deadline_at = time.monotonic() + self.deadline
        helper = threading.Thread(target=work, name="orderhub-http", daemon=True)
        helper.start()
        while not done.wait(min(_POLL, max(0.0, deadline_at - time.monotonic()))):
            if self._stop_event is not None and self._stop_event.is_set():
                abandoned.set()
                raise Interrupted("shutdown requested while waiting for the channel")
            if time.monotonic() >= deadline_at:
                abandoned.set()
                raise _Overrun("deadline")
        if "error" in outcome:
            raise outcome["error"]
        response: httpx.Response = outcome["response"]
        return response

    def _read_capped(self, request: httpx.Request, abandoned: threading.Event) -> httpx.Response:
        response = self._client.send(request, stream=True)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdecimal() and int(declared) > self.max_response_bytes:
                raise _Overrun("size", int(declared))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                if abandoned.is_set():
                    raise _Overrun("deadline")
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise _Overrun("size", size)
                chunks.append(chunk)
            # The body is in hand: keep it as the response's content, as read() would.
            response._content = b"".join(chunks)
        finally:
            response.close()
            _break_body_cycle(response)
        return response

    def _overrun_error(
        self, operation: str, method: str, log_url: str, overrun: _Overrun
    ) -> ConnectorError:
        path = log_url.split("?", 1)[0]
        if overrun.what == "size":
            return RejectedError(
                f"{operation}: {method} {path}: the answer is larger than "
                f"{self.max_response_bytes} bytes (at least {overrun.size}); it was not read",
                fix=(
                    f"{self._host} sent more than max_response_bytes: lower the page size, or "
                    "raise max_response_bytes in the account's settings if pages this large "
                    "are expected."
                ),
            )
        return DeadlineError(
            f"{operation}: {method} {path}: no complete answer within {self.deadline:g} s",
            fix=(
                f"{self._host} is silent or very slow: check that it is up and reachable from "
                "this host (proxy, firewall). Nothing was lost; the next run tries again. "
                "Raise request_deadline in the account's settings only for a channel known "
                "to be this slow."
            ),
        )

    # -- helpers ---------------------------------------------------------------------------

    def _prepare_url(
        self, url: str, params: Mapping[str, Any] | None
    ) -> tuple[str, dict[str, Any] | None]:
        # httpx replaces (rather than extends) a URL's query when params are given, and an
        # empty params mapping strips it: merge here so next-page URLs keep their query.
        if not params:
            return url, None
        if "?" in url:
            try:
                return str(httpx.URL(url).copy_merge_params(dict(params))), None
            except httpx.InvalidURL as exc:
                raise self._invalid_url(exc) from None
        return url, dict(params)

    def _invalid_url(self, exc: Exception) -> ConfigError:
        return ConfigError(
            scrub(f"invalid request URL: {_short(exc, _MAX_MESSAGE)}", self._secrets),
            fix="Check the account's base_url setting.",
        )

    def _scrubbed(self, error: ConnectorError) -> ConnectorError:
        clean = scrub(error.message, self._secrets)
        if clean != error.message:
            error.message = clean
            error.args = (clean,)
        error.fix = scrub(error.fix, self._secrets)
        return error

    def _adopt_rate_limit(self, operation: str, response: httpx.Response) -> None:
        if self._rate_limit_from_response is None:
            return
        limit = self._rate_limit_from_response(operation, response)
        if limit is None:
            return
        with self._lock:
            bucket = self._buckets.get(operation)
            if bucket is None:
                bucket = TokenBucket(limit, self.clock)
                self._buckets[operation] = bucket
                created = True
            else:
                created = False
        if created:
            # The new bucket starts full; charge it for the request that just went out.
            bucket.acquire()
        elif bucket.limit != limit:
            bucket.update(limit)

    def _network_error(
        self,
        operation: str,
        method: str,
        log_url: str,
        exc: httpx.RequestError,
        state: _CallState,
    ) -> ConnectorError:
        path = log_url.split("?", 1)[0]
        detail = scrub(f"{type(exc).__name__}: {_short(exc, _MAX_MESSAGE)}", self._secrets)
        if isinstance(exc, httpx.UnsupportedProtocol):
            return ConfigError(
                f"{operation}: {method} {path}: unsupported URL scheme ({detail})",
                fix="Use an https:// base_url in the account's settings.",
            )
        if isinstance(exc, httpx.LocalProtocolError):
            return RejectedError(f"{operation}: {method} {path}: invalid request ({detail})")
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            state.unsent = True
            return TransientError(f"{operation}: {method} {path}: could not connect ({detail})")
        if isinstance(exc, httpx.TimeoutException):
            return TransientError(f"{operation}: {method} {path}: timed out ({detail})")
        # Dropped connections, truncated bodies (RemoteProtocolError), broken encodings.
        return TransientError(f"{operation}: {method} {path}: connection failed ({detail})")

    def _classify_response(
        self, operation: str, method: str, response: httpx.Response
    ) -> ConnectorError | None:
        error = self._classify(response) if self._classify is not None else None
        if error is not None:
            if error.status is None:
                error.status = response.status_code
            if isinstance(error, RateLimitedError) and error.retry_after is None:
                error.retry_after = parse_retry_after(response.headers, self.clock.now())
            return error
        status = response.status_code
        if 200 <= status < 300:
            return None
        path = redact_url(response.request.url.path, self._secrets)
        code, message = _channel_error(response)
        what = f"{operation}: {method} {path} answered HTTP {status}"
        if code and message:
            what += f" ({code}: {message})"
        elif code or message:
            what += f" ({code or message})"
        if status in (401, 403):
            return AuthError(what, status=status, code=code)
        if status == 429:
            retry_after = parse_retry_after(response.headers, self.clock.now())
            return RateLimitedError(what, status=status, code=code, retry_after=retry_after)
        if status == 408 or status >= 500:
            # A 503 may carry Retry-After (maintenance, host throttling): honour it too.
            retry_after = parse_retry_after(response.headers, self.clock.now())
            return TransientError(what, status=status, code=code, retry_after=retry_after)
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            target = redact_url(location, self._secrets).split("?", 1)[0] if location else "?"
            return ConfigError(
                f"{what}: redirected to {target}",
                fix="Update the account's base_url to the address the channel redirects to.",
                status=status,
            )
        return RejectedError(what, status=status, code=code)

    def _parse_json(
        self, operation: str, method: str, response: httpx.Response
    ) -> tuple[Any, ConnectorError | None]:
        if response.status_code == 204:
            return None, None
        try:
            return jsonlib.loads(response.content), None
        except (ValueError, UnicodeDecodeError):
            path = redact_url(response.request.url.path, self._secrets)
            size = len(response.content)
            return None, TransientError(
                f"{operation}: {method} {path} answered HTTP {response.status_code} with a body "
                f"that is not valid JSON ({size} bytes; cut short?)",
                status=response.status_code,
            )
