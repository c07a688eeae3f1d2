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

The parts by role: this module is the client; :mod:`orderhub.sdk.http_retry` its retry
loop (the attempts of one request);
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

from orderhub import __version__
from orderhub.sdk.clock import Clock
from orderhub.sdk.errors import (
    ConnectorError,
)
from orderhub.sdk.http_errors import (
    invalid_url_error,
    parse_retry_after,
)
from orderhub.sdk.http_limits import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
)
from orderhub.sdk.http_retry import RetryLoop
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


class HttpClient(RetryLoop):
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
