"""The shipping-fulfillment routes of the simulated eBay: list, read and create, with eBay's
validation of line items, carriers and tracking numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from orderhub.sims.ebay.records import (
    API_PATH,
    EbayFulfillment,
    EbayLine,
    EbayOrderRecord,
    _fulfillment_status,
    _parse_ts,
)
from orderhub.sims.ebay.rendering import EbayRendering
from orderhub.testing.sim import SimRequest, SimResponse, route, whole_seconds

_ALPHANUMERIC = re.compile(r"^[A-Za-z0-9]+$")


class EbayShipping(EbayRendering):
    """``getShippingFulfillments``, ``getShippingFulfillment`` and ``createShippingFulfillment``."""

    # -- shipping fulfillments -------------------------------------------------------------------

    @route(
        "GET",
        API_PATH + "/order/{orderId}/shipping_fulfillment",
        operation="getShippingFulfillments",
    )
    def get_fulfillments(self, request: SimRequest) -> SimResponse:
        """``GET /order/{orderId}/shipping_fulfillment``."""
        record = self._find(request.path_params["orderId"])
        if record is None:
            return self._invalid_order(request.path_params["orderId"])
        items = [self._render_fulfillment(f) for f in record.fulfillments]
        return SimResponse.json(200, {"fulfillments": items, "total": len(items)})

    @route(
        "GET",
        API_PATH + "/order/{orderId}/shipping_fulfillment/{fulfillmentId}",
        operation="getShippingFulfillment",
    )
    def get_fulfillment(self, request: SimRequest) -> SimResponse:
        """``GET /order/{orderId}/shipping_fulfillment/{fulfillmentId}``."""
        record = self._find(request.path_params["orderId"])
        if record is None:
            return self._invalid_order(request.path_params["orderId"])
        wanted = request.path_params["fulfillmentId"]
        for item in record.fulfillments:
            if item.fulfillment_id == wanted:
                return SimResponse.json(200, self._render_fulfillment(item))
        return self._bad(
            32110,
            "Invalid shipping fulfillment ID",
            f"Invalid shipping fulfillment ID: {wanted[:40]}",
        )

    @route(
        "POST",
        API_PATH + "/order/{orderId}/shipping_fulfillment",
        operation="createShippingFulfillment",
    )
    def create_fulfillment(self, request: SimRequest) -> SimResponse:
        """``POST /order/{orderId}/shipping_fulfillment``: 201, ``Location``, ``{}``."""
        order_id = request.path_params["orderId"]
        record = self._find(order_id)
        if record is None:
            return self._invalid_order(order_id)
        invalid_input = self._bad(32600, "Invalid input data", "Invalid input data")
        if "application/json" not in request.headers.get("content-type", "").lower():
            return self._bad(
                32600,
                "Invalid input data",
                "Invalid input data: the request body must be application/json",
            )
        try:
            payload = request.json()
        except ValueError:
            return invalid_input
        if not isinstance(payload, dict):
            return invalid_input
        items = payload.get("lineItems")
        if not isinstance(items, list) or not items:
            return invalid_input
        by_id = {line.line_item_id: line for line in record.lines}
        shipped: list[tuple[EbayLine, int]] = []
        seen: set[str] = set()
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("lineItemId"), str):
                return invalid_input
            line_id = item["lineItemId"]
            line = by_id.get(line_id)
            if line is None:
                return self._bad(
                    32200,
                    "Invalid line item id",
                    f"Invalid line item id: {line_id[:40]}",
                    {"lineItemId": line_id[:40]},
                )
            if line_id in seen:
                return self._bad(
                    32210,
                    "Duplicate line item in the request",
                    "Duplicate line item in the request",
                )
            seen.add(line_id)
            quantity = item.get("quantity", 1)
            limit = (
                line.quantity - line.shipped if self.enforce_remaining_quantity else line.quantity
            )
            if (
                isinstance(quantity, bool)
                or not isinstance(quantity, int)
                or not 1 <= quantity <= limit
            ):
                return self._bad(
                    32600,
                    "Invalid input data",
                    f"Invalid input data: quantity {str(quantity)[:10]} for line item {line_id} "
                    f"(unshipped: {line.quantity - line.shipped})",
                )
            shipped.append((line, quantity))
        tracking = payload.get("trackingNumber")
        carrier = payload.get("shippingCarrierCode")
        if (tracking is None) != (carrier is None) or not all(
            value is None or isinstance(value, str) for value in (tracking, carrier)
        ):
            return self._bad(
                32300,
                "Invalid shipment tracking number or carrier",
                "Invalid shipment tracking number or carrier",
            )
        if (
            tracking is not None
            and carrier is not None
            and (not _ALPHANUMERIC.match(tracking) or carrier.lower() not in self.carriers)
        ):
            return self._bad(
                32300,
                "Invalid shipment tracking number or carrier",
                "Invalid shipment tracking number or carrier",
            )
        shipped_date = self.store.now()
        if payload.get("shippedDate") is not None:
            parsed = (
                _parse_ts(payload["shippedDate"])
                if isinstance(payload["shippedDate"], str)
                else None
            )
            if parsed is None:
                return self._bad(32500, "Invalid shipped date", "Invalid shipped date")
            shipped_date = parsed
        with self.store.lock:
            fulfillment = self._add_fulfillment(
                record,
                [(line.line_item_id, qty) for line, qty in shipped],
                shipped_date,
                tracking=tracking,
                carrier=self.carriers[carrier.lower()] if carrier else None,
                when=None,
            )
        location = (
            f"{request.base_url}{API_PATH}/order/{quote(order_id, safe='')}"
            f"/shipping_fulfillment/{quote(fulfillment.fulfillment_id, safe='')}"
        )
        return SimResponse.json(201, {}, headers={"Location": location})

    def _add_fulfillment(
        self,
        record: EbayOrderRecord,
        lines: Sequence[tuple[str, int]],
        shipped: datetime,
        *,
        tracking: str | None,
        carrier: str | None,
        when: datetime | None,
    ) -> EbayFulfillment:
        by_id = {line.line_item_id: line for line in record.lines}
        for line_id, quantity in lines:
            by_id[line_id].shipped += quantity
        fulfillment_id = tracking or str(999 + len(record.fulfillments))
        fulfillment = EbayFulfillment(
            fulfillment_id=fulfillment_id,
            lines=tuple(lines),
            shipped=whole_seconds(shipped),
            tracking_number=tracking,
            carrier=carrier,
        )
        record.fulfillments.append(fulfillment)
        record.status = _fulfillment_status(record)
        self.store.touch(record.id, when)
        return fulfillment
