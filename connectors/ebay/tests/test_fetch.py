"""Orders in from the simulated eBay: the filter exactly as eBay wants it, offset paging,
``getOrder`` only where a cancellation needs it, a window that shifts while it is paged, the
connection check."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from structlog.testing import capture_logs

from orderhub.sdk import SyncWindow, TransientError
from orderhub.sims.ebay import SimulatedEbay
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault, RecordedRequest
from orderhub_connectors.ebay.connector import ebay_time, orders_query

from .conftest import ConnectorFactory

EBAY_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def listed(sim: SimulatedEbay) -> list[RecordedRequest]:
    return [r for r in sim.requests_to("/order", method="GET") if r.operation == "getOrders"]


def single_reads(sim: SimulatedEbay) -> list[RecordedRequest]:
    return [r for r in sim.requests if r.operation == "getOrder"]


def window(clock: FakeClock, days: float = 6) -> SyncWindow:
    return SyncWindow(
        start=clock.now() - timedelta(days=days), end=clock.now() - timedelta(minutes=1)
    )


def plain_orders(sim: SimulatedEbay, clock: FakeClock, n: int) -> list[str]:
    """``n`` paid orders without cancellations, created over the last five days."""
    start = clock.now() - timedelta(days=5)
    return [sim.add_order(created=start + timedelta(minutes=10 * i))["orderId"] for i in range(n)]


class Hooked(httpx.BaseTransport):
    """The simulator's transport with a hook after each answer (something happening on
    eBay between two pages)."""

    def __init__(self, sim: SimulatedEbay, after: Callable[[httpx.Request], None]) -> None:
        self.inner = sim.transport()
        self.after = after

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.after(request)
        return response


# -- the filter -----------------------------------------------------------------------------


def test_the_filter_is_sent_exactly_as_ebay_documents_it(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    plain_orders(sim, clock, 3)
    span = window(clock)
    list(make_connector().fetch_orders(span))

    (request,) = listed(sim)
    raw = sim.raw_query(request)
    assert raw == (
        f"filter=lastmodifieddate:%5B{ebay_time(span.start)}..{ebay_time(span.end)}%5D"
        "&limit=200&offset=0"
    )
    assert not re.search(r"[\[\]{}|]", raw), "brackets and braces are percent-encoded"
    assert "%3A" not in raw and ".." in raw, "colons and the range dots stay as they are"
    value = request.param("filter")
    assert value is not None
    start, end = value.removeprefix("lastmodifieddate:[").removesuffix("]").split("..")
    assert EBAY_TIME.match(start) and EBAY_TIME.match(end)
    assert request.status == 200


def test_ebay_time_has_milliseconds_and_z() -> None:
    clock = FakeClock()
    moment = clock.now() + timedelta(microseconds=123_999)
    assert ebay_time(moment) == "2026-01-15T12:00:00.123Z"
    with pytest.raises(ValueError, match="naive"):
        ebay_time(moment.replace(tzinfo=None))


def test_orders_query_is_the_one_place_the_filter_is_written() -> None:
    clock = FakeClock()
    query = orders_query(clock.now() - timedelta(hours=1), clock.now(), limit=200, offset=400)
    assert query == (
        "filter=lastmodifieddate:%5B2026-01-15T11:00:00.000Z..2026-01-15T12:00:00.000Z%5D"
        "&limit=200&offset=400"
    )


def test_only_orders_modified_in_the_window_are_read(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    inside = plain_orders(sim, clock, 4)
    old = sim.add_order(created=clock.now() - timedelta(days=20))["orderId"]
    recent = clock.now() - timedelta(seconds=20)  # after the window's end
    late = sim.add_order(created=recent)["orderId"]
    got = [raw["orderId"] for raw in make_connector().fetch_orders(window(clock))]
    assert got == inside
    assert old not in got and late not in got


# -- paging ---------------------------------------------------------------------------------


def test_offset_paging_reads_every_page_once(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    ids = plain_orders(sim, clock, 450)
    connector = make_connector()
    got = [raw["orderId"] for raw in connector.fetch_orders(window(clock))]

    assert got == ids, "every order once, in eBay's order (by creation date)"
    pages = listed(sim)
    assert [(r.param("offset"), r.param("limit")) for r in pages] == [
        ("0", "200"),
        ("200", "200"),
        ("400", "200"),
    ]
    assert connector.http.stats.pages == 3
    assert single_reads(sim) == [], "no order has a cancellation: no getOrder call"


def test_paging_stops_at_total_even_on_a_full_last_page(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    plain_orders(sim, clock, 400)
    assert len(list(make_connector().fetch_orders(window(clock)))) == 400
    assert [r.param("offset") for r in listed(sim)] == ["0", "200"]


def test_an_empty_window_costs_one_call(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    assert list(make_connector().fetch_orders(window(clock))) == []
    assert len(listed(sim)) == 1


def test_a_window_that_shifts_while_paged_is_read_again(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    ids = plain_orders(sim, clock, 450)
    state = {"done": False}

    def after(request: httpx.Request) -> None:
        # After the first page, the seller changes an order of that page: it leaves the
        # window, and every later order moves one place forward.
        if not state["done"] and request.url.params.get("offset") == "0":
            state["done"] = True
            clock.advance(1)
            sim.mark_paid(ids[5])

    connector = make_connector(transport=Hooked(sim, after))
    with capture_logs() as logs:
        got = [raw["orderId"] for raw in connector.fetch_orders(window(clock))]
    assert set(ids) - {ids[5]} <= set(got), "no order skipped"
    assert [r.param("offset") for r in listed(sim)] == ["0", "200", "400", "0", "200", "400"]
    assert any(event["event"] == "sync.window_reread" for event in logs)


def test_a_window_that_never_settles_fails_as_transient(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    ids = plain_orders(sim, clock, 250)
    changed = iter(ids)

    def after(request: httpx.Request) -> None:
        if request.url.params.get("offset") == "0":
            clock.advance(1)
            sim.mark_paid(next(changed))

    with pytest.raises(TransientError, match="kept changing") as caught:
        list(make_connector(transport=Hooked(sim, after)).fetch_orders(window(clock)))
    assert "ebay-main" in str(caught.value)


# -- cancellations --------------------------------------------------------------------------


def test_get_order_is_called_only_for_orders_with_a_cancellation(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    start = clock.now() - timedelta(days=3)
    plain = [sim.add_order(created=start + timedelta(hours=i))["orderId"] for i in range(5)]
    asked = sim.add_order(created=start + timedelta(hours=6))["orderId"]
    sim.request_cancel(asked, when=start + timedelta(hours=7))
    cancelled = sim.add_order(created=start + timedelta(hours=8))["orderId"]
    sim.cancel(cancelled, when=start + timedelta(hours=9))
    rejected = sim.add_order(created=start + timedelta(hours=10))["orderId"]
    sim.request_cancel(rejected, when=start + timedelta(hours=11))
    sim.reject_cancel(rejected, when=start + timedelta(hours=12))

    raws = {raw["orderId"]: raw for raw in make_connector().fetch_orders(window(clock))}

    assert set(raws) == {*plain, asked, cancelled, rejected}
    reads = sorted(r.path.rsplit("/", 1)[-1] for r in single_reads(sim))
    assert reads == sorted([asked, cancelled]), "one getOrder per order with something to read"
    # The stored payload carries what only getOrder returns.
    (request,) = raws[asked]["cancelStatus"]["cancelRequests"]
    assert request["cancelRequestState"] == "REQUESTED" and request["cancelInitiator"] == "Buyer"
    assert raws[cancelled]["cancelStatus"]["cancelRequests"][0]["cancelRequestState"] == (
        "COMPLETED"
    )
    assert raws[rejected]["cancelStatus"]["cancelRequests"] == [], "as listed: no extra call"
    for order_id in plain:
        assert raws[order_id]["cancelStatus"] == {
            "cancelState": "NONE_REQUESTED",
            "cancelRequests": [],
        }


def test_a_refused_single_read_keeps_the_listed_order(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    order_id = sim.add_order(created=clock.now() - timedelta(days=1))["orderId"]
    sim.request_cancel(order_id, when=clock.now() - timedelta(hours=20))
    sim.faults.add(Fault.status(400), path=f"/order/{order_id}", method="GET")
    with capture_logs() as logs:
        (raw,) = list(make_connector().fetch_orders(window(clock)))
    assert raw["orderId"] == order_id and raw["cancelStatus"]["cancelState"] == "IN_PROGRESS"
    assert raw["cancelStatus"]["cancelRequests"] == []
    (warning,) = [e for e in logs if e["event"] == "ebay.cancel_detail_unavailable"]
    assert warning["order_id"] == order_id


def test_a_failing_single_read_is_retried_like_any_get(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    order_id = sim.add_order(created=clock.now() - timedelta(days=1))["orderId"]
    sim.cancel(order_id, when=clock.now() - timedelta(hours=20))
    sim.faults.add(Fault.status(503), path=f"/order/{order_id}", method="GET", times=2)
    (raw,) = list(make_connector().fetch_orders(window(clock)))
    assert raw["cancelStatus"]["cancelRequests"][0]["cancelInitiator"] == "Seller"
    attempts = [r for r in sim.requests if r.path.endswith(f"/order/{order_id}")]
    assert [r.status for r in attempts] == [503, 503, 200]


# -- the connection check -------------------------------------------------------------------


def test_check_is_one_cheap_authenticated_call(
    sim: SimulatedEbay, make_connector: ConnectorFactory
) -> None:
    make_connector().check()
    token, call = sim.requests
    assert token.path == "/identity/v1/oauth2/token" and token.status == 200
    assert call.operation == "getOrders" and call.param("limit") == "1" and call.status == 200
    assert call.headers["authorization"].startswith("Bearer ")


def test_the_default_hosts_are_ebays_production_ones(
    sim: SimulatedEbay, make_connector: ConnectorFactory
) -> None:
    seen: list[str] = []

    def record(request: httpx.Request) -> None:
        seen.append(f"{request.url.scheme}://{request.url.host}{request.url.path}")

    make_connector(transport=Hooked(sim, record)).check()
    assert seen == [
        "https://api.ebay.com/identity/v1/oauth2/token",
        "https://api.ebay.com/sell/fulfillment/v1/order",
    ]


def test_sandbox_uses_ebays_sandbox_hosts(
    sim: SimulatedEbay, make_connector: ConnectorFactory
) -> None:
    hosts: list[str] = []
    connector = make_connector(
        transport=Hooked(sim, lambda r: hosts.append(r.url.host)), environment="sandbox"
    )
    connector.check()
    assert hosts == ["api.sandbox.ebay.com", "api.sandbox.ebay.com"]
