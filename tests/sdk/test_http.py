"""The HTTP helper: classification, retries, Retry-After, token buckets, logging, redaction."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from orderhub.sdk.clock import Interrupted, SystemClock
from orderhub.sdk.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    ErrorKind,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from orderhub.sdk.http import HttpClient, looks_secret, parse_retry_after, redact_url, scrub
from orderhub.sdk.ratelimit import RateLimit
from orderhub.sdk.retry import RetryPolicy
from orderhub.testing.clock import FakeClock

BASE = "https://shop.example/wp-json/wc/v3"

Reply = httpx.Response | Exception


@dataclass
class Channel:
    """A scripted channel: answers in order (the last one repeats), records each request
    with the FakeClock's monotonic time at which it arrived."""

    clock: FakeClock
    replies: list[Reply] | Callable[[httpx.Request], Reply]
    seen: list[tuple[float, httpx.Request]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((self.clock.monotonic(), request))
        if callable(self.replies):
            reply = self.replies(request)
        else:
            reply = self.replies[min(len(self.seen), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def times(self) -> list[float]:
        return [t for t, _ in self.seen]

    @property
    def count(self) -> int:
        return len(self.seen)


def make_client(
    replies: list[Reply] | Callable[[httpx.Request], Reply],
    *,
    clock: FakeClock | None = None,
    policy: RetryPolicy | None = None,
    rate_limits: dict[str, RateLimit] | None = None,
    default_rate_limit: RateLimit | None = None,
    secrets: Sequence[str] = (),
    seed: int = 0,
    base_url: str = BASE,
    **kwargs: Any,
) -> tuple[HttpClient, Channel, FakeClock]:
    clock = clock or FakeClock()
    channel = Channel(clock, replies)
    client = HttpClient(
        base_url=base_url,
        account_id="acct-1",
        rate_limits=rate_limits or {},
        default_rate_limit=default_rate_limit,
        retry_policy=policy or RetryPolicy(max_attempts=4, base_delay=1.0, jitter=0.1),
        clock=clock,
        log=structlog.get_logger(),
        transport=httpx.MockTransport(channel),
        secrets=secrets,
        rng=random.Random(seed),
        **kwargs,
    )
    return client, channel, clock


def ok(body: Any = None, **kwargs: Any) -> httpx.Response:
    return httpx.Response(200, json={"ok": True} if body is None else body, **kwargs)


@pytest.fixture
def client_factory() -> Iterator[Callable[..., tuple[HttpClient, Channel, FakeClock]]]:
    made: list[HttpClient] = []

    def factory(*args: Any, **kwargs: Any) -> tuple[HttpClient, Channel, FakeClock]:
        result = make_client(*args, **kwargs)
        made.append(result[0])
        return result

    yield factory
    for client in made:
        client.close()


Factory = Callable[..., tuple[HttpClient, Channel, FakeClock]]


# -- basics ---------------------------------------------------------------------------------


def test_get_json_returns_body_and_counts_one_request(client_factory: Factory) -> None:
    client, channel, clock = client_factory([ok({"orders": [1, 2]})])
    assert client.get_json("orders.list", "orders", params={"page": 1}) == {"orders": [1, 2]}
    assert channel.count == 1
    assert str(channel.seen[0][1].url) == f"{BASE}/orders?page=1"
    assert client.stats.requests == 1
    assert client.stats.retries == 0
    assert clock.sleeps == []


def test_relative_and_absolute_urls_and_query_merge(client_factory: Factory) -> None:
    client, channel, _ = client_factory([ok()])
    client.request("op", "GET", "/orders")
    client.request("op", "GET", "https://shop.example/other?page_info=abc&limit=5")
    client.request("op", "GET", "orders?status=any", params={"page": 2})
    urls = [str(req.url) for _, req in channel.seen]
    assert urls == [
        f"{BASE}/orders",
        "https://shop.example/other?page_info=abc&limit=5",
        f"{BASE}/orders?status=any&page=2",
    ]


def test_default_headers_and_per_request_headers(client_factory: Factory) -> None:
    client, channel, _ = client_factory([ok()], headers={"x-api-version": "7"})
    client.send_json("push", "POST", "orders/1/notes", json={"note": "x"}, headers={"X-One": "1"})
    request = channel.seen[0][1]
    assert request.headers["x-api-version"] == "7"
    assert request.headers["x-one"] == "1"
    assert request.headers["user-agent"].startswith("orderhub/")
    assert json.loads(request.content) == {"note": "x"}
    assert request.method == "POST"


def test_get_json_of_204_is_none(client_factory: Factory) -> None:
    client, _, _ = client_factory([httpx.Response(204)])
    assert client.get_json("op", "x") is None


# -- classification -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_are_not_retried(client_factory: Factory, status: int) -> None:
    client, channel, clock = client_factory([httpx.Response(status)])
    with pytest.raises(AuthError) as info:
        client.get_json("orders.list", "orders")
    assert info.value.status == status
    assert info.value.kind is ErrorKind.AUTH
    assert channel.count == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_other_4xx_rejected_exactly_one_request(client_factory: Factory, status: int) -> None:
    client, channel, clock = client_factory([httpx.Response(status, json={"code": "bad"})])
    with pytest.raises(RejectedError) as info:
        client.get_json("orders.list", "orders")
    assert info.value.status == status
    assert not info.value.retryable
    assert channel.count == 1
    assert clock.sleeps == []
    assert client.stats.retries == 0


def test_redirect_is_a_config_error(client_factory: Factory) -> None:
    client, channel, _ = client_factory(
        [httpx.Response(301, headers={"Location": "https://new.example/wp-json/?token=zz"})]
    )
    with pytest.raises(ConfigError) as info:
        client.get_json("op", "orders")
    assert channel.count == 1
    assert "new.example" in info.value.message
    assert "zz" not in info.value.message


def test_woocommerce_error_shape(client_factory: Factory) -> None:
    body = {"code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID."}
    client, _, _ = client_factory([httpx.Response(404, json={**body, "data": {"status": 404}})])
    with pytest.raises(RejectedError) as info:
        client.get_json("orders.get", "orders/9")
    assert info.value.code == "woocommerce_rest_shop_order_invalid_id"
    assert "Invalid ID." in info.value.message
    assert "orders.get" in info.value.message
    assert "404" in info.value.message


def test_amazon_error_shape(client_factory: Factory) -> None:
    body = {"errors": [{"code": "InvalidInput", "message": "Marketplace ID is not defined"}]}
    client, _, _ = client_factory([httpx.Response(400, json=body)])
    with pytest.raises(RejectedError) as info:
        client.get_json("getOrders", "orders")
    assert info.value.code == "InvalidInput"
    assert "Marketplace ID is not defined" in info.value.message


def test_ebay_error_shape(client_factory: Factory) -> None:
    body = {
        "errors": [
            {
                "errorId": 32100,
                "domain": "API_FULFILLMENT",
                "category": "REQUEST",
                "message": "Invalid order ID: 1",
                "longMessage": "The order ID is not valid.",
            }
        ]
    }
    client, _, _ = client_factory([httpx.Response(400, json=body)])
    with pytest.raises(RejectedError) as info:
        client.get_json("getOrder", "order/1")
    assert info.value.code == "32100"
    assert "Invalid order ID: 1" in info.value.message


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        (
            {"error": "invalid_grant", "error_description": "Token expired"},
            "invalid_grant",
            "Token expired",
        ),
        ({"errors": "Not Found"}, None, "Not Found"),
        ({"errors": {"base": ["already fulfilled"]}}, None, "base: already fulfilled"),
    ],
)
def test_other_error_shapes(
    client_factory: Factory, body: dict[str, Any], code: str | None, text: str
) -> None:
    client, _, _ = client_factory([httpx.Response(422, json=body)])
    with pytest.raises(RejectedError) as info:
        client.get_json("op", "x")
    assert info.value.code == code
    assert text in info.value.message


def test_long_and_non_json_bodies_are_not_copied(client_factory: Factory) -> None:
    long_message = "buyer said " + "x" * 5000
    client, _, _ = client_factory(
        [
            httpx.Response(400, json={"code": "c", "message": long_message, "data": "y" * 9000}),
            httpx.Response(400, text="<html>" + "z" * 5000 + "</html>"),
        ]
    )
    with pytest.raises(RejectedError) as first:
        client.get_json("op", "x")
    assert len(first.value.message) < 320
    assert "x" * 300 not in first.value.message
    with pytest.raises(RejectedError) as second:
        client.get_json("op", "x")
    assert "zzzz" not in second.value.message
    assert second.value.code is None


def test_classify_hook_turns_200_into_error(client_factory: Factory) -> None:
    def classify(response: httpx.Response) -> ConnectorError | None:
        body = response.json()
        if body.get("errors") == [{"message": "Throttled"}]:
            return RateLimitedError("throttled in body")
        if body.get("errors"):
            return RejectedError("refused in body")
        return None

    throttled = httpx.Response(
        200, json={"errors": [{"message": "Throttled"}]}, headers={"Retry-After": "4"}
    )
    client, channel, clock = client_factory(
        [throttled, ok({"data": 1}), httpx.Response(200, json={"errors": ["no"]})],
        classify=classify,
    )
    assert client.get_json("graphql", "graphql.json") == {"data": 1}
    assert channel.count == 2
    assert 4.0 <= clock.sleeps[0] <= 4.4  # Retry-After filled in from the header
    assert client.stats.throttled == 1
    with pytest.raises(RejectedError) as info:
        client.get_json("graphql", "graphql.json")
    assert info.value.status == 200
    assert channel.count == 3


def test_classify_returning_none_falls_back_to_status(client_factory: Factory) -> None:
    client, channel, _ = client_factory([httpx.Response(404)], classify=lambda r: None)
    with pytest.raises(RejectedError):
        client.get_json("op", "x")
    assert channel.count == 1


# -- retries --------------------------------------------------------------------------------


def test_5xx_retried_then_given_up_after_max_attempts(client_factory: Factory) -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=2.0, jitter=0.2)
    client, channel, clock = client_factory([httpx.Response(503)], policy=policy)
    with pytest.raises(TransientError) as info:
        client.get_json("orders.list", "orders")
    assert info.value.status == 503
    assert channel.count == 3
    assert len(clock.sleeps) == 2
    for attempt, slept in enumerate(clock.sleeps, start=1):
        base = policy.backoff(attempt)
        assert base <= slept <= base * 1.2
    assert client.stats.requests == 3
    assert client.stats.retries == 2
    assert client.stats.waited == pytest.approx(sum(clock.sleeps))


