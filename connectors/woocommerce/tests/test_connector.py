"""The WooCommerce connector against the simulated WooCommerce (in-process transport, fake
clock: nothing sleeps, nothing leaves the process).

Covers the connection check and both ways of sending the keys, the window and paging of
``fetch_orders`` (including the re-read when the window shifts under the pages, the second
read for trashed orders and the repeated-page guard), the HTTP helper's retries as this
connector meets them, and the settings' validation.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import structlog
from pydantic import ValidationError
from sqlalchemy import Engine, select

from orderhub.logs import configure_logging, reset_logging
from orderhub.sdk import (
    AuthError,
    OrderStatus,
    PaginationLoopError,
    RejectedError,
    SyncWindow,
    TransientError,
)
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store.ingest import ORDERS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault, RecordedRequest
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings

ZONELESS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
REST_ROOT = "https://shop.example.com/wp-json/wc/v3/"


# -- helpers --------------------------------------------------------------------------------


class Hooked(httpx.BaseTransport):
    """The simulated shop's transport with hooks around each request: ``before`` may
    rewrite the request (a proxy or cache in front of the shop), ``after`` runs once the
    shop has answered (something happening in the shop between two pages)."""

    def __init__(
        self,
        sim: SimulatedWooCommerce,
        *,
        before: Callable[[httpx.Request], httpx.Request] | None = None,
        after: Callable[[httpx.Request], None] | None = None,
    ) -> None:
        self.inner = sim.transport()
        self.before = before
        self.after = after

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.before is not None:
            request = self.before(request)
        response = self.inner.handle_request(request)
        if self.after is not None:
            self.after(request)
        return response


def listed(sim: SimulatedWooCommerce, status: str | None = None) -> list[RecordedRequest]:
    """The list-orders requests the shop received (optionally only those for ``status``)."""
    found = sim.requests_to("/orders", method="GET")
    return [r for r in found if status is None or r.param("status") == status]


def gaps(requests: list[RecordedRequest]) -> list[float]:
    """Seconds between consecutive recorded requests (on the fake clock)."""
    return [(b.time - a.time).total_seconds() for a, b in itertools.pairwise(requests)]


def recent_window(clock: FakeClock) -> SyncWindow:
    """Four days back to one hour ago: holds every order ``generate_orders`` makes."""
    return SyncWindow(start=clock.now() - timedelta(days=4), end=clock.now() - timedelta(hours=1))


def generate_orders(sim: SimulatedWooCommerce, clock: FakeClock, n: int) -> list[int]:
    # Created 3 to 1 days ago; later modifications stay at least 18 hours in the past.
    return sim.generate(n, start=clock.now() - timedelta(days=3), spread=timedelta(days=2))


def ids_of(records: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> list[int]:
    return [record["id"] for record in records]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """orderhub's real logging (redactor included), as JSON lines into a buffer."""
    buffer = io.StringIO()
    configure_logging(level="debug", fmt="json", stream=buffer)
    try:
        yield buffer
    finally:
        reset_logging()


# -- check() and authentication -------------------------------------------------------------


def test_check_passes_with_the_right_keys_in_one_cheap_request(
    sim: SimulatedWooCommerce, make_connector: Any
) -> None:
    make_connector().check()
    (request,) = sim.requests
    assert request.method == "GET" and request.path == "/wp-json/wc/v3/orders"
    assert request.param("per_page") == "1" and request.status == 200
    expected = base64.b64encode(f"{sim.consumer_key}:{sim.consumer_secret}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert request.param("consumer_secret") is None, "header mode keeps keys out of the URL"


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("consumer_secret", "cs_0000000000000000000000000000000000000000", "secret is invalid"),
        ("consumer_key", "ck_0000000000000000000000000000000000000000", "key is invalid"),
    ],
)
def test_wrong_keys_are_an_auth_error_and_never_retried(
    sim: SimulatedWooCommerce, make_connector: Any, setting: str, value: str, message: str
) -> None:
    with pytest.raises(AuthError) as caught:
        make_connector(**{setting: value}).check()
    assert len(sim.requests) == 1, "an auth failure is not retried"
    assert caught.value.status == 401 and message in caught.value.message
    assert value not in caught.value.message and sim.consumer_secret not in caught.value.message


