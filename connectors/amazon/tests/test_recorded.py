"""Tier 1 of the conformance kit: Amazon checked from recorded answers alone, no simulator
(``tests/recorded/``: ``pages`` is a window over two searchOrders pages linked by
``pagination.nextToken``, ``empty`` a window without orders, ``check`` the Login with Amazon
token answer, served for every token request, and the one-order search of ``check()``)."""

from __future__ import annotations

from pathlib import Path

from orderhub.testing.kit import RecordedConformance
from orderhub_connectors.amazon import AmazonConnector

from .conftest import SETTINGS

HERE = Path(__file__).parent


class TestAmazonRecorded(RecordedConformance):
    connector_class = AmazonConnector
    settings = SETTINGS
    recorded_dir = HERE / "recorded"
    fixtures_dir = HERE / "fixtures"