def test_5xx_then_success(client_factory: Factory) -> None:
    client, channel, _ = client_factory([httpx.Response(500), httpx.Response(502), ok({"a": 1})])
    assert client.get_json("op", "x") == {"a": 1}
    assert channel.count == 3
    assert client.stats.retries == 2


def test_408_is_transient(client_factory: Factory) -> None:
    client, channel, _ = client_factory([httpx.Response(408), ok()])
    client.get_json("op", "x")
    assert channel.count == 2


def test_max_attempts_one_never_retries(client_factory: Factory) -> None:
    client, channel, clock = client_factory(
        [httpx.Response(500)], policy=RetryPolicy(max_attempts=1)
    )
    with pytest.raises(TransientError):
        client.get_json("op", "x")
    assert channel.count == 1
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ReadError("connection reset"),
    ],
)
def test_network_failures_are_retried(client_factory: Factory, failure: Exception) -> None:
    client, channel, _ = client_factory([failure, ok({"fine": True})])
    assert client.get_json("op", "x") == {"fine": True}
    assert channel.count == 2


def test_network_failures_give_up_as_transient(client_factory: Factory) -> None:
    client, channel, _ = client_factory(
        [httpx.ReadTimeout("slow")], policy=RetryPolicy(max_attempts=2)
    )
    with pytest.raises(TransientError) as info:
        client.get_json("orders.list", "orders")
    assert "timed out" in info.value.message
    assert channel.count == 2


