"""Shared pieces of the Shopify connector tests: a fake clock, a simulated store on it, and a
factory for connectors bound to that store (closed again after each test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from orderhub.sims.shopify import SimulatedShopify
from orderhub.testing import FakeClock
from orderhub.testing.kit import ConnectorBuilder
from orderhub_connectors.shopify import ShopifyConnector

# Long and distinctive, so a leak into a log line cannot be missed.
CLIENT_ID = "3f6c1e0b9a2d4c7e8f1a5b6c7d8e9f01"
CLIENT_SECRET = "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"
LEGACY_TOKEN = "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"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

ConnectorFactory = Callable[..., ShopifyConnector]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim(clock: FakeClock) -> SimulatedShopify:
    return SimulatedShopify(
        clock,
        shop="test-shop",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        access_token=LEGACY_TOKEN,
        seed=13,
    )


@pytest.fixture
def make_connector(clock: FakeClock, sim: SimulatedShopify) -> Iterator[ConnectorFactory]:
    """``make_connector(**settings)``: a connector for the simulated store, with the
    Dev Dashboard app's client credentials unless other settings are given."""
    with ConnectorBuilder(
        ShopifyConnector,
        clock=clock,
        transport=sim.transport,
        settings={"shop": "test-shop", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        account_id="shop",
    ) as build:
        yield build