def test_a_key_without_read_permission_is_an_auth_error(
    clock: FakeClock, make_connector: Any
) -> None:
    shop = SimulatedWooCommerce(
        clock, consumer_key="ck_w", consumer_secret="cs_w", permissions="write"
    )
    connector = make_connector(
        transport=shop.transport(), consumer_key="ck_w", consumer_secret="cs_w"
    )
    with pytest.raises(AuthError, match="read permissions"):
        connector.check()
    assert len(shop.requests) == 1


def test_keys_in_the_query_work_where_a_server_strips_the_authorization_header(
    sim: SimulatedWooCommerce, make_connector: Any
) -> None:
    def strip_authorization(request: httpx.Request) -> httpx.Request:
        request.headers.pop("Authorization", None)
        return request

    with pytest.raises(AuthError):
        make_connector(transport=Hooked(sim, before=strip_authorization)).check()

    sim.clear_requests()
    make_connector(transport=Hooked(sim, before=strip_authorization), auth_in_query=True).check()
    (request,) = sim.requests
    assert request.status == 200
    assert request.param("consumer_key") == sim.consumer_key
    assert request.param("consumer_secret") == sim.consumer_secret


def test_query_mode_keeps_the_keys_out_of_every_log_line(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any, json_log: io.StringIO
) -> None:
    generate_orders(sim, clock, 150)
    connector = make_connector(auth_in_query=True)
    connector.check()
    assert len(ids_of(connector.fetch_orders(recent_window(clock)))) == 150
    # A WAF error page that echoes the request URL, credentials included.
    echoed = (
        '{"code":"rest_invalid_param","message":"Blocked request to /wp-json/wc/v3/orders?'
        f'consumer_key={sim.consumer_key}&consumer_secret={sim.consumer_secret}"}}'
    )
    sim.faults.add(Fault.status(400, body=echoed), path="/orders")
    with pytest.raises(RejectedError) as caught:
        connector.check()
    wrong = "cs_1111111111111111111111111111111111111111"
    with pytest.raises(AuthError):
        make_connector(auth_in_query=True, consumer_secret=wrong).check()

    assert all(r.param("consumer_secret") for r in sim.requests), "query mode was used"
    assert all("authorization" not in r.headers for r in sim.requests)
    output = json_log.getvalue()
    events = [json.loads(line) for line in output.splitlines()]
    requests_logged = [e for e in events if e["event"] == "http.request"]
    assert len(requests_logged) == len(sim.requests) == 6
    assert any(e.get("status") == 400 for e in requests_logged)
    for secret in (sim.consumer_key, sim.consumer_secret, wrong):
        assert secret not in output
        assert secret not in caught.value.message


# -- fetch_orders: pages and window ---------------------------------------------------------


def test_every_page_is_fetched(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any
) -> None:
    ids = generate_orders(sim, clock, 350)
    connector = make_connector()
    got = ids_of(connector.fetch_orders(recent_window(clock)))

    assert sorted(got) == sorted(ids), "every order once"
    pages = listed(sim, "any")
    assert [r.param("page") for r in pages] == ["1", "2", "3", "4"]
    assert {r.param("per_page") for r in pages} == {"100"}
    assert {(r.param("orderby"), r.param("order")) for r in pages} == {("id", "asc")}
    assert [r.param("page") for r in listed(sim, "trash")] == ["1"]
    assert len(sim.requests) == 5 and connector.http.stats.pages == 5


