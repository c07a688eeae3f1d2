"""The eBay connector against orderhub's conformance suite (``orderhub.testing.kit``), with
the simulated eBay. The golden files are the ones ``test_mapping.py`` checks too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orderhub.sims.ebay import SimulatedEbay
from orderhub.testing.kit import ConnectorConformance, spread_times
from orderhub_connectors.ebay import EbayConnector

CLIENT_ID = "orderhubK-KitApp-PRD-7c1e5a9b3-2d8f4e6a"
CLIENT_SECRET = "PRD-3e7a1c9d5b2f-8a4e-6c0d-1f3b-9e5a"
REFRESH_TOKEN = "v^1.1#i^1#r^1#f^0#I^3#p^3#t^Kit0ZW5fMjQ2ODEzNTc5MTEyMjMzNDQ1"


class TestEbayConformance(ConnectorConformance):
    connector_class = EbayConnector
    settings = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }
    list_path = "/order"
    push_path = "/order/{external_id}/shipping_fulfillment"
    sim_operations = {"getOrders": "getOrders"}
    fixtures_dir = Path(__file__).parent / "fixtures"
    account_id = "ebay-conformance"

    def make_api(self, clock: Any) -> SimulatedEbay:
        return SimulatedEbay(
            clock,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            refresh_token=REFRESH_TOKEN,
            seed=3,
        )

    def add_orders(self, api: SimulatedEbay, n: int, start: Any, end: Any) -> list[str]:
        return [str(api.add_order(created=t)["orderId"]) for t in spread_times(start, end, n)]

    def change_order(self, api: SimulatedEbay, external_id: str) -> None:
        api.cancel(external_id)

    def add_malformed_order(self, api: SimulatedEbay, when: Any) -> str:
        return str(api.add_malformed_order("no_line_items", created=when)["orderId"])

    def shipments_on_channel(self, api: SimulatedEbay, external_id: str) -> int:
        return len(api.fulfillments(external_id))