def test_truncated_json_body_is_retried(client_factory: Factory) -> None:
    client, channel, _ = client_factory(
        [httpx.Response(200, content=b'{"orders": [{"id": 1'), ok({"orders": []})]
    )
    assert client.get_json("op", "orders") == {"orders": []}
    assert channel.count == 2


def test_truncated_json_gives_up_as_transient(client_factory: Factory) -> None:
    client, channel, _ = client_factory(
        [httpx.Response(200, content=b'{"orders": ')], policy=RetryPolicy(max_attempts=2)
    )
    with pytest.raises(TransientError) as info:
        client.get_json("op", "orders")
    assert "not valid JSON" in info.value.message
    assert channel.count == 2


def test_request_does_not_parse_json(client_factory: Factory) -> None:
    client, channel, _ = client_factory([httpx.Response(200, content=b"not json")])
    assert client.request("op", "GET", "x").content == b"not json"
    assert channel.count == 1


def test_post_not_retried_after_5xx_or_timeout(client_factory: Factory) -> None:
    # The channel may have created the shipment: only the connector's own idempotency check
    # (on the next push run) may decide to send it again.
    client, channel, _ = client_factory([httpx.Response(503)])
    with pytest.raises(TransientError) as info:
        client.send_json("ship", "POST", "orders/1/shipments", json={"n": "1Z"})
    assert info.value.retryable
    assert channel.count == 1
    client2, channel2, _ = client_factory([httpx.ReadTimeout("slow")])
    with pytest.raises(TransientError):
        client2.send_json("ship", "POST", "orders/1/shipments", json={"n": "1Z"})
    assert channel2.count == 1


