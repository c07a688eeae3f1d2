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

The parts by role: this module is the client and its retry loop;
:mod:`orderhub.sdk.http_limits` bounds one exchange (deadline, size cap, stop request);
:mod:`orderhub.sdk.http_errors` maps answers and network failures onto errors;
:mod:`orderhub.sdk.redaction` makes URLs safe to log. The names connectors use are all
importable from here.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception

from orderhub import __version__
from orderhub.sdk.clock import Clock
from orderhub.sdk.errors import (
    ConnectorError,
    DeadlineError,
    RateLimitedError,
    TransientError,
)
from orderhub.sdk.http_errors import (
    invalid_url_error,
    network_error,
    never_sent,
    parse_json_body,
    parse_retry_after,
    scrubbed,
    status_error,
)
from orderhub.sdk.http_limits import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    Overrun,
    exchange,
    overrun_error,
)
from orderhub.sdk.progress import ListingProgress, ListingWatcher
from orderhub.sdk.ratelimit import RateLimit, TokenBucket
from orderhub.sdk.redaction import redact_url
from orderhub.sdk.retry import RetryPolicy
from orderhub.sdk.secrets import looks_secret, scrub

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
        # The worker's stop request: a wait for an answer ends within a fraction of a second.
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
            raise invalid_url_error(exc, self._secrets) from None

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
            raise invalid_url_error(exc, self._secrets) from None
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
            response = exchange(
                self._client,
                request,
                deadline=self.deadline,
                max_response_bytes=self.max_response_bytes,
                stop=self._stop_event,
            )
        except httpx.RequestError as exc:
            state.unsent = never_sent(exc)
            error = network_error(operation, method, log_url, exc, secrets=self._secrets)
        except Overrun as exc:
            error = overrun_error(
                operation,
                method,
                log_url,
                exc,
                host=self._host,
                deadline=self.deadline,
                max_response_bytes=self.max_response_bytes,
            )
        else:
            self._adopt_rate_limit(operation, response)
            error = self._classify_response(operation, method, response)
            if error is None and parse_json:
                body, error = parse_json_body(operation, method, response, secrets=self._secrets)
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
        error = scrubbed(error, self._secrets)
        fields["error_kind"] = error.kind.value
        fields["error"] = error.message
        if error.retry_after is not None:
            fields["retry_after"] = error.retry_after
        self.log.warning("http.request", **fields)
        raise error

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
                raise invalid_url_error(exc, self._secrets) from None
        return url, dict(params)

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
        return status_error(
            operation, method, response, secrets=self._secrets, now=self.clock.now()
        )
