"""The Shopify connector against orderhub's conformance suite (``orderhub.testing.kit``),
with the simulated Shopify store (client-credentials auth, Standard plan cost bucket)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orderhub.sims.shopify import SimulatedShopify
from orderhub.testing.kit import ConnectorConformance, spread_times
from orderhub.testing.sim import SimRequest
from orderhub_connectors.shopify import ShopifyConnector

CLIENT_ID = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
CLIENT_SECRET = "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"


class TestShopifyConformance(ConnectorConformance):
    connector_class = ShopifyConnector
    settings = {"shop": "kit-shop", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    list_path = "/api/2026-10/graphql.json"
    push_path = "/api/2026-10/graphql.json"
    fixtures_dir = Path(__file__).parent / "fixtures"

    def make_api(self, clock: Any) -> SimulatedShopify:
        return SimulatedShopify(
            clock, shop="kit-shop", client_id=CLIENT_ID, client_secret=CLIENT_SECRET, seed=5
        )

    def add_orders(self, api: SimulatedShopify, n: int, start: Any, end: Any) -> list[str]:
        return [str(api.add_order(created=t)) for t in spread_times(start, end, n)]

    def change_order(self, api: SimulatedShopify, external_id: str) -> None:
        api.cancel(int(external_id))

    def add_malformed_order(self, api: SimulatedShopify, when: Any) -> str:
        return str(api.add_malformed_order("bad_quantity", created=when))

    def shipments_on_channel(self, api: SimulatedShopify, external_id: str) -> int:
        return len(api.fulfillments(int(external_id)))

    def is_push_request(self, request: SimRequest) -> bool:
        return b"fulfillmentCreate" in request.body
