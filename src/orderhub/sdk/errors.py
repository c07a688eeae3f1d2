"""Errors a connector raises, classified by what the framework should do about them.

Every error carries a ``message`` (what went wrong) and a ``fix`` (what a person should do),
because ops read these in ``orderhub failures`` and in the logs. Messages never include
secrets or buyer PII: build them from ids, statuses and field names only.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """What the framework does with an error."""

    TRANSIENT = "transient"  # retried with backoff (5xx, timeouts, truncated bodies)
    TIMEOUT = "timeout"  # a request passed its overall deadline; the next run tries again
    RATE_LIMITED = "rate_limited"  # retried after Retry-After or a bucket refill
    AUTH = "auth"  # never retried; the account needs attention (credentials)
    REJECTED = "rejected"  # never retried; the request itself is wrong (other 4xx)
    MALFORMED = "malformed"  # one record cannot be read; it is quarantined
    PAGINATION_LOOP = "pagination_loop"  # the API served a page token twice
    CONFIG = "config"  # the account's settings are wrong


class ConnectorError(Exception):
    """Base class of every error raised through the SDK.

    ``status`` is the HTTP status when the error came from a response, ``retry_after`` the
    wait in seconds the channel asked for (if any), ``code`` the channel's own error code.
    """

    kind: ErrorKind = ErrorKind.REJECTED
    default_fix: str = "Check the request and the channel's answer in the log."

    def __init__(
        self,
        message: str,
        *,
        fix: str | None = None,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix or self.default_fix
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in (ErrorKind.TRANSIENT, ErrorKind.RATE_LIMITED, ErrorKind.TIMEOUT)

    def __str__(self) -> str:
        return self.message


class TransientError(ConnectorError):
    """A failure that may pass on its own: 5xx, timeout, dropped connection, truncated body."""

    kind = ErrorKind.TRANSIENT
    default_fix = "Nothing to do if it passes; if it persists, check the channel's status page."


class DeadlineError(TransientError):
    """A request did not finish (connect, send, wait and read together) within its overall
    deadline: a silent or trickling server. Not retried within the run (it already took a
    whole deadline); the next run, or the push runner's next attempt, tries again."""

    kind = ErrorKind.TIMEOUT


class RateLimitedError(ConnectorError):
    """The channel throttled us (HTTP 429 or its equivalent)."""

    kind = ErrorKind.RATE_LIMITED
    default_fix = "Nothing to do: orderhub waits and retries. If it persists, lower the poll rate."


class AuthError(ConnectorError):
    """Credentials are missing, wrong, expired or revoked. Never retried."""

    kind = ErrorKind.AUTH
    default_fix = "Renew the account's credentials and restart the worker."


class RejectedError(ConnectorError):
    """The channel refused the request itself (4xx other than auth and throttling)."""

    kind = ErrorKind.REJECTED


class MalformedRecordError(ConnectorError):
    """One record cannot be normalised. Raised by ``to_order``; the record is quarantined."""

    kind = ErrorKind.MALFORMED
    default_fix = (
        "The raw payload is kept in `orderhub failures`; fix the order on the channel "
        "(or report the connector bug) and the next sync picks it up."
    )


class PaginationLoopError(ConnectorError):
    """The API returned a page token or URL it had already returned: paging would never end."""

    kind = ErrorKind.PAGINATION_LOOP
    default_fix = "The channel's paging is broken for this window; report it and retry later."


class ConfigError(ConnectorError):
    """The account's settings cannot work (unknown region, missing field)."""

    kind = ErrorKind.CONFIG
    default_fix = "Fix the account's settings and run `orderhub config check`."