def test_post_retried_when_not_sent_or_throttled(client_factory: Factory) -> None:
    client, channel, _ = client_factory(
        [httpx.ConnectError("refused"), httpx.Response(429, headers={"Retry-After": "1"}), ok()]
    )
    client.send_json("ship", "POST", "orders/1/shipments", json={"n": "1Z"})
    assert channel.count == 3


def test_post_marked_idempotent_is_retried(client_factory: Factory) -> None:
    client, channel, _ = client_factory([httpx.Response(503), ok()])
    client.send_json("ship", "POST", "confirm", json={}, idempotent=True)
    assert channel.count == 2


def test_put_is_retried_by_default(client_factory: Factory) -> None:
    client, channel, _ = client_factory([httpx.Response(503), ok()])
    client.send_json("update", "PUT", "orders/1", json={"status": "completed"})
    assert channel.count == 2


# -- Retry-After ----------------------------------------------------------------------------


def test_retry_after_seconds_honoured(client_factory: Factory) -> None:
    policy = RetryPolicy(jitter=0.25)
    client, channel, clock = client_factory(
        [httpx.Response(429, headers={"Retry-After": "7"}), ok()], policy=policy
    )
    client.get_json("op", "x")
    assert channel.count == 2
    assert len(clock.sleeps) == 1
    assert 7.0 <= clock.sleeps[0] <= 7.0 * 1.25
    assert channel.times[1] - channel.times[0] >= 7.0  # never sent early
    assert client.stats.throttled == 1
    assert client.stats.retries == 1


