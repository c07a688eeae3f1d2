"""Orders in: one searchOrders call per page of 100 orders with their items embedded, every
page, the window and the two-minute horizon sent to Amazon, only the datasets the store uses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from orderhub.sdk import RejectedError, SyncWindow, format_utc
from orderhub.sims.amazon import SimulatedAmazon
from orderhub.store.ingest import ORDERS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock

from .conftest import CA, US, ConnectorFactory

SEARCH = "/orders/2026-01-01/orders"


def window(clock: FakeClock, days: float = 3) -> SyncWindow:
    end = clock.now() - timedelta(minutes=5)
    return SyncWindow(start=end - timedelta(days=days), end=end)


def test_every_page_is_read_with_one_call_per_hundred_orders(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    ids = sim.generate(250, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    connector = make_connector()
    orders = list(connector.fetch_orders(window(clock)))

    assert sorted(o["orderId"] for o in orders) == sorted(ids)
    assert all(o["orderItems"] and o["orderItems"][0]["product"]["asin"] for o in orders)
    searches = sim.requests_to(SEARCH)
    assert len(searches) == 3, "ceil(250 / 100) calls, no per-order item calls"
    assert len(sim.requests) == 4, "plus one token request, and nothing else"
    assert connector.http.stats.pages == 3
    first, *rest = searches
    assert first.param("maxResultsPerPage") == "100"
    assert first.param("paginationToken") is None
    for later in rest:
        assert later.param("paginationToken")
        # Amazon wants the other filters re-sent unchanged with the token.
        for name in ("lastUpdatedAfter", "lastUpdatedBefore", "marketplaceIds", "includedData"):
            assert later.param(name) == first.param(name)


def test_the_window_and_the_marketplaces_reach_amazon(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    chosen = window(clock)
    list(make_connector().fetch_orders(chosen))
    (search,) = sim.requests_to(SEARCH)
    assert search.param("lastUpdatedAfter") == format_utc(chosen.start)
    assert search.param("lastUpdatedBefore") == format_utc(chosen.end)
    assert search.param("marketplaceIds") == f"{US},{CA}"
    assert search.param("includedData") == "FULFILLMENT,PROCEEDS", "no RECIPIENT by default"
    assert search.param("createdAfter") is None


def test_orders_of_every_marketplace_come_back(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    us = sim.add_order(marketplace_id=US, created=clock.now() - timedelta(hours=5))
    ca = sim.add_order(marketplace_id=CA, created=clock.now() - timedelta(hours=4))
    found = {o["orderId"]: o["salesChannel"]["marketplaceId"] for o in
             make_connector().fetch_orders(window(clock))}  # fmt: skip
    assert found == {us["orderId"]: US, ca["orderId"]: CA}


def test_a_sync_run_sends_a_horizon_at_least_two_minutes_old(
    store_engine: Engine,
    sim: SimulatedAmazon,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    sim.generate(40, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    result = PullRunner(store_engine, make_connector()).run()
    assert result.outcome == "succeeded" and result.counts.created == 40
    for search in sim.requests_to(SEARCH):
        before = search.param("lastUpdatedBefore")
        assert before is not None
        assert before <= format_utc(search.time - timedelta(minutes=2))
    assert result.window is not None
    assert clock.now() - result.window.end >= timedelta(minutes=2)
    assert sim.requests_to(SEARCH)[-1].param("lastUpdatedBefore") == format_utc(result.window.end)


def test_the_recipient_address_is_asked_for_and_stored_when_enabled(
    store_engine: Engine,
    sim: SimulatedAmazon,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    order = sim.add_order(status="UNSHIPPED", created=clock.now() - timedelta(hours=3))
    connector = make_connector(include_recipient_address=True)
    assert PullRunner(store_engine, connector).run().outcome == "succeeded"
    assert sim.requests_to(SEARCH)[0].param("includedData") == "FULFILLMENT,PROCEEDS,RECIPIENT"
    with store_engine.connect() as connection:
        row = connection.execute(select(ORDERS)).one()
    assert row.external_id == order["orderId"]
    assert row.ship_to["postal_code"] == order["recipient"]["deliveryAddress"]["postalCode"]


def test_without_the_setting_no_address_is_stored(
    store_engine: Engine,
    sim: SimulatedAmazon,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    sim.add_order(status="UNSHIPPED", created=clock.now() - timedelta(hours=3))
    PullRunner(store_engine, make_connector()).run()
    with store_engine.connect() as connection:
        row = connection.execute(select(ORDERS)).one()
    assert row.ship_to is None and row.buyer is None


def test_a_window_ending_too_recently_is_refused_with_a_fix(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    too_recent = SyncWindow(start=clock.now() - timedelta(hours=1), end=clock.now())
    with pytest.raises(RejectedError) as caught:
        list(make_connector().fetch_orders(too_recent))
    assert "at least 2 minutes" in caught.value.message
    assert "clock" in caught.value.fix
    assert len(sim.requests_to(SEARCH)) == 1, "a 400 is not retried"


def test_a_marketplace_the_seller_does_not_sell_in_is_named(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    connector = make_connector(marketplace_ids=[US, "A1AM78C64UM0Y8"])
    with pytest.raises(RejectedError) as caught:
        list(connector.fetch_orders(window(clock)))
    assert "A1AM78C64UM0Y8" in caught.value.message
    assert "marketplace_ids" in caught.value.fix
