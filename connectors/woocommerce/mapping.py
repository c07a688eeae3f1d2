"""WooCommerce order JSON → :class:`OrderDraft`. Pure functions: no I/O, no clock."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from orderhub.sdk import (
    Address,
    LineDraft,
    MalformedRecordError,
    OrderDraft,
    OrderStatus,
    clean_address,
    clean_text,
    parse_money,
    parse_utc,
    require,
    unit_price_from_total,
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


def map_status(status: Any, custom: Mapping[str, OrderStatus]) -> OrderStatus:
    if not isinstance(status, str) or not status:
        raise MalformedRecordError("order: required field 'status' is missing")
    key = status.removeprefix("wc-")
    mapped = custom.get(key) or STATUS_MAP.get(key)
    if mapped is None:
        # The sync engine stores the message as the quarantine reason, so the message itself
        # says what to do; ``fix`` repeats it with an example.
        raise MalformedRecordError(
            f"order status {status!r} is not a WooCommerce core status; map it to an "
            "orderhub status with status_map in the account's settings",
            fix=(
                f'Map it in the account\'s settings: status_map = {{ {key} = "shipped" }} '
                "(any orderhub status), then the next sync stores the order."
            ),
        )
    return mapped


def _title(value: Any) -> str | None:
    # WordPress keeps product names HTML-escaped ("Salt &amp; Pepper", "Shirt &ndash; M").
    text = clean_text(value)
    return clean_text(html.unescape(text)) if text else None


def _address(data: Any) -> Address | None:
    if not isinstance(data, dict):
        return None
    name = " ".join(
        part
        for part in (clean_text(data.get("first_name")), clean_text(data.get("last_name")))
        if part
    )
    return clean_address(
        name=name,
        company=data.get("company"),
        line1=data.get("address_1"),
        line2=data.get("address_2"),
        city=data.get("city"),
        region=data.get("state"),
        postal_code=data.get("postcode"),
        country=data.get("country"),
        phone=data.get("phone"),
        email=data.get("email"),
    )


def _quantity(value: Any, where: str) -> int:
    # WooCommerce sends quantities as JSON integers; anything else is a corrupt record.
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedRecordError(f"{where}: quantity {str(value)[:20]!r} is not an integer")
    return value


def _line(item: Any, index: int, shipped: bool) -> LineDraft:
    where = f"line_items[{index}]"
    line_id = require(item, "id", where)
    quantity = _quantity(item.get("quantity"), where)
    subtotal = parse_money(item.get("subtotal", "0"), f"{where}.subtotal")
    identifiers = {key: str(item[key]) for key in ("product_id", "variation_id") if item.get(key)}
    return LineDraft(
        external_id=str(line_id),
        quantity=quantity,
        sku=clean_text(item.get("sku")),
        title=_title(item.get("name")),
        unit_price=unit_price_from_total(subtotal, quantity),
        total=parse_money(item.get("total", "0"), f"{where}.total"),
        quantity_shipped=quantity if shipped else 0,
        identifiers=identifiers,
    )


def to_draft(raw: dict[str, Any], custom_statuses: Mapping[str, OrderStatus]) -> OrderDraft:
    """Normalise one order object of ``GET /wp-json/wc/v3/orders``."""
    order_id = require(raw, "id")
    status = map_status(raw.get("status"), custom_statuses)
    items = raw.get("line_items")
    if not isinstance(items, list):
        raise MalformedRecordError("order: 'line_items' is not a list")
    shipped = status is OrderStatus.SHIPPED
    return OrderDraft(
        external_id=str(order_id),
        display_id=clean_text(raw.get("number")),
        status=status,
        channel_status=str(raw["status"]),
        # The *_gmt twins are documented as GMT; the plain fields are in the site's zone.
        placed_at=parse_utc(
            require(raw, "date_created_gmt"), "date_created_gmt", naive_is_utc=True
        ),
        updated_at=parse_utc(
            require(raw, "date_modified_gmt"), "date_modified_gmt", naive_is_utc=True
        ),
        currency=str(require(raw, "currency")).upper(),
        total=parse_money(require(raw, "total"), "total"),
        lines=tuple(_line(item, index, shipped) for index, item in enumerate(items)),
        buyer=_address(raw.get("billing")),
        ship_to=_address(raw.get("shipping")),
    )