def test_retry_after_http_date_honoured(client_factory: Factory) -> None:
    clock = FakeClock(datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    when = format_datetime(clock.now() + timedelta(seconds=30), usegmt=True)
    client, channel, _ = client_factory(
        [httpx.Response(429, headers={"Retry-After": when}), ok()], clock=clock
    )
    client.get_json("op", "x")
    assert len(clock.sleeps) == 1
    assert 30.0 <= clock.sleeps[0] <= 33.0
    assert channel.times[1] - channel.times[0] >= 30.0


def test_retry_after_on_503_is_honoured(client_factory: Factory) -> None:
    client, _, clock = client_factory([httpx.Response(503, headers={"Retry-After": "20"}), ok()])
    client.get_json("op", "x")
    assert 20.0 <= clock.sleeps[0] <= 22.0


def test_retry_after_beyond_max_gives_up_at_once(client_factory: Factory) -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    client, channel, clock = client_factory(
        [httpx.Response(429, headers={"Retry-After": "3600"}), ok()], policy=policy
    )
    with pytest.raises(RateLimitedError) as info:
        client.get_json("op", "x")
    assert info.value.retry_after == 3600.0
    assert channel.count == 1
    assert clock.sleeps == []


def test_429_given_up_after_max_attempts(client_factory: Factory) -> None:
    client, channel, _ = client_factory(
        [httpx.Response(429, headers={"Retry-After": "1"})], policy=RetryPolicy(max_attempts=3)
    )
    with pytest.raises(RateLimitedError):
        client.get_json("op", "x")
    assert channel.count == 3
    assert client.stats.throttled == 3


def test_429_without_retry_after_and_without_plan_backs_off(client_factory: Factory) -> None:
    policy = RetryPolicy(base_delay=3.0, jitter=0.1)
    client, channel, clock = client_factory([httpx.Response(429), ok()], policy=policy)
    client.get_json("op", "x")
    assert 3.0 <= clock.sleeps[0] <= 3.3
    assert channel.times[1] - channel.times[0] >= 3.0


def test_429_without_retry_after_waits_a_full_token_interval(client_factory: Factory) -> None:
    # Plan: one request every 10 s, burst 5. The bucket is full, so without the drain the
    # retry would go out right after the 1 s backoff.
    policy = RetryPolicy(base_delay=1.0, jitter=0.1)
    client, channel, _ = client_factory(
        [httpx.Response(429), ok()],
        policy=policy,
        rate_limits={"getOrders": RateLimit(rate=0.1, burst=5)},
    )
    client.get_json("getOrders", "orders")
    gap = channel.times[1] - channel.times[0]
    assert 10.0 - 1e-9 <= gap <= 10.0 + 1e-6


def test_429_without_retry_after_backoff_wins_when_longer(client_factory: Factory) -> None:
    policy = RetryPolicy(base_delay=3.0, jitter=0.1)
    client, channel, _ = client_factory(
        [httpx.Response(429), ok()],
        policy=policy,
        rate_limits={"getOrders": RateLimit(rate=10.0, burst=5)},
    )
    client.get_json("getOrders", "orders")
    gap = channel.times[1] - channel.times[0]
    assert 3.0 <= gap <= 3.3


def test_jitter_bounded_and_actually_random() -> None:
    policy = RetryPolicy(max_attempts=4, base_delay=2.0, jitter=0.5)
    first_sleeps: set[float] = set()
    for seed in range(20):
        client, _, clock = make_client([httpx.Response(500)], policy=policy, seed=seed)
        with pytest.raises(TransientError):
            client.get_json("op", "x")
        client.close()
        assert len(clock.sleeps) == 3
        for attempt, slept in enumerate(clock.sleeps, start=1):
            base = policy.backoff(attempt)
            assert base <= slept <= base * 1.5
        first_sleeps.add(clock.sleeps[0])
    assert len(first_sleeps) > 10


def test_zero_jitter_is_exact(client_factory: Factory) -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=1.5, jitter=0.0)
    client, _, clock = client_factory([httpx.Response(500)], policy=policy)
    with pytest.raises(TransientError):
        client.get_json("op", "x")
    assert clock.sleeps == [1.5, 3.0]


