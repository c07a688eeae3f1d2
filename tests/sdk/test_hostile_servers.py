"""The HTTP helper against hostile servers on real 127.0.0.1 sockets: a trickling, a silent,
a huge and a redirecting one. Each request ends within its overall deadline or its size cap
with a clear error, and a stop request ends any wait at once.

Nothing here asserts a duration (speed and time-to-give-up are figures in
``bench/bench_hostile.py``): boundedness is shown by which error ends the request and by how
much of the body the server got to send.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import structlog
from sqlalchemy import Engine

from orderhub.sdk import ConnectorContext
from orderhub.sdk.clock import Interrupted, SystemClock
from orderhub.sdk.errors import ConfigError, DeadlineError, ErrorKind, RejectedError
from orderhub.sdk.http import HttpClient
from orderhub.sdk.retry import RetryPolicy
from orderhub.sync.pull import PullRunner
from orderhub.testing.hostile import hostile_server
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings


def client(
    url: str, *, deadline: float = 1.5, cap: int = 1024 * 1024, stop: threading.Event | None = None
) -> HttpClient:
    return HttpClient(
        base_url=url,
        account_id="hostile",
        rate_limits={},
        default_rate_limit=None,
        retry_policy=RetryPolicy(max_attempts=3),
        clock=SystemClock(stop=stop),
        log=structlog.get_logger(),
        timeout=30.0,  # per socket operation: far longer than the deadline on purpose
        deadline=deadline,
        max_response_bytes=cap,
    )


def test_a_trickling_server_ends_at_the_deadline_with_a_timeout_naming_the_host() -> None:
    # One byte every 0.2 s never trips a per-read timeout of 30 s.
    with hostile_server("trickle", interval=0.2) as server, client(server.url) as http:
        with pytest.raises(DeadlineError) as caught:
            http.get_json("orders", "orders")
        assert caught.value.kind is ErrorKind.TIMEOUT
        assert server.host in caught.value.fix
        assert "1.5 s" in caught.value.message
        # Not retried within the run: one deadline is spent, the next run tries again.
        assert http.stats.requests == 1


def test_a_silent_server_ends_at_the_deadline() -> None:
    with hostile_server("silent") as server, client(server.url) as http:
        with pytest.raises(DeadlineError) as caught:
            http.get_json("orders", "orders")
        assert server.host in caught.value.fix
        assert http.stats.requests == 1


def test_a_huge_chunked_body_is_refused_once_past_the_cap() -> None:
    with (
        hostile_server("huge", size=50 * 1024 * 1024) as server,
        client(server.url, deadline=30, cap=1024 * 1024) as http,
        pytest.raises(RejectedError) as caught,
    ):
        http.get_json("orders", "orders")
        assert "larger than 1048576 bytes" in caught.value.message
        assert "max_response_bytes" in caught.value.fix
        # The reader stopped near the cap: the server got nowhere near its 50 MB.
        assert server.sent < 50 * 1024 * 1024 // 2


def test_a_huge_declared_body_is_refused_before_it_is_read() -> None:
    with (
        hostile_server("huge_declared", size=50 * 1024 * 1024) as server,
        client(server.url, deadline=30, cap=1024 * 1024) as http,
        pytest.raises(RejectedError) as caught,
    ):
        http.get_json("orders", "orders")
        assert "at least 52428800" in caught.value.message


def test_a_redirect_loop_is_a_config_error_after_one_request() -> None:
    with hostile_server("redirect") as server, client(server.url) as http:
        with pytest.raises(ConfigError) as caught:
            http.get_json("orders", "orders")
        assert "redirected" in caught.value.message
        assert http.stats.requests == 1


@pytest.mark.parametrize("mode", ["trickle", "silent"])
def test_a_stop_request_interrupts_a_slow_read_long_before_the_deadline(mode: str) -> None:
    stop = threading.Event()
    with (
        hostile_server(mode, interval=0.2) as server,
        client(server.url, deadline=600, stop=stop) as http,
    ):
        threading.Timer(0.3, stop.set).start()
        # With a 600 s deadline, only the stop request can end this within the test's own
        # timeout.
        with pytest.raises(Interrupted):
            http.get_json("orders", "orders")


def test_a_sync_against_a_silent_shop_fails_with_timeout_and_the_next_run_tries_again(
    sqlite_engine: Engine,
) -> None:
    with hostile_server("silent") as server:
        settings = WooCommerceSettings(
            base_url=server.url,
            consumer_key="ck_fake_7c1d9e2b4a",
            consumer_secret="cs_fake_3f8a1b6c0d",
            request_deadline=1,
        )
        connector = WooCommerceConnector(
            ConnectorContext(
                account_id="slow-shop",
                settings=settings,
                clock=SystemClock(),
                log=structlog.get_logger(),
            )
        )
        with connector.http:
            first = PullRunner(sqlite_engine, connector).run(since=None)
            second = PullRunner(sqlite_engine, connector).run()
    assert first.outcome == "failed" and first.error_kind == "timeout"
    assert first.fix is not None and "127.0.0.1" in first.fix
    assert second.outcome == "failed" and second.error_kind == "timeout"
    assert first.window is not None and second.window is not None
    assert second.window.start <= first.window.start + timedelta(seconds=5)
