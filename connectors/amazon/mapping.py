"""Orders API 2026-01-01 order JSON → :class:`OrderDraft`. Pure functions: no I/O, no clock.

The connector asks ``searchOrders`` for the ``FULFILLMENT`` dataset (the status, who fulfils
the order, quantities shipped) and ``PROCEEDS`` (the money), plus ``RECIPIENT`` when the
account wants the shipping address. Order items are always embedded.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from orderhub import sdk

from .marketplaces import MARKETPLACES

#: Every ``FulfillmentStatus`` of the Orders API 2026-01-01.
STATUS_MAP: Mapping[str, sdk.OrderStatus] = {
    # A pre-order whose release date is in the future: not payable, not shippable yet.
    "PENDING_AVAILABILITY": sdk.OrderStatus.PENDING,
    "PENDING": sdk.OrderStatus.PENDING,  # placed, payment not yet authorised: do not ship
    "UNSHIPPED": sdk.OrderStatus.UNSHIPPED,
    "PARTIALLY_SHIPPED": sdk.OrderStatus.PARTIALLY_SHIPPED,
    "SHIPPED": sdk.OrderStatus.SHIPPED,
    "CANCELLED": sdk.OrderStatus.CANCELLED,
    "UNFULFILLABLE": sdk.OrderStatus.UNFULFILLABLE,  # only Amazon-fulfilled off-Amazon orders
}
# Amazon withholds the price of an order until payment is authorised, and keeps none for an
# order cancelled before that: such an order is stored with a zero total.
_UNPRICED = frozenset({"PENDING_AVAILABILITY", "PENDING", "CANCELLED"})
_FETCH_FIX = (
    "orderhub asks Amazon for the FULFILLMENT and PROCEEDS datasets; if this repeats, report "
    "the raw payload (kept in `orderhub failures`) to orderhub's maintainers."
)


def map_status(fulfillment: Any) -> tuple[sdk.OrderStatus, str]:
    """The order's status from the ``fulfillment`` dataset, and Amazon's own word for it."""
    section = sdk.optional_object(fulfillment, "fulfillment")
    status = section.get("fulfillmentStatus") if section is not None else None
    if not isinstance(status, str) or not status:
        raise sdk.MalformedRecordError(
            "order: required field 'fulfillment.fulfillmentStatus' is missing", fix=_FETCH_FIX
        )
    mapped = STATUS_MAP.get(status)
    if mapped is None:
        raise sdk.MalformedRecordError(
            f"order: fulfillment status {status[:40]!r} is not one orderhub knows",
            fix=(
                "Amazon added a status: upgrade orderhub (or report it with the raw payload "
                "kept in `orderhub failures`); the next sync after that stores the order."
            ),
        )
    return mapped, status


def _address(data: Any, where: str) -> sdk.Address | None:
    return sdk.address_from(
        data,
        where,
        lines=("addressLine1", "addressLine2", "addressLine3"),
        name="name",
        company="companyName",
        city="city",
        region="stateOrRegion",
        postal_code="postalCode",
        country="countryCode",
        phone="phone",
    )


def _optional_money(value: Any, where: str) -> Decimal | None:
    return None if value is None else sdk.money_object(value, where)[0]


def _line(item: Any, index: int, status: str) -> sdk.LineDraft:
    where = f"orderItems[{index}]"
    if not isinstance(item, dict):
        raise sdk.MalformedRecordError(f"{where}: expected an object, got {type(item).__name__}")
    item_id = sdk.require(item, "orderItemId", where)
    ordered = sdk.parse_quantity(
        item.get("quantityOrdered"), f"{where}.quantityOrdered", allow_zero=True
    )
    product = sdk.optional_object(item.get("product"), f"{where}.product") or {}
    fulfillment = sdk.optional_object(item.get("fulfillment"), f"{where}.fulfillment") or {}
    shipped_raw = fulfillment.get("quantityFulfilled")
    if shipped_raw is None:
        shipped = ordered if status == "SHIPPED" else 0
    else:
        shipped = sdk.parse_quantity(
            shipped_raw, f"{where}.fulfillment.quantityFulfilled", allow_zero=True
        )
    if ordered == 0:
        if status != "CANCELLED":
            raise sdk.MalformedRecordError(
                f"{where}.quantityOrdered: 0 on an order that is {status}"
            )
        # Amazon zeroes the quantities of a cancelled order's items; the store needs a
        # positive quantity, and what matters is that the cancellation arrives.
        ordered = max(1, shipped)
    price = sdk.optional_object(product.get("price"), f"{where}.product.price") or {}
    unit_price = _optional_money(price.get("unitPrice"), f"{where}.product.price.unitPrice")
    proceeds = sdk.optional_object(item.get("proceeds"), f"{where}.proceeds") or {}
    total = _optional_money(proceeds.get("proceedsTotal"), f"{where}.proceeds.proceedsTotal")
    if total is None and unit_price is not None:
        total = unit_price * ordered
    asin = sdk.clean_text(product.get("asin"))
    return sdk.LineDraft(
        external_id=str(item_id),
        quantity=ordered,
        sku=sdk.clean_text(product.get("sellerSku")),
        title=sdk.clean_text(product.get("title")),
        unit_price=unit_price,
        total=total,
        quantity_shipped=min(shipped, ordered),
        identifiers={"asin": asin} if asin else {},
    )


def to_draft(raw: dict[str, Any]) -> sdk.OrderDraft:
    """Normalise one order of ``searchOrders`` (or ``getOrder``'s ``order``)."""
    order_id = sdk.require(raw, "orderId")
    status, channel_status = map_status(raw.get("fulfillment"))
    channel = sdk.optional_object(raw.get("salesChannel"), "salesChannel")
    if channel is None:
        raise sdk.MalformedRecordError("order: required field 'salesChannel' is missing")
    marketplace_id = sdk.clean_text(channel.get("marketplaceId"))
    items = raw.get("orderItems")
    if not isinstance(items, list):
        raise sdk.MalformedRecordError("order: required field 'orderItems' is missing")
    lines = tuple(_line(item, index, channel_status) for index, item in enumerate(items))
    proceeds = sdk.optional_object(raw.get("proceeds"), "proceeds")
    if proceeds is not None and proceeds.get("grandTotal") is not None:
        total, currency = sdk.money_object(proceeds["grandTotal"], "proceeds.grandTotal")
    elif channel_status in _UNPRICED:
        market = MARKETPLACES.get(marketplace_id or "")
        if market is None:
            raise sdk.MalformedRecordError(
                "order: 'proceeds.grandTotal' is missing and the marketplace "
                f"{marketplace_id or '(none)'} is not one orderhub knows the currency of"
            )
        total, currency = Decimal(0), market.currency
    else:
        raise sdk.MalformedRecordError(
            f"order: required field 'proceeds.grandTotal' is missing on an order that is "
            f"{channel_status}",
            fix=_FETCH_FIX,
        )
    fulfillment = raw.get("fulfillment") or {}
    recipient = sdk.optional_object(raw.get("recipient"), "recipient") or {}
    return sdk.OrderDraft(
        external_id=str(order_id),
        status=status,
        channel_status=channel_status,
        placed_at=sdk.parse_utc(sdk.require(raw, "createdTime"), "createdTime"),
        updated_at=sdk.parse_utc(sdk.require(raw, "lastUpdatedTime"), "lastUpdatedTime"),
        currency=currency,
        total=total,
        lines=lines,
        marketplace=marketplace_id,
        buyer=sdk.address_from(
            raw.get("buyer"),
            "buyer",
            name="buyerName",
            company="buyerCompanyName",
            email="buyerEmail",
        ),
        ship_to=_address(recipient.get("deliveryAddress"), "recipient.deliveryAddress"),
        fulfilled_by_channel=fulfillment.get("fulfilledBy") == "AMAZON",
    )