def test_the_window_reaches_the_api_as_zoneless_gmt(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any
) -> None:
    window = SyncWindow(
        start=datetime(2026, 1, 11, 12, 0, 5, tzinfo=UTC),
        end=datetime(2026, 1, 15, 11, 0, 59, 900000, tzinfo=UTC),
    )
    list(make_connector().fetch_orders(window))
    assert len(listed(sim)) == 2
    for request in listed(sim):
        # One second early: WooCommerce compares whole seconds, strictly.
        assert request.param("modified_after") == "2026-01-11T12:00:04"
        assert request.param("modified_before") == "2026-01-15T11:00:59"
        assert ZONELESS.match(request.param("modified_after") or "")
        assert request.param("dates_are_gmt") == "true"
        assert request.param("after") is None and request.param("before") is None


def test_an_order_modified_in_the_same_second_as_the_window_start_is_read(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any
) -> None:
    # Chunk boundaries fall anywhere inside a second; WooCommerce truncates to seconds and
    # compares strictly, so without the one-second overlap this order is in no chunk.
    start = datetime(2026, 1, 14, 9, 0, 0, 400000, tzinfo=UTC)
    order = sim.add_order(created=start - timedelta(days=1), modified=start.replace(microsecond=0))
    fetched = list(make_connector().fetch_orders(SyncWindow(start, start + timedelta(hours=1))))
    assert [raw["id"] for raw in fetched] == [order["id"]]


def test_the_window_selects_by_gmt_time_in_a_shop_two_hours_off_utc(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any
) -> None:
    # The shop's clock is UTC+2. A window sent in site time, or with "Z", would be shifted
    # by two hours and pick the wrong orders below.
    start, end = clock.now() - timedelta(hours=8), clock.now() - timedelta(hours=4)

    def order_modified_at(when: datetime) -> int:
        order = sim.add_order(created=when - timedelta(days=1), modified=when)
        return int(order["id"])

    inside = [
        order_modified_at(start + timedelta(seconds=1)),
        order_modified_at(end - timedelta(seconds=1)),
    ]
    outside = [
        order_modified_at(start - timedelta(minutes=90)),  # in, were the window 2 h early
        order_modified_at(end + timedelta(minutes=90)),  # in, were the window 2 h late
        order_modified_at(start - timedelta(seconds=1)),
        order_modified_at(end + timedelta(seconds=1)),
    ]
    got = ids_of(make_connector().fetch_orders(SyncWindow(start=start, end=end)))
    assert sorted(got) == sorted(inside)
    assert not set(got) & set(outside)


@pytest.mark.parametrize("empty", ["no time", "no orders"])
def test_an_empty_window_yields_nothing(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any, empty: str
) -> None:
    generate_orders(sim, clock, 30)
    if empty == "no time":
        moment = clock.now() - timedelta(days=2)
        window = SyncWindow(start=moment, end=moment)
    else:
        window = SyncWindow(start=clock.now() - timedelta(hours=12), end=clock.now())
    assert list(make_connector().fetch_orders(window)) == []
    assert [r.status for r in listed(sim)] == [200, 200]


def test_trashed_orders_are_read_and_reach_the_store_as_cancelled(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any, sqlite_engine: Engine
) -> None:
    kept = sim.add_order(created=clock.now() - timedelta(hours=6))
    binned = sim.add_order(created=clock.now() - timedelta(hours=6))
    clock.advance(60)
    connector = make_connector()
    assert PullRunner(sqlite_engine, connector).run().outcome == "succeeded"

    sim.set_status(binned["id"], "trash")  # the shop deletes the order (to its trash)
    clock.advance(60)
    assert PullRunner(sqlite_engine, connector).run().outcome == "succeeded"

    with sqlite_engine.connect() as connection:
        rows = connection.execute(select(ORDERS.c.external_id, ORDERS.c.status)).all()
    assert dict(rows) == {
        str(kept["id"]): OrderStatus.UNSHIPPED.value,
        str(binned["id"]): OrderStatus.CANCELLED.value,
    }
    # status=any never lists it: the trash read is what brought the change.
    trash_reads = listed(sim, "trash")
    assert trash_reads and all(r.param("modified_after") for r in trash_reads)