def test_same_seed_same_waits() -> None:
    runs = []
    for _ in range(2):
        client, _, clock = make_client([httpx.Response(500)], seed=42)
        with pytest.raises(TransientError):
            client.get_json("op", "x")
        client.close()
        runs.append(clock.sleeps)
    assert runs[0] == runs[1]


def test_shutdown_interrupts_backoff() -> None:
    stop = threading.Event()
    stop.set()
    channel_hits: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        channel_hits.append(request)
        return httpx.Response(503)

    client = HttpClient(
        base_url=BASE,
        account_id="a",
        rate_limits={},
        default_rate_limit=None,
        retry_policy=RetryPolicy(max_attempts=5),
        clock=SystemClock(stop),
        log=structlog.get_logger(),
        transport=httpx.MockTransport(handler),
    )
    with pytest.raises(Interrupted):
        client.get_json("op", "x")
    assert len(channel_hits) == 1
    client.close()


# -- parse_retry_after ----------------------------------------------------------------------


NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": "2.0"}, 2.0),
        ({"Retry-After": "Thu, 15 Jan 2026 12:01:30 GMT"}, 90.0),
        ({"Retry-After": "Thu, 15 Jan 2026 11:00:00 GMT"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-5"}, None),
        ({"RateLimit-Retry-After": "9"}, 9.0),
        ({"RateLimit-Reset": "12"}, 12.0),
        ({"X-RateLimit-Reset": "30"}, 30.0),
        ({"X-RateLimit-Reset": str(int(NOW.timestamp()) + 45)}, 45.0),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(httpx.Headers(headers), NOW) == expected


# -- token buckets --------------------------------------------------------------------------


def test_bucket_waits_before_sending(client_factory: Factory) -> None:
    client, channel, _ = client_factory(
        [ok()], rate_limits={"orders.list": RateLimit(rate=1.0, burst=2)}
    )
    for _ in range(6):
        client.get_json("orders.list", "orders")
    times = channel.times
    assert times[1] - times[0] == 0.0  # the burst goes out at once
    assert times[2] - times[1] >= 1.0 - 1e-9
    assert times[3] - times[2] >= 1.0 - 1e-9
    # Never early: no more than `burst` requests in any window shorter than one interval
    # beyond the burst (i.e. request i waits for i - burst + 1 tokens of refill).
    for i in range(2, len(times)):
        assert times[i] - times[0] >= (i - 1) * 1.0 - 1e-9
    assert client.stats.waited == pytest.approx(times[-1] - times[0])


def test_a_plan_starting_empty_sends_its_first_request_one_interval_late(
    client_factory: Factory,
) -> None:
    client, channel, clock = client_factory(
        [ok()], rate_limits={"confirm": RateLimit(rate=2.0, burst=10, start_full=False)}
    )
    started = clock.monotonic()
    for _ in range(3):
        client.send_json("confirm", "POST", "x", json={})
    assert [t - started for t in channel.times] == pytest.approx([0.5, 1.0, 1.5])
    assert client.stats.waited == pytest.approx(1.5)


def test_an_announced_plan_starting_empty_charges_nothing_more(client_factory: Factory) -> None:
    # An empty bucket already assumes the channel has no token left after the request that
    # taught the plan: the next request waits one interval, not two.
    client, channel, clock = client_factory(
        [ok()],
        rate_limit_from_response=lambda op, r: RateLimit(rate=0.5, burst=5, start_full=False),
    )
    client.get_json("op", "x")
    assert clock.sleeps == []
    client.get_json("op", "x")
    assert channel.times[1] - channel.times[0] == pytest.approx(2.0)


def test_buckets_are_per_operation_and_default(client_factory: Factory) -> None:
    client, channel, _ = client_factory(
        [ok()],
        rate_limits={"slow": RateLimit(rate=0.5, burst=1)},
        default_rate_limit=RateLimit(rate=10.0, burst=1),
    )
    slow = client.bucket("slow")
    other = client.bucket("other")
    assert slow is not None
    assert other is not None
    assert slow.limit == RateLimit(rate=0.5, burst=1)
    assert other.limit == RateLimit(rate=10.0, burst=1)
    assert client.bucket("slow") is slow  # one bucket per operation, reused
    client.get_json("slow", "x")
    client.get_json("other", "x")  # not held up by the slow operation's empty bucket
    assert channel.times[1] - channel.times[0] == 0.0
    client.get_json("slow", "x")
    assert channel.times[2] - channel.times[1] >= 2.0 - 1e-9


def test_no_plan_no_bucket(client_factory: Factory) -> None:
    client, channel, clock = client_factory([ok()])
    assert client.bucket("anything") is None
    for _ in range(5):
        client.get_json("anything", "x")
    assert clock.sleeps == []
    assert channel.count == 5


def test_retries_take_tokens_too(client_factory: Factory) -> None:
    policy = RetryPolicy(base_delay=0.5, jitter=0.0)
    client, channel, _ = client_factory(
        [httpx.Response(500), ok()],
        policy=policy,
        rate_limits={"op": RateLimit(rate=0.25, burst=1)},
    )
    client.get_json("op", "x")
    assert channel.times[1] - channel.times[0] >= 4.0 - 1e-9


def test_rate_limit_from_response_creates_and_updates_bucket(client_factory: Factory) -> None:
    def from_header(operation: str, response: httpx.Response) -> RateLimit | None:
        value = response.headers.get("x-amzn-RateLimit-Limit")
        return RateLimit(rate=float(value), burst=1) if value else None

    client, channel, _ = client_factory(
        [ok(headers={"x-amzn-RateLimit-Limit": "0.5"})], rate_limit_from_response=from_header
    )
    assert client.bucket("getOrder") is None
    client.get_json("getOrder", "orders/1")
    bucket = client.bucket("getOrder")
    assert bucket is not None
    assert bucket.limit == RateLimit(rate=0.5, burst=1)
    client.get_json("getOrder", "orders/2")
    # The announced plan (one request per 2 s) is enforced from the second request on.
    assert channel.times[1] - channel.times[0] >= 2.0 - 1e-9


def test_rate_limit_from_response_replaces_declared_plan(client_factory: Factory) -> None:
    client, channel, _ = client_factory(
        [ok()],
        rate_limits={"getOrders": RateLimit(rate=100.0, burst=1)},
        rate_limit_from_response=lambda op, r: RateLimit(rate=0.1, burst=1),
    )
    client.get_json("getOrders", "orders")
    client.get_json("getOrders", "orders")
    bucket = client.bucket("getOrders")
    assert bucket is not None
    assert bucket.limit == RateLimit(rate=0.1, burst=1)
    assert channel.times[1] - channel.times[0] >= 10.0 - 1e-9


# -- logging and secrets --------------------------------------------------------------------


CK = "ck_4f1b2c3d4e5f60718293a4b5c6d7e8f9"
CS = "cs_0a9b8c7d6e5f40312213a4b5c6d7e8f9"


def test_one_log_event_per_attempt(client_factory: Factory) -> None:
    client, _, _ = client_factory([httpx.Response(503), httpx.Response(429), ok()])
    with capture_logs() as logs:
        client.get_json("orders.list", "orders", params={"status": "any"})
    events = [e for e in logs if e["event"] == "http.request"]
    assert len(events) == 3
    assert [e["attempt"] for e in events] == [1, 2, 3]
    assert [e["status"] for e in events] == [503, 429, 200]
    assert [e["log_level"] for e in events] == ["warning", "warning", "info"]
    assert [e.get("error_kind") for e in events] == ["transient", "rate_limited", None]
    for event in events:
        assert event["operation"] == "orders.list"
        assert event["method"] == "GET"
        assert event["url"] == "/wp-json/wc/v3/orders?status=any"
        assert isinstance(event["duration_ms"], float)


def test_network_failure_logged_without_status(client_factory: Factory) -> None:
    client, _, _ = client_factory([httpx.ConnectError("refused"), ok()])
    with capture_logs() as logs:
        client.get_json("op", "x")
    assert logs[0]["status"] is None
    assert logs[0]["error_kind"] == "transient"
    assert logs[1]["status"] == 200


def test_secrets_never_reach_logs_or_errors(client_factory: Factory) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        # A channel that echoes the credentials it got back in its error message.
        return httpx.Response(
            401, json={"code": "woocommerce_rest_authentication_error", "message": f"bad key {CK}"}
        )

    client, _, _ = client_factory(echo, secrets=[CK, CS])
    with capture_logs() as logs, pytest.raises(AuthError) as info:
        client.get_json(
            "orders.list",
            f"orders/{CS}",
            params={"consumer_key": CK, "consumer_secret": CS, "status": "any"},
        )
    assert CK not in str(info.value)
    assert CK not in info.value.message
    assert "bad key ***" in info.value.message
    assert len(logs) == 1
    dumped = repr(logs)
    assert CK not in dumped
    assert CS not in dumped
    assert (
        logs[0]["url"]
        == "/wp-json/wc/v3/orders/***?consumer_key=***&consumer_secret=***&status=any"
    )


def test_secret_like_params_redacted_even_when_not_declared(client_factory: Factory) -> None:
    client, _, _ = client_factory([ok()])
    with capture_logs() as logs:
        client.get_json(
            "op", "x", params={"access_token": "abc123", "signature": "s1g", "NextToken": "tok"}
        )
    url = logs[0]["url"]
    assert "abc123" not in url
    assert "s1g" not in url
    assert "access_token=***" in url
    assert "NextToken=tok" in url  # paging cursors stay readable


def test_classify_error_messages_are_scrubbed(client_factory: Factory) -> None:
    client, _, _ = client_factory(
        [ok()],
        secrets=["hunter2-secret"],
        classify=lambda r: RejectedError("denied for hunter2-secret"),
    )
    with capture_logs() as logs, pytest.raises(RejectedError) as info:
        client.get_json("op", "x")
    assert "hunter2-secret" not in str(info.value)
    assert "hunter2-secret" not in repr(logs)


# -- redaction helpers ----------------------------------------------------------------------


def test_redact_url_drops_userinfo_and_secret_params() -> None:
    url = "https://user:pa55@shop.example:8443/wp-json/wc/v3/orders?consumer_key=ck_1&page=2#frag"
    assert redact_url(url, ["pa55"]) == (
        "https://shop.example:8443/wp-json/wc/v3/orders?consumer_key=***&page=2"
    )


def test_redact_url_catches_encoded_secret_values() -> None:
    secret = "a b/c+d"
    url = "/x?q=" + "a%20b%2Fc%2Bd" + "&other=a+b%2Fc%2Bd"
    redacted = redact_url(url, [secret])
    assert redacted == "/x?q=***&other=***"


def test_redact_url_leaves_plain_urls_alone() -> None:
    url = "/sell/fulfillment/v1/order?filter=lastmodifieddate:%5B2026-01-01T00:00:00.000Z..%5D"
    assert redact_url(url, ["unrelated-secret"]) == url


@pytest.mark.parametrize(
    "name",
    [
        "consumer_key",
        "consumer_secret",
        "token",
        "access_token",
        "password",
        "key",
        "secret",
        "signature",
        "X-Amz-Signature",
        "X-Amz-Security-Token",
        "apiKey",
        "refreshToken",
    ],
)
def test_looks_secret(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize(
    "name", ["status", "keyword", "monkey", "paginationToken", "NextToken", "page_info", "limit"]
)
def test_looks_not_secret(name: str) -> None:
    assert not looks_secret(name)


def test_scrub_replaces_every_form() -> None:
    assert scrub("a s3:cr/t b s3%3Acr%2Ft", ["s3:cr/t"]) == "a *** b ***"
    assert scrub("nothing here", []) == "nothing here"
