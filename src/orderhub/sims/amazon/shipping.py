"""``confirmShipment`` and the shipping state of an order: validation as Amazon answers it,
packages kept per ``packageReferenceId``, item counts and status.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from typing import Any

from orderhub.sims.amazon.records import (
    V0_PATH,
    AmazonOrderRecord,
    AmazonPackage,
    _package_fields,
    _parse_date_time,
)
from orderhub.sims.amazon.rendering import AmazonRendering
from orderhub.sims.common import utc_seconds as _iso
from orderhub.testing.sim import SimRequest, SimResponse, route

_POSITIVE_NUMBER = re.compile(r"^[0-9]+$")


class AmazonShipping(AmazonRendering):
    """The ``confirmShipment`` route and how shipping moves an order."""

    # -- confirmShipment ---------------------------------------------------------------------

    @route("POST", V0_PATH + "/{orderId}/shipmentConfirmation", operation="confirmShipment")
    def confirm_shipment(self, request: SimRequest) -> SimResponse:
        """``POST /orders/v0/orders/{orderId}/shipmentConfirmation``."""
        operation = "confirmShipment"
        example = self._sandbox(request, operation)
        if example is not None:
            return example
        try:
            payload = request.json()
        except ValueError:
            return self._invalid(operation, "The request body is not valid JSON.")
        checked = self._check_confirmation(payload)
        if isinstance(checked, str):
            return self._invalid(operation, checked)
        record = self._lookup(request.path_params["orderId"])
        if record is None:
            return self._not_found(operation)
        with self.store.lock:
            return self._apply_confirmation(record, payload, checked)

    def _check_confirmation(self, payload: Any) -> str | list[tuple[str, int]]:
        """The request's own validity (no order needed): a message, or the item quantities."""
        if not isinstance(payload, dict):
            return "invalid type [body]: expected an object"
        marketplace = payload.get("marketplaceId")
        if not isinstance(marketplace, str) or not marketplace:
            return "Missing or invalid required field [marketplaceId]"
        detail = payload.get("packageDetail")
        if not isinstance(detail, dict):
            return "Missing or invalid required field [packageDetail]"
        reference = detail.get("packageReferenceId")
        if reference is None:
            return "Missing required field [packageDetail.packageReferenceId]"
        if not isinstance(reference, str):
            return "invalid type [packageDetail.packageReferenceId]"
        if not _POSITIVE_NUMBER.match(reference) or int(reference) <= 0:
            return "PackageReferenceId: is invalid, must be a positive numeric value."
        carrier = detail.get("carrierCode")
        if not isinstance(carrier, str) or not carrier.strip():
            return "Missing required field [packageDetail.carrierCode]"
        if carrier not in self.carrier_codes:
            return f"Invalid value for [packageDetail.carrierCode]: {carrier[:40]!r}"
        name = detail.get("carrierName")
        if carrier == "Other" and (not isinstance(name, str) or not name.strip()):
            return "[packageDetail.carrierName] is required when carrierCode is Other"
        tracking = detail.get("trackingNumber")
        if not isinstance(tracking, str) or not tracking.strip():
            return "Missing required field [packageDetail.trackingNumber]"
        ship_date = detail.get("shipDate")
        if not isinstance(ship_date, str) or _parse_date_time(ship_date) is None:
            return "invalid format [packageDetail.shipDate]: expected an ISO 8601 date-time"
        items = detail.get("orderItems")
        if not isinstance(items, list) or not items:
            return "Missing required field [packageDetail.orderItems]"
        wanted: list[tuple[str, int]] = []
        for index, item in enumerate(items):
            where = f"packageDetail.orderItems[{index}]"
            if not isinstance(item, dict):
                return f"invalid type [{where}]"
            item_id = item.get("orderItemId")
            if not isinstance(item_id, str) or not item_id:
                return f"Missing required field [{where}.orderItemId]"
            quantity = item.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                return f"invalid type [{where}.quantity]"
            if quantity < 1:
                return f"invalid value [{where}.quantity]: must be at least 1"
            wanted.append((item_id, quantity))
        return wanted

    def _apply_confirmation(
        self,
        record: AmazonOrderRecord,
        payload: dict[str, Any],
        wanted: list[tuple[str, int]],
    ) -> SimResponse:
        operation = "confirmShipment"
        detail = payload["packageDetail"]
        if payload["marketplaceId"] != record.marketplace_id:
            return self._invalid(
                operation, "Invalid value for [marketplaceId]: not the order's marketplace"
            )
        if record.fulfilled_by == "AMAZON":
            return self._invalid(
                operation, "Shipment confirmation is not allowed for orders fulfilled by Amazon."
            )
        if record.status in ("PENDING", "PENDING_AVAILABILITY", "CANCELLED", "UNFULFILLABLE"):
            return self._invalid(
                operation,
                f"Shipment confirmation is not allowed for an order in {record.status} status.",
            )
        reference = detail["packageReferenceId"]
        existing = record.packages.get(reference)
        if existing is None and all(i.shipped >= i.quantity for i in record.items):
            return self._invalid(
                operation,
                "Failed to create package due to not finding a matching package or order "
                "already fulfilled. ErrorMessage(errorCode=GeneralError, errorDescription="
                "Unable to find package to update for order (), "
                "errorMetric=PackageToUpdateNotFound, packageIndex=null)",
            )
        items = {item.order_item_id: item for item in record.items}
        previous = dict(existing.items) if existing is not None else {}
        totals: dict[str, int] = {}
        for index, (item_id, quantity) in enumerate(wanted):
            if item_id not in items:
                return self._invalid(
                    operation,
                    f"Invalid value for [packageDetail.orderItems[{index}].orderItemId]: "
                    "not an item of this order",
                )
            totals[item_id] = totals.get(item_id, 0) + quantity
        for index, (item_id, _) in enumerate(wanted):
            item = items[item_id]
            room = item.quantity - item.shipped + previous.get(item_id, 0)
            if totals[item_id] > room:
                return self._invalid(
                    operation,
                    f"Invalid value for [packageDetail.orderItems[{index}].quantity]: more "
                    "than the quantity left to ship",
                )
        now = self.store.now()
        package = AmazonPackage(
            package_reference_id=reference,
            carrier_code=detail["carrierCode"],
            carrier_name=detail.get("carrierName"),
            shipping_method=detail.get("shippingMethod"),
            tracking_number=detail["trackingNumber"],
            ship_date=detail["shipDate"],
            items=tuple(sorted(totals.items())),
            created=existing.created if existing is not None else now,
            updated=now,
            edits=existing.edits + 1 if existing is not None else 0,
        )
        changed = existing is None or _package_fields(existing) != _package_fields(package)
        record.packages[reference] = package
        self._recount(record)
        if changed:
            self.store.touch(record.id, now)
        return self._reply(operation, 204)

    def _recount(self, record: AmazonOrderRecord) -> None:
        shipped: dict[str, int] = {}
        for package in record.packages.values():
            for item_id, quantity in package.items:
                shipped[item_id] = shipped.get(item_id, 0) + quantity
        for item in record.items:
            item.shipped = min(item.quantity, shipped.get(item.order_item_id, 0))
        if record.status in ("UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"):
            if all(i.shipped >= i.quantity for i in record.items):
                record.status = "SHIPPED"
            elif any(i.shipped for i in record.items):
                record.status = "PARTIALLY_SHIPPED"
            else:
                record.status = "UNSHIPPED"

    def _ship(
        self, record: AmazonOrderRecord, when: datetime, rng: random.Random, *, partial: bool
    ) -> None:
        """Mark items shipped (``partial``: the first item only, or all but one unit of a
        single item); merchant orders get a Seller Central package."""
        left = [(i.order_item_id, i.quantity - i.shipped) for i in record.items]
        left = [(item_id, quantity) for item_id, quantity in left if quantity > 0]
        if not left:
            return
        shipped = left
        if partial and len(left) > 1:
            shipped = left[:1]
        elif partial and left[0][1] > 1:
            shipped = [(left[0][0], left[0][1] - 1)]
        if record.fulfilled_by == "MERCHANT":
            reference = str(max((int(r) for r in record.packages), default=0) + 1)
            record.packages[reference] = AmazonPackage(
                package_reference_id=reference,
                carrier_code=rng.choice(("UPS", "USPS", "FedEx", "DHL")),
                carrier_name=None,
                shipping_method=None,
                tracking_number=f"1Z{rng.getrandbits(48):012X}",
                ship_date=_iso(when),
                items=tuple(shipped),
                created=when,
                updated=when,
            )
            record.status = "UNSHIPPED"
            self._recount(record)
            return
        quantities = dict(shipped)
        for item in record.items:
            item.shipped += quantities.get(item.order_item_id, 0)
        done = all(i.shipped >= i.quantity for i in record.items)
        record.status = "SHIPPED" if done else "PARTIALLY_SHIPPED"

    def _move(
        self, record: AmazonOrderRecord, status: str, when: datetime | None, rng: random.Random
    ) -> None:
        moment = self.store.moment(when)
        if status in ("SHIPPED", "PARTIALLY_SHIPPED"):
            if record.status in ("PENDING", "PENDING_AVAILABILITY"):
                record.status = "UNSHIPPED"
            self._ship(record, moment, rng, partial=status == "PARTIALLY_SHIPPED")
        else:
            record.status = status
        self.store.touch(record.id, moment)