# -- the window shifting under the pages ----------------------------------------------------


def test_an_order_modified_while_paging_makes_the_connector_read_the_window_again(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any
) -> None:
    ids = generate_orders(sim, clock, 250)
    moved = ids[10]  # on page 1
    modified: list[int] = []

    def shop_manager_edits_an_order(request: httpx.Request) -> None:
        # Right after page 1 is served, the shop completes an order from page 1: it leaves
        # the window (its date_modified is now "now"), and every later order moves one
        # place forward, so the first order of page 2 slides onto page 1, already read.
        if request.url.params.get("page") == "1" and not modified:
            sim.set_status(moved, "completed")
            modified.append(moved)

    connector = make_connector(transport=Hooked(sim, after=shop_manager_edits_an_order))
    with structlog.testing.capture_logs() as logs:
        got = ids_of(connector.fetch_orders(recent_window(clock)))

    # The first read lost the order that slid from page 2 onto page 1 (249 records)...
    first_read = got[:249]
    assert ids[100] not in first_read and len(set(first_read)) == 249
    # ...and the second read brought it back: no order of the window is missing.
    assert set(got) == set(ids)
    assert [r.param("page") for r in listed(sim, "any")] == ["1", "2", "3", "1", "2", "3"]
    assert [e["event"] for e in logs].count("sync.window_reread") == 1


def test_a_window_that_keeps_shifting_gives_up_with_a_transient_error(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any
) -> None:
    ids = generate_orders(sim, clock, 250)
    edits = iter(ids[:10])

    def busy_shop(request: httpx.Request) -> None:
        if request.url.params.get("page") == "1":
            sim.set_status(next(edits), "completed")

    connector = make_connector(transport=Hooked(sim, after=busy_shop))
    with pytest.raises(TransientError, match="kept changing"):
        list(connector.fetch_orders(recent_window(clock)))
    assert [r.param("page") for r in listed(sim, "any")].count("1") == 3


# -- loops ----------------------------------------------------------------------------------


def test_a_cache_that_serves_page_one_for_every_page_is_a_pagination_loop(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any
) -> None:
    generate_orders(sim, clock, 350)

    def cache_ignoring_the_query(request: httpx.Request) -> httpx.Request:
        request.url = request.url.copy_set_param("page", "1")
        return request

    connector = make_connector(transport=Hooked(sim, before=cache_ignoring_the_query))
    with pytest.raises(PaginationLoopError) as caught:
        list(connector.fetch_orders(recent_window(clock)))
    assert "page 2" in caught.value.message and "page 1" in caught.value.message
    assert "cache" in caught.value.fix
    assert len(sim.requests) == 2, "stopped at the first repeated page"


def test_a_repeated_next_link_does_not_disturb_page_number_paging(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any
) -> None:
    # The connector pages by number and never follows Link, so a shop whose Link header
    # points back at the same page (sim.repeat_next_link) is read completely anyway.
    ids = generate_orders(sim, clock, 350)
    sim.repeat_next_link(3)
    got = ids_of(make_connector().fetch_orders(recent_window(clock)))
    assert sorted(got) == sorted(ids)
    assert [r.param("page") for r in listed(sim, "any")] == ["1", "2", "3", "4"]


# -- rate limit and retries -----------------------------------------------------------------


def test_requests_keep_to_the_polite_default_of_5_per_second_burst_10(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any
) -> None:
    generate_orders(sim, clock, 2900)  # 29 pages, plus the trash read
    list(make_connector().fetch_orders(recent_window(clock)))
    times = [r.time for r in sim.requests]
    assert len(times) == 30
    assert times[9] == times[0], "the first ten go out at once"
    span = (times[-1] - times[0]).total_seconds()
    assert 20 / 5 - 0.01 <= span <= 20 / 5 + 0.5, "the other twenty at five a second"


