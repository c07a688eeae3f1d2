"""WooCommerce order JSON → :class:`OrderDraft`. Pure functions: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from orderhub.sdk import (
    Address,
    LineFields,
    OrderDraft,
    OrderStatus,
    StatusTable,
    address_reader,
    clean_text,
    items_at,
    parse_money,
    require,
    required_utc,
)

#: Every core WooCommerce status. ``trash`` is an order the shop deleted (recoverable),
#: ``checkout-draft`` a block-checkout cart that was never placed.
STATUS_MAP: Mapping[str, OrderStatus] = {
    "pending": OrderStatus.PENDING,  # awaiting payment
    "processing": OrderStatus.UNSHIPPED,  # paid, to be shipped
    "on-hold": OrderStatus.ON_HOLD,  # awaiting payment confirmation (e.g. bank transfer)
    "completed": OrderStatus.SHIPPED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
    "failed": OrderStatus.FAILED,  # payment failed
    "trash": OrderStatus.CANCELLED,
    "checkout-draft": OrderStatus.PENDING,
}
# Plugins add statuses (e.g. "shipped"): the account maps them with status_map.
STATUSES = StatusTable("WooCommerce", STATUS_MAP, prefix="wc-", setting="status_map")


# Address field -> WooCommerce key (the same for billing and shipping), read by one reader.
_READ_ADDRESS = address_reader(
    name=("first_name", "last_name"),
    line1="address_1",
    line2="address_2",
    region="state",
    postal_code="postcode",
    **{key: key for key in ("company", "city", "country", "phone", "email")},
)


def _address(data: Any) -> Address | None:
    return _READ_ADDRESS(data if isinstance(data, dict) else None)


# WordPress keeps product names HTML-escaped ("Salt &amp; Pepper"); the unit price is the
# subtotal (before coupons) per unit, the total is after coupons.
_LINE = LineFields(
    subtotal="subtotal",
    total="total",
    identifiers=("product_id", "variation_id"),
    html_titles=True,
    absent_money="0",
)


def to_draft(raw: dict[str, Any], custom_statuses: Mapping[str, OrderStatus]) -> OrderDraft:
    """Normalise one order object of ``GET /wp-json/wc/v3/orders``."""
    order_id = require(raw, "id")
    status = STATUSES.map(raw.get("status"), custom_statuses)
    lines = items_at(raw, "line_items")
    shipped = status is OrderStatus.SHIPPED
    return OrderDraft(
        external_id=str(order_id),
        display_id=clean_text(raw.get("number")),
        status=status,
        channel_status=str(raw["status"]),
        # The *_gmt twins are documented as GMT; the plain fields are in the site's zone.
        placed_at=required_utc(raw, "date_created_gmt", naive_is_utc=True),
        updated_at=required_utc(raw, "date_modified_gmt", naive_is_utc=True),
        currency=str(require(raw, "currency")).upper(),
        total=parse_money(require(raw, "total"), "total"),
        lines=tuple(_LINE.read(item, where, shipped=shipped) for where, item in lines),
        buyer=_address(raw.get("billing")),
        ship_to=_address(raw.get("shipping")),
    )
