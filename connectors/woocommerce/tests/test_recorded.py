"""Tier 1 of the conformance kit: WooCommerce checked from recorded answers alone, no
simulator (``tests/recorded/``: ``pages`` is a window over two pages plus the trash read,
``empty`` a window without orders)."""

from __future__ import annotations

from pathlib import Path

from orderhub.testing.kit import RecordedConformance
from orderhub_connectors.woocommerce import WooCommerceConnector

HERE = Path(__file__).parent


class TestWooCommerceRecorded(RecordedConformance):
    connector_class = WooCommerceConnector
    settings = {
        "base_url": "https://shop.example.com",
        "consumer_key": "ck_5e0b7c2d9a4f4e1b8c3d6a7f0e2b9c41d8a6f3e2",
        "consumer_secret": "cs_1a7f3e9c5b2d4a8e6f0c3b7d9e1a5c8f2b4d6e0a",
    }
    recorded_dir = HERE / "recorded"
    fixtures_dir = HERE / "fixtures"
