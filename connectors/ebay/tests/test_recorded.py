"""Tier 1 of the kit: eBay from recorded answers alone (``recorded/``: ``pages`` two pages
and the getOrder read of a cancellation, ``empty``, ``check`` the token and one order)."""

from __future__ import annotations

from pathlib import Path

from orderhub.testing.kit import RecordedConformance
from orderhub_connectors.ebay import EbayConnector


class TestEbayRecorded(RecordedConformance):
    connector_class = EbayConnector
    settings = {
        "client_id": "orderhubR-RecApp-PRD-5b8e2c7d1-9f3a6e40",
        "client_secret": "PRD-6d1f9a3e7c5b-2e8a-4c1d-7b3f-0a9e",
        "refresh_token": "v^1.1#i^1#r^1#f^0#I^3#p^3#t^Rec0ZW5fOTg3NjU0MzIxMDk4NzY1NDMy",
    }
    recorded_dir = Path(__file__).parent / "recorded"
    fixtures_dir = Path(__file__).parent / "fixtures"
