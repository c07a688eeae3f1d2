"""How the HTTP client maps a channel's answers and network failures onto orderhub errors.

A response is classified by its status code into ok / transient / rate-limited / auth /
rejected / config (a redirect), with the channel's own error code and a short message read
from the common JSON error shapes; ``Retry-After`` and its relatives say how long to wait.
Network failures become transient errors, except those that show the account's settings
are wrong. Every message is scrubbed of the account's secrets before anyone sees it.
"""

from __future__ import annotations

import json as jsonlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from orderhub.sdk.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from orderhub.sdk.json_body import decode_json
from orderhub.sdk.redaction import redact_url
from orderhub.sdk.secrets import scrub

__all__ = [
    "channel_error",
    "invalid_url_error",
    "network_error",
    "never_sent",
    "parse_json_body",
    "parse_retry_after",
    "scrubbed",
    "short",
    "status_error",
]

_MAX_MESSAGE = 200
_MAX_CODE = 80


# -- Retry-After ----------------------------------------------------------------------------


def _seconds(value: str) -> float | None:
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


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


def short(value: Any, limit: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def channel_error(response: httpx.Response) -> tuple[str | None, str | None]:
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
        short(code, _MAX_CODE) if code not in (None, "") else None,
        short(message, _MAX_MESSAGE) if message not in (None, "") else None,
    )


# -- answers and failures as errors ---------------------------------------------------------


def status_error(
    operation: str,
    method: str,
    response: httpx.Response,
    *,
    secrets: Sequence[str],
    now: datetime,
) -> ConnectorError | None:
    """The error a response's status code means (None for a 2xx), named after ``operation``
    and the redacted path, with the channel's own code and message when it sent them."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    path = redact_url(response.request.url.path, secrets)
    code, message = channel_error(response)
    what = f"{operation}: {method} {path} answered HTTP {status}"
    if code and message:
        what += f" ({code}: {message})"
    elif code or message:
        what += f" ({code or message})"
    if status in (401, 403):
        return AuthError(what, status=status, code=code)
    if status == 429:
        retry_after = parse_retry_after(response.headers, now)
        return RateLimitedError(what, status=status, code=code, retry_after=retry_after)
    if status == 408 or status >= 500:
        # A 503 may carry Retry-After (maintenance, host throttling): honour it too.
        retry_after = parse_retry_after(response.headers, now)
        return TransientError(what, status=status, code=code, retry_after=retry_after)
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        target = redact_url(location, secrets).split("?", 1)[0] if location else "?"
        return ConfigError(
            f"{what}: redirected to {target}",
            fix="Update the account's base_url to the address the channel redirects to.",
            status=status,
        )
    return RejectedError(what, status=status, code=code)


def never_sent(exc: httpx.RequestError) -> bool:
    """True when the request certainly never reached the channel (no connection opened), so
    even a non-idempotent one is safe to send again."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def network_error(
    operation: str,
    method: str,
    log_url: str,
    exc: httpx.RequestError,
    *,
    secrets: Sequence[str],
) -> ConnectorError:
    """The error a failed exchange (no answer at all) means; ``log_url`` is already redacted."""
    path = log_url.split("?", 1)[0]
    detail = scrub(f"{type(exc).__name__}: {short(exc, _MAX_MESSAGE)}", secrets)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return ConfigError(
            f"{operation}: {method} {path}: unsupported URL scheme ({detail})",
            fix="Use an https:// base_url in the account's settings.",
        )
    if isinstance(exc, httpx.LocalProtocolError):
        return RejectedError(f"{operation}: {method} {path}: invalid request ({detail})")
    if never_sent(exc):
        return TransientError(f"{operation}: {method} {path}: could not connect ({detail})")
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(f"{operation}: {method} {path}: timed out ({detail})")
    # Dropped connections, truncated bodies (RemoteProtocolError), broken encodings.
    return TransientError(f"{operation}: {method} {path}: connection failed ({detail})")


def parse_json_body(
    operation: str, method: str, response: httpx.Response, *, secrets: Sequence[str]
) -> tuple[Any, ConnectorError | None]:
    """The decoded JSON body of a 2xx answer (None for a 204), or the transient error a body
    that is not valid JSON (cut short by a crashing server or proxy) means."""
    if response.status_code == 204:
        return None, None
    try:
        return decode_json(response.content), None
    except (ValueError, UnicodeDecodeError):
        path = redact_url(response.request.url.path, secrets)
        size = len(response.content)
        return None, TransientError(
            f"{operation}: {method} {path} answered HTTP {response.status_code} with a body "
            f"that is not valid JSON ({size} bytes; cut short?)",
            status=response.status_code,
        )


def invalid_url_error(exc: Exception, secrets: Sequence[str]) -> ConfigError:
    """The config error a request URL httpx cannot build means."""
    return ConfigError(
        scrub(f"invalid request URL: {short(exc, _MAX_MESSAGE)}", secrets),
        fix="Check the account's base_url setting.",
    )


def scrubbed(error: ConnectorError, secrets: Sequence[str]) -> ConnectorError:
    """``error`` with ``secrets`` scrubbed out of its message and fix (changed in place)."""
    clean = scrub(error.message, secrets)
    if clean != error.message:
        error.message = clean
        error.args = (clean,)
    error.fix = scrub(error.fix, secrets)
    return error
