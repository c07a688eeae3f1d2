"""Shopify order (as the ``orders`` query selects it) to :class:`OrderDraft`. Pure: no I/O.

Status: one orderhub status from ``displayFinancialStatus`` (F), ``displayFulfillmentStatus``
(S) and ``cancelledAt``, decided in this order (the README has the whole table):

1. cancelled (``cancelledAt`` set): ``cancelled``, whatever F and S say;
2. F ``REFUNDED``: ``refunded``; F ``VOIDED``: ``cancelled``; F ``EXPIRED``: ``failed``;
3. S ``FULFILLED``: ``shipped``; S ``PARTIALLY_FULFILLED``: ``partially_shipped``;
   S ``RESTOCKED``: ``cancelled`` (every unit went back to stock);
4. S ``ON_HOLD`` or ``SCHEDULED``: ``on_hold``;
5. F ``PENDING`` or ``PARTIALLY_PAID``: ``pending`` (not paid in full: do not ship);
6. otherwise (F ``PAID``, ``PARTIALLY_REFUNDED``, ``AUTHORIZED``, or none; S ``UNFULFILLED``,
   ``OPEN``, ``IN_PROGRESS``, ``PENDING_FULFILLMENT``, ``REQUEST_DECLINED``): ``unshipped``.

``closed`` (archived) changes nothing: an archived order is shown with its status.

Lines: quantities are ``currentQuantity`` (after edits and refunds); a line with nothing left
is dropped, unless nothing is left of the whole order (cancelled, refunded), whose lines keep
their ordered quantities. Shipped units are ``currentQuantity - unfulfilledQuantity``. Money
is ``shopMoney`` (the store's currency).
"""

from __future__ import annotations

from typing import Any

from orderhub.sdk import (
    Address,
    LineDraft,
    MalformedRecordError,
    OrderDraft,
    OrderStatus,
    address_from,
    clean_text,
    items_at,
    parse_money,
    parse_quantity,
    require,
    required_utc,
)

#: Every ``OrderDisplayFinancialStatus`` and ``OrderDisplayFulfillmentStatus`` value.
# One line each: the enum values as Shopify's reference lists them.
FINANCIAL = frozenset(
    "AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED PENDING REFUNDED "  # noqa: SIM905
    "VOIDED".split()
)
FULFILLMENT = frozenset(
    "FULFILLED IN_PROGRESS ON_HOLD OPEN PARTIALLY_FULFILLED PENDING_FULFILLMENT "  # noqa: SIM905
    "REQUEST_DECLINED RESTOCKED SCHEDULED UNFULFILLED".split()
)
#: Where a ``MailingAddress`` keeps each Address field.
ADDRESS = {
    "name": "name",
    "company": "company",
    "line1": "address1",
    "line2": "address2",
    "city": "city",
    "region": "provinceCode",
    "postal_code": "zip",
    "country": "countryCodeV2",
    "phone": "phone",
    "email": "email",
}
_BY_FINANCIAL = {
    "REFUNDED": OrderStatus.REFUNDED,
    "VOIDED": OrderStatus.CANCELLED,
    "EXPIRED": OrderStatus.FAILED,
}
_BY_FULFILLMENT = {
    "FULFILLED": OrderStatus.SHIPPED,
    "PARTIALLY_FULFILLED": OrderStatus.PARTIALLY_SHIPPED,
    "RESTOCKED": OrderStatus.CANCELLED,
    "ON_HOLD": OrderStatus.ON_HOLD,
    "SCHEDULED": OrderStatus.ON_HOLD,
}


def map_status(financial: str | None, fulfillment: str, cancelled: bool) -> OrderStatus:
    """The table above. Raises MalformedRecordError for a value Shopify does not document."""
    if financial is not None and (not isinstance(financial, str) or financial not in FINANCIAL):
        raise MalformedRecordError(f"unknown displayFinancialStatus {str(financial)[:40]!r}")
    if not isinstance(fulfillment, str) or fulfillment not in FULFILLMENT:
        raise MalformedRecordError(f"unknown displayFulfillmentStatus {str(fulfillment)[:40]!r}")
    if cancelled:
        return OrderStatus.CANCELLED
    if financial in _BY_FINANCIAL:
        return _BY_FINANCIAL[financial]
    if fulfillment in _BY_FULFILLMENT:
        return _BY_FULFILLMENT[fulfillment]
    if financial in ("PENDING", "PARTIALLY_PAID"):
        return OrderStatus.PENDING
    return OrderStatus.UNSHIPPED