def test_a_429_with_retry_after_waits_at_least_that_long_then_succeeds(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any
) -> None:
    ids = generate_orders(sim, clock, 150)
    rule = sim.faults.add(Fault.status(429, retry_after=30), where=lambda r: r.param("page") == "2")
    got = ids_of(make_connector().fetch_orders(recent_window(clock)))
    assert sorted(got) == sorted(ids) and rule.fired == 1
    pages = listed(sim, "any")
    assert [(r.param("page"), r.status) for r in pages] == [("1", 200), ("2", 429), ("2", 200)]
    assert 30 <= gaps(pages)[1] <= 30 * 1.1 + 0.5


def test_a_429_without_retry_after_is_retried_after_a_backoff(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any
) -> None:
    ids = generate_orders(sim, clock, 150)
    sim.faults.add(Fault.status(429), where=lambda r: r.param("page") == "2")
    connector = make_connector()
    got = ids_of(connector.fetch_orders(recent_window(clock)))
    assert sorted(got) == sorted(ids)
    pages = listed(sim, "any")
    assert [r.status for r in pages] == [200, 429, 200]
    assert 1.0 <= gaps(pages)[1] <= 2.0, "one backoff step, not a hammering retry nor a stall"
    assert connector.http.stats.throttled == 1 and connector.http.stats.retries == 1


def test_a_503_is_retried_with_growing_backoff_then_given_up(
    sim: SimulatedWooCommerce, make_connector: Any
) -> None:
    sim.faults.add(Fault.status(503), times=None, path="/orders")
    connector = make_connector()
    with pytest.raises(TransientError) as caught:
        connector.check()
    attempts = WooCommerceConnector.retry_policy.max_attempts
    assert len(sim.requests) == attempts and {r.status for r in sim.requests} == {503}
    waits = gaps(sim.requests)
    assert all(later > earlier for earlier, later in itertools.pairwise(waits))
    assert waits[0] >= 1.0
    assert "503" in caught.value.message


def test_a_503_with_retry_after_waits_as_asked(
    sim: SimulatedWooCommerce, make_connector: Any
) -> None:
    sim.faults.add(Fault.status(503, retry_after=20), path="/orders")
    make_connector().check()
    assert [r.status for r in sim.requests] == [503, 200]
    assert gaps(sim.requests)[0] >= 20


def test_a_400_is_not_retried(sim: SimulatedWooCommerce, make_connector: Any) -> None:
    body = (
        '{"code":"rest_invalid_param","message":"Invalid parameter(s): per_page",'
        '"data":{"status":400,"params":{"per_page":"per_page must be between 1 and 100"}}}'
    )
    sim.faults.add(Fault.status(400, body=body), path="/orders")
    with pytest.raises(RejectedError) as caught:
        make_connector().check()
    assert len(sim.requests) == 1
    assert caught.value.code == "rest_invalid_param" and caught.value.status == 400


def test_a_wrong_rest_root_is_a_404_rest_no_route(
    sim: SimulatedWooCommerce, make_connector: Any
) -> None:
    # The shop lives at the host root; a base_url with an extra path misses the API.
    with pytest.raises(RejectedError) as caught:
        make_connector(base_url="https://shop.example.com/store").check()
    assert caught.value.status == 404 and caught.value.code == "rest_no_route"
    assert len(sim.requests) == 1


