"""The Amazon connector against orderhub's conformance suite (``orderhub.testing.kit``), with
the simulated Selling Partner API. The golden files are the ones ``test_mapping.py`` checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orderhub.sdk import OrderDraft, ShipmentDraft, ShipmentLine
from orderhub.sims.amazon import SimulatedAmazon
from orderhub.testing.kit import ConnectorConformance, spread_times
from orderhub_connectors.amazon import AmazonConnector

from .conftest import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, US


class TestAmazonConformance(ConnectorConformance):
    connector_class = AmazonConnector
    settings = {
        "region": "na",
        "marketplace_ids": [US],
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }
    list_path = "/orders/2026-01-01/orders"
    push_path = "/orders/v0/orders/{external_id}/shipmentConfirmation"
    sim_operations = {"searchOrders": "searchOrders"}
    fixtures_dir = Path(__file__).parent / "fixtures"
    account_id = "amazon-conformance"

    def make_api(self, clock: Any) -> SimulatedAmazon:
        return SimulatedAmazon(
            clock,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            refresh_token=REFRESH_TOKEN,
            marketplace_ids=(US,),
            seed=3,
        )

    def add_orders(self, api: SimulatedAmazon, n: int, start: Any, end: Any) -> list[str]:
        return [api.add_order(created=t)["orderId"] for t in spread_times(start, end, n)]

    def change_order(self, api: SimulatedAmazon, external_id: str) -> None:
        api.cancel_order(external_id)

    def add_malformed_order(self, api: SimulatedAmazon, when: Any) -> str:
        return str(api.add_malformed_order("missing_fulfillment_status", created=when)["orderId"])

    def repeat_next_page(self, api: SimulatedAmazon) -> None:
        api.repeat_next_token()

    def shipment_for(self, api: SimulatedAmazon, order: OrderDraft) -> ShipmentDraft:
        # Amazon's packageReferenceId is a positive number (orderhub's references are).
        return ShipmentDraft(
            order_external_id=order.external_id,
            reference="1",
            carrier_code="UPS",
            tracking_number="1Z999AA10123456784",
            shipped_at=order.updated_at,
            lines=tuple(ShipmentLine(line.external_id, line.quantity) for line in order.lines),
            marketplace=order.marketplace,
            completes_order=True,
        )

    def shipments_on_channel(self, api: SimulatedAmazon, external_id: str) -> int:
        return len(api.packages(external_id))
