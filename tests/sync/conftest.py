"""A simulated WooCommerce shop and connectors bound to it, on a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import structlog

from orderhub.sdk import ConnectorContext
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.testing import FakeClock
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def shop(clock: FakeClock) -> SimulatedWooCommerce:
    sim = SimulatedWooCommerce(clock, seed=3)
    return sim


ConnectorFactory = Callable[..., WooCommerceConnector]


@pytest.fixture
def make_connector(clock: FakeClock, shop: SimulatedWooCommerce) -> Iterator[ConnectorFactory]:
    built: list[WooCommerceConnector] = []

    def build(
        account_id: str = "shop",
        *,
        secret: str = "cs_test",
        transport: httpx.BaseTransport | None = None,
        **settings: Any,
    ) -> WooCommerceConnector:
        config = WooCommerceSettings(
            base_url="http://127.0.0.1/",
            consumer_key="ck_test",
            consumer_secret=secret,
            **settings,
        )
        connector = WooCommerceConnector(
            ConnectorContext(
                account_id=account_id,
                settings=config,
                clock=clock,
                log=structlog.get_logger(),
                transport=transport or shop.transport(),
            )
        )
        built.append(connector)
        return connector

    yield build
    for connector in built:
        connector.close()


def days_ago(clock: FakeClock, days: float) -> Any:
    return clock.now() - timedelta(days=days)
