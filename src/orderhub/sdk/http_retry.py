"""The retry loop of :class:`~orderhub.sdk.http.HttpClient`: one call is a series of
attempts, each waiting for the operation's token bucket, sent within the deadline and size
cap, classified, and retried (tenacity) while the error is retryable and the request
certainly did not act twice on the channel. Kept apart from the client's public methods so
each module reads in one sitting; :class:`RetryLoop` holds no state of its own.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception

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
from orderhub.sdk.http_limits import Overrun, exchange, overrun_error
from orderhub.sdk.ratelimit import RateLimit, TokenBucket
from orderhub.sdk.redaction import redact_url
from orderhub.sdk.retry import RetryPolicy

__all__ = ["RetryLoop"]

# Methods whose repetition has the same effect as one call (RFC 9110 §9.2.2).
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class _CallState:
    """Per-call state shared between the attempt and the retry decision."""

    __slots__ = ("attempts", "unsent")

    def __init__(self) -> None:
        self.attempts = 0
        self.unsent = False  # the last attempt never reached the channel


class RetryLoop:
    """The attempts of one request; mixed into :class:`~orderhub.sdk.http.HttpClient`,
    which sets the attributes declared here."""

    retry_policy: RetryPolicy
    clock: Clock
    log: Any
    stats: Any
    deadline: float
    max_response_bytes: int
    _buckets: dict[str, TokenBucket]
    _lock: threading.Lock
    _sent: threading.local
    _secrets: tuple[str, ...]
    _classify: Callable[[httpx.Response], ConnectorError | None] | None
    _rate_limit_from_response: Callable[[str, httpx.Response], RateLimit | None] | None
    _rng: random.Random
    _stop_event: threading.Event | None
    _host: str
    _client: httpx.Client

    def bucket(self, operation: str) -> TokenBucket | None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

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
        if created and limit.start_full:
            # The new bucket starts full; charge it for the request that just went out. One
            # that starts empty already assumes the channel's bucket has nothing left.
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
