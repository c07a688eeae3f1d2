"""Shared pieces of the Amazon connector tests: a fake clock, a simulated seller account on it,
and a factory for connectors bound to it (closed again after each test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from orderhub.sims.amazon import SimulatedAmazon
from orderhub.testing import FakeClock
from orderhub.testing.kit import ConnectorBuilder
from orderhub_connectors.amazon import AmazonConnector, AmazonSettings

# The simulated seller's credentials: long and distinctive, so a leak into a log line or an
# error message cannot be missed.
CLIENT_ID = "amzn1.application-oa2-client.4f1d0c8e2b7a4c19a3e5d6b0f2c8a917"
CLIENT_SECRET = "amzn1.oa2-cs.v1.9b2e7d4a1c6f3e8b5a0d2c7f4e1b8a6d3c9e0f5a7b1c2d3e"
REFRESH_TOKEN = "Atzr|IwEBIB7s1mul4t3dr3fr3sht0k3nXq9v2kL8pR4tY6uW0zA3cE5gI7"
US = "ATVPDKIKX0DER"
CA = "A2EUQ1WTGCTBG2"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

ConnectorFactory = Callable[..., AmazonConnector]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim(clock: FakeClock) -> SimulatedAmazon:
    return SimulatedAmazon(
        clock,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        marketplace_ids=(US, CA),
        seed=11,
    )


#: The simulated seller's settings: North America, the US and CA marketplaces.
SETTINGS: dict[str, Any] = {
    "region": "na",
    "marketplace_ids": [US, CA],
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "refresh_token": REFRESH_TOKEN,
}


def settings(**overrides: Any) -> AmazonSettings:
    """Settings for the simulated seller unless overridden."""
    return AmazonSettings(**{**SETTINGS, **overrides})


@pytest.fixture
def make_connector(clock: FakeClock, sim: SimulatedAmazon) -> Iterator[ConnectorFactory]:
    """``make_connector(transport=None, clock=None, log=None, account_id="amazon-us",
    **settings)``: a connector for the simulated seller (default regional hosts; the
    simulator's in-process transport answers for every host)."""
    with ConnectorBuilder(
        AmazonConnector,
        clock=clock,
        transport=sim.transport,
        settings=SETTINGS,
        account_id="amazon-us",
    ) as build:
        yield build