def test_a_timeout_and_truncated_bodies_are_retried_and_the_sync_succeeds(
    sim: SimulatedWooCommerce, clock: FakeClock, make_connector: Any, sqlite_engine: Engine
) -> None:
    ids = generate_orders(sim, clock, 350)
    faults = [
        sim.faults.add(Fault.timeout(), where=lambda r: r.param("page") == "2"),
        sim.faults.add(Fault.truncated(), where=lambda r: r.param("page") == "3"),
        sim.faults.add(Fault.truncated(mode="connection"), where=lambda r: r.param("page") == "4"),
    ]
    connector = make_connector()
    result = PullRunner(sqlite_engine, connector).run(since=clock.now() - timedelta(days=4))

    assert result.outcome == "succeeded", result.error
    assert [rule.fired for rule in faults] == [1, 1, 1]
    assert result.fetched == 350 and result.counts.created == 350
    with sqlite_engine.connect() as connection:
        stored = connection.execute(select(ORDERS.c.external_id)).scalars().all()
    assert sorted(stored) == sorted(str(i) for i in ids)
    assert connector.http.stats.retries == 3


# -- settings -------------------------------------------------------------------------------


def _settings(base_url: str) -> WooCommerceSettings:
    return WooCommerceSettings(base_url=base_url, consumer_key="ck_x", consumer_secret="cs_x")


@pytest.mark.parametrize(
    "base_url",
    [
        "https://shop.example.com",
        "https://shop.example.com/",
        "https://shop.example.com/wp-json/wc/v3",
        "https://shop.example.com/wp-json/wc/v3/",
        "  https://shop.example.com/  ",
    ],
)
def test_the_shop_address_and_the_rest_root_both_work(base_url: str) -> None:
    assert _settings(base_url).base_url == REST_ROOT


def test_a_shop_in_a_subdirectory_keeps_its_path() -> None:
    assert (
        _settings("https://example.com/shop").base_url == "https://example.com/shop/wp-json/wc/v3/"
    )


def test_the_connector_talks_to_the_rest_root(make_connector: Any) -> None:
    assert make_connector(base_url="https://shop.example.com").http.base_url == REST_ROOT


@pytest.mark.parametrize(
    "base_url", ["http://shop.example.com", "http://shop.example.com/wp-json/wc/v3/"]
)
def test_plain_http_to_a_real_host_is_refused(base_url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(base_url)
    message = str(caught.value)
    assert "HTTPS" in message and "https://" in message
    assert "cs_x" not in message


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8080", "http://localhost/"])
def test_plain_http_is_allowed_to_the_local_machine(base_url: str) -> None:
    assert _settings(base_url).base_url.endswith("/wp-json/wc/v3/")


@pytest.mark.parametrize("base_url", ["shop.example.com", "ftp://shop.example.com", "https://"])
def test_something_that_is_not_a_web_address_is_refused(base_url: str) -> None:
    with pytest.raises(ValidationError, match="https://"):
        _settings(base_url)


def test_status_map_only_takes_orderhub_statuses() -> None:
    settings = WooCommerceSettings(
        base_url="https://shop.example.com",
        consumer_key="ck_x",
        consumer_secret="cs_x",
        status_map={"shipped": "shipped", "awaiting-pickup": "on_hold"},
    )
    assert settings.status_map == {
        "shipped": OrderStatus.SHIPPED,
        "awaiting-pickup": OrderStatus.ON_HOLD,
    }
    with pytest.raises(ValidationError, match="status_map"):
        WooCommerceSettings(
            base_url="https://shop.example.com",
            consumer_key="ck_x",
            consumer_secret="cs_x",
            status_map={"shipped": "sent"},
        )


def test_the_keys_are_secret_in_settings() -> None:
    settings = WooCommerceSettings(
        base_url="https://shop.example.com",
        consumer_key="ck_visible_nowhere",
        consumer_secret="cs_visible_nowhere",
    )
    assert "visible_nowhere" not in repr(settings) and "visible_nowhere" not in str(settings)
    assert sorted(settings.secret_values()) == ["ck_visible_nowhere", "cs_visible_nowhere"]


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="auth_in_querystring"):
        WooCommerceSettings.model_validate(
            {
                "base_url": "https://shop.example.com",
                "consumer_key": "ck_x",
                "consumer_secret": "cs_x",
                "auth_in_querystring": True,
            }
        )
