"""Tier 1 (recorded answers, no simulator) and Tier 2 (the declared stateful fake) against
WooCommerce and broken variants of it, one bug each. Copied into a temporary directory and
run in a pytest subprocess by ``test_recorded_kit_fails_broken_connectors.py``; not collected
in the repository."""

from __future__ import annotations

import base64
import importlib.util
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

import orderhub_connectors.woocommerce as woocommerce
from orderhub.sdk import (
    ConnectorError,
    PageNumberPaginator,
    PushOutcome,
    PushResult,
    ShipmentDraft,
    SyncWindow,
    TransientError,
    read_window,
)
from orderhub.testing.kit import RecordedConformance
from orderhub_connectors.woocommerce import WooCommerceConnector

TESTS = Path(woocommerce.__file__).parent / "tests"


class DropsTheWindow(WooCommerceConnector):
    """Reads every order of the shop, the window never sent."""

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        for status in ("any", "trash"):
            yield from read_window(
                self.http,
                "list_orders",
                "orders",
                params={"status": status},
                paginator=lambda: PageNumberPaginator(per_page=100),
                records="",
                total_header="X-WP-Total",
            )


class FiltersOnCreation(WooCommerceConnector):
    """Sends the window as a creation-time filter."""

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        params = {
            "created_after": window.start.strftime("%Y-%m-%dT%H:%M:%S"),
            "modified_before": window.end.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        for status in ("any", "trash"):
            yield from read_window(
                self.http,
                "list_orders",
                "orders",
                params={**params, "status": status},
                paginator=lambda: PageNumberPaginator(per_page=100),
                records="",
                total_header="X-WP-Total",
            )


class IgnoresRetryAfter(WooCommerceConnector):
    """Reports a 429 as a server error, so Retry-After is lost."""

    def classify_response(self, response: httpx.Response) -> ConnectorError | None:
        return TransientError("busy") if response.status_code == 429 else None


class LogsItsSecretEncoded(WooCommerceConnector):
    """Logs its consumer secret base64-encoded, under a harmless key."""

    def check(self) -> None:
        value = self.settings.consumer_secret.get_secret_value().encode()
        self.log.info("woocommerce.check", sent=base64.b64encode(value).decode("ascii"))
        super().check()


class Case(RecordedConformance):
    __test__ = False
    connector_class = WooCommerceConnector
    settings = {
        "base_url": "https://shop.example.com",
        "consumer_key": "ck_5e0b7c2d9a4f4e1b8c3d6a7f0e2b9c41d8a6f3e2",
        "consumer_secret": "cs_1a7f3e9c5b2d4a8e6f0c3b7d9e1a5c8f2b4d6e0a",
    }
    recorded_dir = TESTS / "recorded"
    fixtures_dir = TESTS / "fixtures"


class TestReference(Case):
    pass


class TestDropsTheWindow(Case):
    connector_class = DropsTheWindow


class TestFiltersOnCreation(Case):
    connector_class = FiltersOnCreation


class TestIgnoresRetryAfter(Case):
    connector_class = IgnoresRetryAfter


class TestLogsItsSecretEncoded(Case):
    connector_class = LogsItsSecretEncoded


# -- Tier 2 ----------------------------------------------------------------------------------


class PushesANoteEveryTime(WooCommerceConnector):
    """Adds the tracking note without reading the order's notes first, and lets the POST be
    retried: a second push, or a retry after a lost answer, adds a second note."""

    def push_tracking(self, shipment: ShipmentDraft) -> PushResult:
        note = f"Shipped with UPS, tracking number {shipment.tracking_number}."
        self.http.send_json(
            "create_note",
            "POST",
            f"orders/{shipment.order_external_id}/notes",
            json={"note": note, "customer_note": True},
            idempotent=True,
        )
        return PushResult(outcome=PushOutcome.APPLIED, channel_reference=None)


class LabelsQuarantineWithoutTheId(WooCommerceConnector):
    """Cannot find the order id in a raw payload, so a quarantined record has no label."""

    def external_id(self, raw: dict[str, Any]) -> str | None:
        return None


class ReadsOnlyProcessingOrders(WooCommerceConnector):
    """Lists only processing orders: a cancellation never reaches the store."""

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        params = {
            "modified_after": window.start.strftime("%Y-%m-%dT%H:%M:%S"),
            "modified_before": window.end.strftime("%Y-%m-%dT%H:%M:%S"),
            "status": "processing",
        }
        yield from read_window(
            self.http,
            "list_orders",
            "orders",
            params=params,
            paginator=lambda: PageNumberPaginator(per_page=100),
            records="",
            total_header="X-WP-Total",
        )


class DedupesByOrder(WooCommerceConnector):
    """Takes any tracking note on the order for this shipment's: the second partial
    shipment of an order is never sent."""

    def push_tracking(self, shipment: ShipmentDraft) -> PushResult:
        order = shipment.order_external_id
        notes = self.http.get_json("list_notes", f"orders/{order}/notes", params={"type": "any"})
        if isinstance(notes, list) and any("tracking number" in str(n) for n in notes):
            return PushResult(outcome=PushOutcome.ALREADY_APPLIED, channel_reference=None)
        return super().push_tracking(shipment)


class CompletesOnPartial(WooCommerceConnector):
    """Marks the order completed with every shipment, the first of several included."""

    def push_tracking(self, shipment: ShipmentDraft) -> PushResult:
        return super().push_tracking(replace(shipment, completes_order=True))


def _stateful_class() -> type[Any]:
    """WooCommerce's own Tier 2 class (``tests/test_stateful.py``), loaded by path: the
    connector's tests are not a package."""
    spec = importlib.util.spec_from_file_location("woo_stateful", TESTS / "test_stateful.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TestWooCommerceStateful  # type: ignore[no-any-return]


Stateful = _stateful_class()


class TestStatefulReference(Stateful):
    pass


class TestStatefulPushesANoteEveryTime(Stateful):
    connector_class = PushesANoteEveryTime


class TestStatefulLabelsQuarantineWithoutTheId(Stateful):
    connector_class = LabelsQuarantineWithoutTheId


class TestStatefulReadsOnlyProcessingOrders(Stateful):
    connector_class = ReadsOnlyProcessingOrders


class TestStatefulDedupesByOrder(Stateful):
    connector_class = DedupesByOrder


class TestStatefulCompletesOnPartial(Stateful):
    connector_class = CompletesOnPartial
