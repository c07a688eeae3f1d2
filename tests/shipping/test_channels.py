"""The outbox against the simulated Amazon, eBay and Shopify: whole and partial shipments
reach the channel once, a lost answer never adds a second package or fulfillment, and
Amazon FBA orders are never shipped (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine, select

from orderhub.sdk import Connector, ConnectorContext
from orderhub.shipping.push import PushRunner
from orderhub.shipping.record import PUSHES, record_shipments
from orderhub.shipping.requests import ShipmentError, ShipmentRequest
from orderhub.sims.amazon import SimulatedAmazon
from orderhub.sims.ebay import SimulatedEbay
from orderhub.sims.shopify import SimulatedShopify
from orderhub.store.ingest import ORDERS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault, SimRequest
from orderhub_connectors.amazon import AmazonConnector, AmazonSettings
from orderhub_connectors.ebay import EbayConnector, EbaySettings
from orderhub_connectors.shopify import ShopifyConnector, ShopifySettings

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
UPS = ("1Z999AA10123456784", "1Z999AA10123456785", "1Z999AA10123456786")


@dataclass
class Channel:
    name: str
    sim: Any
    connector: Connector[Any]
    orders: list[str]  # two merchant orders: (2 × A + 1 × B), (1 × C)
    push_path: str  # the end of the tracking POST's path
    partial_sku: str  # A: shipped one unit first

    def shipments_on_channel(self, order: str) -> list[str]:
        if self.name == "amazon":
            return [p["trackingNumber"] for p in self.sim.packages(order)]
        if self.name == "shopify":
            return [n for f in self.sim.fulfillments(int(order)) for n in f["tracking"]]
        return [f["shipmentTrackingNumber"] for f in self.sim.fulfillments(order)]

    def is_push(self, request: SimRequest) -> bool:
        if self.name == "shopify":  # one GraphQL path: the mutation is in the body
            return b"fulfillmentCreate" in request.body
        return request.path.endswith(self.push_path)


def amazon(clock: FakeClock) -> Channel:
    secrets = {
        "client_id": "amzn1.application-oa2-client.test",
        "client_secret": "amzn1.oa2-cs.v1.test-secret",
        "refresh_token": "Atzr|test-refresh-token",
    }
    sim = SimulatedAmazon(clock, seed=3, **secrets)
    created = clock.now() - timedelta(hours=6)
    orders = [
        sim.add_order(created=created, items=[("BLUE-TEE-M", 2), ("MUG-WHITE", 1)])["orderId"],
        sim.add_order(created=created, items=[("CAP-BLACK", 1)])["orderId"],
        sim.add_order(created=created, items=[("CAP-BLACK", 1)], fulfilled_by="AMAZON")["orderId"],
    ]
    connector = AmazonConnector(
        ConnectorContext(
            account_id="amazon-us",
            settings=AmazonSettings(region="na", marketplace_ids=["ATVPDKIKX0DER"], **secrets),
            clock=clock,
            log=structlog.get_logger(),
            transport=sim.transport(),
        )
    )
    return Channel("amazon", sim, connector, orders, "/shipmentConfirmation", "BLUE-TEE-M")


def ebay(clock: FakeClock) -> Channel:
    secrets = {
        "client_id": "ebay-test-app",
        "client_secret": "ebay-test-cert",
        "refresh_token": "v^1.1#test-refresh",
    }
    sim = SimulatedEbay(clock, seed=3, **secrets)
    created = clock.now() - timedelta(hours=6)
    orders = [
        sim.add_order(created=created, lines=[("LED-5M-CW", 2), ("CAM-35MM-VINTAGE", 1)])[
            "orderId"
        ],
        sim.add_order(created=created, lines=[("LED-5M-WW", 1)])["orderId"],
    ]
    connector = EbayConnector(
        ConnectorContext(
            account_id="ebay-main",
            settings=EbaySettings(**secrets),
            clock=clock,
            log=structlog.get_logger(),
            transport=sim.transport(),
        )
    )
    return Channel("ebay", sim, connector, orders, "/shipping_fulfillment", "LED-5M-CW")


def shopify(clock: FakeClock) -> Channel:
    secrets = {"client_id": "shopify-test-app", "client_secret": "shpss_test_secret_value"}
    sim = SimulatedShopify(clock, seed=3, **secrets)
    created = clock.now() - timedelta(hours=6)
    orders = [
        str(sim.add_order(created=created, lines=[("LINEN-SAND-M", 2), ("MUG-STONE", 1)])),
        str(sim.add_order(created=created, lines=[("BEANIE-GREY", 1)])),
    ]
    connector = ShopifyConnector(
        ConnectorContext(
            account_id="my-store",
            settings=ShopifySettings(shop="orderhub-demo", **secrets),
            clock=clock,
            log=structlog.get_logger(),
            transport=sim.transport(),
        )
    )
    return Channel("shopify", sim, connector, orders, "/graphql.json", "LINEN-SAND-M")


@pytest.fixture(params=["amazon", "ebay", "shopify"])
def channel(request: pytest.FixtureRequest, store_engine: Engine) -> Iterator[Channel]:
    clock = FakeClock(NOW)
    built = {"amazon": amazon, "ebay": ebay, "shopify": shopify}[request.param](clock)
    clock.advance(600)  # past both channels' settle delays
    result = PullRunner(store_engine, built.connector).run()
    assert result.outcome == "succeeded", result.error
    yield built
    built.connector.close()


def ship(engine: Engine, channel: Channel, order: str, tracking: str, **kwargs: Any) -> None:
    with engine.begin() as connection:
        record_shipments(
            connection,
            [ShipmentRequest(order=order, carrier="UPS", tracking=tracking, **kwargs)],
            source="test",
            now=channel.connector.clock.now(),
        )


def statuses(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(PUSHES.c.status).order_by(PUSHES.c.id)).scalars())


def test_whole_and_partial_shipments_reach_the_channel_once(
    store_engine: Engine, channel: Channel
) -> None:
    first, second = channel.orders[:2]
    ship(store_engine, channel, first, UPS[0], lines=((channel.partial_sku, 1),))
    ship(store_engine, channel, second, UPS[1])
    result = PushRunner(store_engine, channel.connector).run()
    assert result.outcomes == {"confirmed": 2}
    assert channel.shipments_on_channel(first) == [UPS[0]]
    assert channel.shipments_on_channel(second) == [UPS[1]]

    ship(store_engine, channel, first, UPS[2])  # the rest of the first order
    assert PushRunner(store_engine, channel.connector).run().outcomes == {"confirmed": 1}
    assert sorted(channel.shipments_on_channel(first)) == [UPS[0], UPS[2]]
    assert statuses(store_engine) == ["confirmed"] * 3
    # The next pull shows both orders shipped on the channel.
    channel.connector.clock.advance(600)  # type: ignore[attr-defined]
    PullRunner(store_engine, channel.connector).run()
    with store_engine.connect() as connection:
        shown = dict(connection.execute(select(ORDERS.c.external_id, ORDERS.c.status)).all())
    assert shown[first] == "shipped" and shown[second] == "shipped"


def test_a_lost_answer_never_adds_a_second_shipment(store_engine: Engine, channel: Channel) -> None:
    order = channel.orders[1]
    ship(store_engine, channel, order, UPS[0])
    # The channel records the shipment, then its answer is lost on the way back.
    lost = channel.sim.faults.add(
        Fault.timeout(processed=True),
        method="POST",
        where=channel.is_push,
    )
    outcomes = PushRunner(store_engine, channel.connector).run().outcomes
    channel.connector.clock.advance(3600)  # type: ignore[attr-defined]
    outcomes += PushRunner(store_engine, channel.connector).run().outcomes
    assert lost.fired == 1
    assert outcomes["confirmed"] + outcomes["already_applied"] == 1
    assert channel.shipments_on_channel(order) == [UPS[0]]


@pytest.mark.parametrize("channel", ["amazon"], indirect=True)  # only Amazon fulfils (FBA)
def test_marketplace_fulfilled_orders_are_never_shipped(
    store_engine: Engine, channel: Channel
) -> None:
    with pytest.raises(ShipmentError, match="fulfilled by the marketplace"):
        ship(store_engine, channel, channel.orders[2], UPS[0])
    assert statuses(store_engine) == []
