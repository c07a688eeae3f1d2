"""Shared pieces of the WooCommerce connector tests: a fake clock, a simulated shop on it, and
a factory for connectors bound to that shop (closed again after each test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.testing import FakeClock
from orderhub.testing.kit import ConnectorBuilder
from orderhub_connectors.woocommerce import WooCommerceConnector

# The simulated shop's accepted credentials (tests read them back as sim.consumer_key and
# sim.consumer_secret): long and distinctive, so a leak into a log line cannot be missed.
KEY = "ck_4f1d0c8e2b7a4c19a3e5d6b0f2c8a917e3d5b6c1"
SECRET = "cs_9b2e7d4a1c6f3e8b5a0d2c7f4e1b8a6d3c9e0f5a"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

ConnectorFactory = Callable[..., WooCommerceConnector]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim(clock: FakeClock) -> SimulatedWooCommerce:
    return SimulatedWooCommerce(clock, consumer_key=KEY, consumer_secret=SECRET, seed=11)


@pytest.fixture
def make_connector(clock: FakeClock, sim: SimulatedWooCommerce) -> Iterator[ConnectorFactory]:
    """``make_connector(transport=None, clock=None, log=None, account_id="shop",
    **settings)``: a connector for the simulated shop (``https://shop.example.com``, the
    right keys unless given)."""
    with ConnectorBuilder(
        WooCommerceConnector,
        clock=clock,
        transport=sim.transport,
        settings={
            "base_url": "https://shop.example.com",
            "consumer_key": KEY,
            "consumer_secret": SECRET,
        },
        account_id="shop",
    ) as build:
        yield build