def gid_tail(value: Any, kind: str, where: str) -> str:
    """``gid://shopify/Order/123`` -> ``"123"``."""
    prefix = f"gid://shopify/{kind}/"
    if not isinstance(value, str) or not value.startswith(prefix) or not value[len(prefix) :]:
        raise MalformedRecordError(f"{where}: {str(value)[:60]!r} is not a {kind} id")
    return value[len(prefix) :]


def shop_money(bag: Any, where: str, currency: str) -> Any:
    money = bag.get("shopMoney") if isinstance(bag, dict) else None
    if not isinstance(money, dict):
        raise MalformedRecordError(f"{where}: shopMoney is missing")
    if money.get("currencyCode") != currency:
        raise MalformedRecordError(f"{where}: shopMoney is not in the store currency {currency}")
    return parse_money(money.get("amount"), where)


def _address(data: Any, field: str, email: Any = None) -> Address | None:
    if not isinstance(data, dict):
        return None  # left out of the query (include_addresses = false), or unreadable
    return address_from({**data, "email": email} if email else data, field, **ADDRESS)


def _lines(lines: Any, currency: str) -> tuple[LineDraft, ...]:
    parsed = []
    for where, item in items_at(lines, "nodes", "lineItems"):
        current = parse_quantity(item.get("currentQuantity"), f"{where}.currentQuantity")
        unfulfilled = parse_quantity(
            item.get("unfulfilledQuantity"), f"{where}.unfulfilledQuantity"
        )
        ordered = parse_quantity(item.get("quantity"), f"{where}.quantity")
        parsed.append((item, where, current, unfulfilled, ordered))
    # Nothing left of the whole order (cancelled, refunded): its lines keep what was ordered.
    keep_all = not any(current for _i, _w, current, *_ in parsed)
    drafts = []
    for item, where, current, unfulfilled, ordered in parsed:
        if not current and not keep_all:
            continue
        quantity = current or ordered
        variant = item.get("variant")
        ids = (
            {"variation_id": gid_tail(variant.get("id"), "ProductVariant", where)}
            if isinstance(variant, dict)
            else {}
        )
        drafts.append(
            LineDraft(
                external_id=gid_tail(item.get("id"), "LineItem", where),
                quantity=quantity,
                sku=clean_text(item.get("sku")),
                title=clean_text(item.get("name")),
                unit_price=shop_money(item.get("originalUnitPriceSet"), where, currency),
                total=shop_money(item.get("discountedTotalSet"), where, currency),
                quantity_shipped=min(quantity, max(0, current - unfulfilled)),
                identifiers=ids,
            )
        )
    return tuple(drafts)


def to_draft(raw: dict[str, Any]) -> OrderDraft:
    """Normalise one order node of the ``orders`` query."""
    order_id = gid_tail(require(raw, "id"), "Order", "order")
    financial = raw.get("displayFinancialStatus")
    fulfillment = require(raw, "displayFulfillmentStatus")
    cancelled = raw.get("cancelledAt") is not None
    currency = str(require(raw, "currencyCode"))
    state = f"{financial or 'NONE'}/{fulfillment}"
    if cancelled:
        state += "/cancelled"
    elif raw.get("closed"):
        state += "/closed"
    return OrderDraft(
        external_id=order_id,
        display_id=clean_text(raw.get("name")),
        status=map_status(financial, fulfillment, cancelled),
        channel_status=state,
        placed_at=required_utc(raw, "createdAt"),
        updated_at=required_utc(raw, "updatedAt"),
        currency=currency,
        total=shop_money(raw.get("currentTotalPriceSet"), "currentTotalPriceSet", currency),
        lines=_lines(raw.get("lineItems"), currency),
        buyer=_address(raw.get("billingAddress"), "billingAddress", raw.get("email")),
        ship_to=_address(raw.get("shippingAddress"), "shippingAddress"),
    )
