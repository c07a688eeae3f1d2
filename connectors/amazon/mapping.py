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
# How the buyer and recipient datasets name the parts of an address.
_BUYER = {"name": "buyerName", "company": "buyerCompanyName", "email": "buyerEmail"}
_STREET = ("addressLine1", "addressLine2", "addressLine3")
_RECIPIENT = {"name": "name", "company": "companyName", "city": "city", "phone": "phone"}
_RECIPIENT |= {"region": "stateOrRegion", "postal_code": "postalCode", "country": "countryCode"}
_READ_BUYER = sdk.address_reader(**_BUYER)
_READ_RECIPIENT = sdk.address_reader(lines=_STREET, **_RECIPIENT)
_MONEY: dict[str, Any] = {"amount_key": "amount", "currency_key": "currencyCode"}
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


def _count_at(record: dict[str, Any], path: str, where: str) -> int:
    return sdk.parse_quantity(sdk.value_at(record, path, where), f"{where}.{path}")


def _line(item: Any, index: int, status: str) -> sdk.LineDraft:
    where = f"orderItems[{index}]"
    item_id = sdk.require(item, "orderItemId", where)
    ordered = _count_at(item, "quantityOrdered", where)
    if sdk.value_at(item, "fulfillment.quantityFulfilled", where) is None:
        shipped = ordered if status == "SHIPPED" else 0
    else:
        shipped = _count_at(item, "fulfillment.quantityFulfilled", where)
    if ordered == 0:
        if status != "CANCELLED":
            raise sdk.MalformedRecordError(
                f"{where}.quantityOrdered: 0 on an order that is {status}"
            )
        # Amazon zeroes the quantities of a cancelled order's items; the store needs a
        # positive quantity, and what matters is that the cancellation arrives.
        ordered = max(1, shipped)
    unit_price = sdk.money_at(item, "product.price.unitPrice", where, **_MONEY)
    total = sdk.money_at(item, "proceeds.proceedsTotal", where, **_MONEY)
    if total is None and unit_price is not None:
        total = unit_price * ordered
    product = sdk.value_at(item, "product", where) or {}
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


def _total(raw: dict[str, Any], channel_status: str, market_id: str | None) -> tuple[Decimal, str]:
    """The order's total and currency; zero in the marketplace's currency while Amazon
    withholds the price."""
    grand_total = sdk.value_at(raw, "proceeds.grandTotal")
    if grand_total is not None:
        return sdk.money_object(grand_total, "proceeds.grandTotal", **_MONEY)
    if channel_status not in _UNPRICED:
        raise sdk.MalformedRecordError(
            f"order: required field 'proceeds.grandTotal' is missing on an order that is "
            f"{channel_status}",
            fix=_FETCH_FIX,
        )
    market = MARKETPLACES.get(market_id or "")
    if market is None:
        raise sdk.MalformedRecordError(
            "order: 'proceeds.grandTotal' is missing and the marketplace "
            f"{market_id or '(none)'} is not one orderhub knows the currency of"
        )
    return Decimal(0), market.currency


def to_draft(raw: dict[str, Any]) -> sdk.OrderDraft:
    """Normalise one order of ``searchOrders`` (or ``getOrder``'s ``order``)."""
    order_id = sdk.require(raw, "orderId")
    status, channel_status = map_status(raw.get("fulfillment"))
    sdk.require(raw, "salesChannel")
    marketplace_id = sdk.clean_text(sdk.value_at(raw, "salesChannel.marketplaceId"))
    items = raw.get("orderItems")
    if not isinstance(items, list):
        raise sdk.MalformedRecordError("order: required field 'orderItems' is missing")
    lines = tuple(_line(item, index, channel_status) for index, item in enumerate(items))
    total, currency = _total(raw, channel_status, marketplace_id)
    recipient = sdk.value_at(raw, "recipient.deliveryAddress")
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
        buyer=_READ_BUYER(raw.get("buyer"), "buyer"),
        ship_to=_READ_RECIPIENT(recipient, "recipient.deliveryAddress"),
        fulfilled_by_channel=sdk.value_at(raw, "fulfillment.fulfilledBy") == "AMAZON",
    )
