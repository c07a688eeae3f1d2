"""Shared pieces of the eBay connector tests: a fake clock, a simulated eBay on it, and a
factory for connectors bound to it (closed again after each test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from orderhub.sims.ebay import SimulatedEbay
from orderhub.testing import FakeClock
from orderhub.testing.kit import ConnectorBuilder
from orderhub_connectors.ebay import EbayConnector

# The simulated keyset and consent: long and distinctive, so a leak into a log line or an
# error message cannot be missed.
CLIENT_ID = "orderhubT-SimApp-PRD-4f1d0c8e2-7a4c19a3"
CLIENT_SECRET = "PRD-9b2e7d4a1c6f-3e8b-5a0d-2c7f-4e1b"
REFRESH_TOKEN = "v^1.1#i^1#r^1#f^0#I^3#p^3#t^Ul4xMF8xOjNBRkQ5QzQwRjk4QUI5NEY2N0I0"
ACCOUNT = "ebay-main"
# A Thursday in January: US Pacific time is UTC-8, the eBay day ends at 08:00 UTC.
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

ConnectorFactory = Callable[..., EbayConnector]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def sim(clock: FakeClock) -> SimulatedEbay:
    return SimulatedEbay(
        clock,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        seed=7,
    )


@pytest.fixture
def make_connector(clock: FakeClock, sim: SimulatedEbay) -> Iterator[ConnectorFactory]:
    """``make_connector(transport=None, clock=None, log=None, account_id=ACCOUNT,
    **settings)``: a connector for the simulated eBay (eBay's production URLs, reached
    in-process; the simulated keyset and consent unless given)."""
    with ConnectorBuilder(
        EbayConnector,
        clock=clock,
        transport=sim.transport,
        settings={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
        },
        account_id=ACCOUNT,
    ) as build:
        yield build
