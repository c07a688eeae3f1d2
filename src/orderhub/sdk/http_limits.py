"""The limits on one HTTP exchange: an overall deadline and a cap on the answer's size.

httpx's timeouts are per socket operation: a server sending one byte every few seconds never
trips them, and nothing in httpx stops a channel from sending a gigabyte. :func:`exchange`
bounds the whole exchange from connecting to the last byte, refuses an answer larger than
the cap while it streams in, and ends early when the worker is asked to stop.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from orderhub.sdk.clock import Interrupted
from orderhub.sdk.errors import ConnectorError, DeadlineError, RejectedError

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "Overrun",
    "exchange",
    "overrun_error",
]

#: Seconds one request may take from connecting to the last byte of its answer.
DEFAULT_DEADLINE = 120.0
#: The largest answer read (decoded); a larger one is refused while it streams in.
DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
#: How often a wait for an answer looks at the deadline and the stop request.
_POLL = 0.25


class Overrun(Exception):
    """The exchange passed its deadline (``what="deadline"``) or its size cap (``"size"``)."""

    def __init__(self, what: str, size: int = 0) -> None:
        super().__init__(what)
        self.what = what
        self.size = size


def _break_body_cycle(response: httpx.Response) -> None:
    """httpx keeps each response in a reference cycle with its body stream, so a page's body
    lives until the next full garbage collection and a long sync grows with every page
    (encode/httpx#3733). The body has been read by then: break the cycle."""
    stream = response.stream
    if getattr(stream, "_response", None) is response:
        stream._response = None  # type: ignore[union-attr]


def exchange(
    client: httpx.Client,
    request: httpx.Request,
    *,
    deadline: float,
    max_response_bytes: int,
    stop: threading.Event | None,
) -> httpx.Response:
    """Send ``request`` with ``client`` and read its whole answer, within ``deadline``
    seconds and ``max_response_bytes``, ending early when ``stop`` is set.

    The exchange runs in a helper thread while this one waits on the clock that matters
    (``time.monotonic``, real time: sockets do not follow a fake clock) and on the stop
    event. A helper left behind by a deadline or a stop ends by itself at its next socket
    timeout and its answer is dropped.

    Raises :class:`Overrun` past the deadline or the cap, :class:`Interrupted` on a stop
    request, and whatever httpx raised for the exchange itself.
    """
    outcome: dict[str, Any] = {}
    done = threading.Event()
    abandoned = threading.Event()

    def work() -> None:
        try:
            outcome["response"] = _read_capped(client, request, abandoned, max_response_bytes)
        except BaseException as exc:  # handed over to the waiting thread
            outcome["error"] = exc
        finally:
            done.set()

    deadline_at = time.monotonic() + deadline
    helper = threading.Thread(target=work, name="orderhub-http", daemon=True)
    helper.start()
    while not done.wait(min(_POLL, max(0.0, deadline_at - time.monotonic()))):
        if stop is not None and stop.is_set():
            abandoned.set()
            raise Interrupted("shutdown requested while waiting for the channel")
        if time.monotonic() >= deadline_at:
            abandoned.set()
            raise Overrun("deadline")
    if "error" in outcome:
        raise outcome["error"]
    response: httpx.Response = outcome["response"]
    return response


def _read_capped(
    client: httpx.Client,
    request: httpx.Request,
    abandoned: threading.Event,
    max_response_bytes: int,
) -> httpx.Response:
    response = client.send(request, stream=True)
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdecimal() and int(declared) > max_response_bytes:
            raise Overrun("size", int(declared))
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            if abandoned.is_set():
                raise Overrun("deadline")
            size += len(chunk)
            if size > max_response_bytes:
                raise Overrun("size", size)
            chunks.append(chunk)
        # The body is in hand: keep it as the response's content, as read() would.
        response._content = b"".join(chunks)
    finally:
        response.close()
        _break_body_cycle(response)
    return response


def overrun_error(
    operation: str,
    method: str,
    log_url: str,
    overrun: Overrun,
    *,
    host: str,
    deadline: float,
    max_response_bytes: int,
) -> ConnectorError:
    """The error an :class:`Overrun` means, with the fix for the account's settings."""
    path = log_url.split("?", 1)[0]
    if overrun.what == "size":
        return RejectedError(
            f"{operation}: {method} {path}: the answer is larger than "
            f"{max_response_bytes} bytes (at least {overrun.size}); it was not read",
            fix=(
                f"{host} sent more than max_response_bytes: lower the page size, or "
                "raise max_response_bytes in the account's settings if pages this large "
                "are expected."
            ),
        )
    return DeadlineError(
        f"{operation}: {method} {path}: no complete answer within {deadline:g} s",
        fix=(
            f"{host} is silent or very slow: check that it is up and reachable from "
            "this host (proxy, firewall). Nothing was lost; the next run tries again. "
            "Raise request_deadline in the account's settings only for a channel known "
            "to be this slow."
        ),
    )
