"""Orders pulled from a simulated WooCommerce shop into a real store, ready to ship."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine, select

from orderhub.sdk import ConnectorContext
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store.ingest import LINES, ORDERS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def shop(clock: FakeClock) -> SimulatedWooCommerce:
    return SimulatedWooCommerce(clock, seed=11)


@pytest.fixture
def connector(clock: FakeClock, shop: SimulatedWooCommerce) -> Iterator[WooCommerceConnector]:
    instance = WooCommerceConnector(
        ConnectorContext(
            account_id="shop",
            settings=WooCommerceSettings(
                base_url="http://127.0.0.1/", consumer_key="ck_test", consumer_secret="cs_test"
            ),
            clock=clock,
            log=structlog.get_logger(),
            transport=shop.transport(),
        )
    )
    yield instance
    instance.close()


def pull(engine: Engine, connector: WooCommerceConnector) -> None:
    result = PullRunner(engine, connector).run()
    assert result.outcome == "succeeded", result.error


@pytest.fixture
def stored_orders(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
) -> dict[str, dict[str, Any]]:
    """Three processing orders in the store: one line of 3, two lines (2 + 1), one line."""
    created = clock.now() - timedelta(hours=5)
    orders = [
        shop.add_order(created=created, lines=[("BLUE-TEE-M", 3)]),
        shop.add_order(created=created, lines=[("MUG-WHITE", 2), ("CAP-BLACK", 1)]),
        shop.add_order(created=created, lines=[("SOCKS-3PK", 1)]),
    ]
    clock.advance(120)
    pull(store_engine, connector)
    with store_engine.connect() as connection:
        rows = connection.execute(select(ORDERS.c.id, ORDERS.c.external_id)).all()
        ids = {row.external_id: row.id for row in rows}
        lines = connection.execute(select(LINES.c.order_id, LINES.c.external_id, LINES.c.sku)).all()
    result: dict[str, dict[str, Any]] = {}
    for order in orders:
        external = str(order["id"])
        result[external] = {
            "id": ids[external],
            "lines": {row.sku: row.external_id for row in lines if row.order_id == ids[external]},
        }
    return result
