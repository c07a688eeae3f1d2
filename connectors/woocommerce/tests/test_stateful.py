"""Tier 2 of the conformance kit: WooCommerce's sync and push idempotency against the kit's
declared fake (orders copied from ``recorded/pages/``), no simulator."""

from __future__ import annotations

from pathlib import Path

from orderhub.testing.kit import ChannelRules, PageNumbers, StatefulConformance
from orderhub_connectors.woocommerce import WooCommerceConnector

HERE = Path(__file__).parent


class TestWooCommerceStateful(StatefulConformance):
    connector_class = WooCommerceConnector
    settings = {
        "base_url": "https://shop.example.com",
        "consumer_key": "ck_5e0b7c2d9a4f4e1b8c3d6a7f0e2b9c41d8a6f3e2",
        "consumer_secret": "cs_1a7f3e9c5b2d4a8e6f0c3b7d9e1a5c8f2b4d6e0a",
    }
    recorded_dir = HERE / "recorded"
    fixtures_dir = HERE / "fixtures"
    channel = ChannelRules(
        filters={
            "modified_after": "date_modified_gmt >",
            "modified_before": "date_modified_gmt <",
            "status": "status =",
        },
        every_status_but={"any": ("trash",)},  # WordPress's post_status=any
        paging=PageNumbers(total_header="X-WP-Total", pages_header="X-WP-TotalPages"),
        modified="date_modified_gmt",
        created="date_created_gmt",
        shipments="notes",  # tracking goes back as an order note
    )
