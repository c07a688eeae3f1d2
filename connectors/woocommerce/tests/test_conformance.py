"""The WooCommerce connector against orderhub's conformance suite (``orderhub.testing.kit``),
with the simulated WooCommerce store. The golden files are the ones ``test_mapping.py``
checks too: one set per connector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.testing.kit import ConnectorConformance, spread_times
from orderhub_connectors.woocommerce import WooCommerceConnector

KEY = "ck_5e0b7c2d9a4f4e1b8c3d6a7f0e2b9c41d8a6f3e2"
SECRET = "cs_1a7f3e9c5b2d4a8e6f0c3b7d9e1a5c8f2b4d6e0a"


class TestWooCommerceConformance(ConnectorConformance):
    connector_class = WooCommerceConnector
    settings = {
        "base_url": "https://shop.example.com",
        "consumer_key": KEY,
        "consumer_secret": SECRET,
    }
    list_path = "/orders"
    push_path = "/orders/{external_id}/notes"
    sim_operations = {"list_orders": "orders.list"}
    fixtures_dir = Path(__file__).parent / "fixtures"

    def make_api(self, clock: Any) -> SimulatedWooCommerce:
        return SimulatedWooCommerce(clock, consumer_key=KEY, consumer_secret=SECRET, seed=5)

    def add_orders(self, api: SimulatedWooCommerce, n: int, start: Any, end: Any) -> list[str]:
        return [str(api.add_order(created=t)["id"]) for t in spread_times(start, end, n)]

    def change_order(self, api: SimulatedWooCommerce, external_id: str) -> None:
        api.set_status(int(external_id), "cancelled")

    def add_malformed_order(self, api: SimulatedWooCommerce, when: Any) -> str:
        return str(api.add_malformed_order("bad_quantity", created=when)["id"])

    def shipments_on_channel(self, api: SimulatedWooCommerce, external_id: str) -> int:
        return sum("tracking number" in note["note"] for note in api.notes(int(external_id)))
