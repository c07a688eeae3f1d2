"""eBay order JSON (Sell Fulfillment API ``Order``) → :class:`OrderDraft`. Pure functions.

The status rule
---------------

eBay describes an order with three independent values: ``orderFulfillmentStatus``
(``NOT_STARTED``, ``IN_PROGRESS``, ``FULFILLED``), ``orderPaymentStatus`` (``PENDING``,
``FAILED``, ``PAID``, ``PARTIALLY_REFUNDED``, ``FULLY_REFUNDED``) and
``cancelStatus.cancelState`` (``NONE_REQUESTED``, ``IN_PROGRESS``, ``CANCELED``). The spec
names these enumerations without listing them; the values are those of eBay's
``OrderFulfillmentStatus``, ``OrderPaymentStatusEnum`` and ``CancelStateEnum`` type pages.
orderhub's status is the first rule that applies:

1. cancelState ``CANCELED`` → ``cancelled``
2. payment ``FULLY_REFUNDED`` → ``refunded``
3. fulfillment ``FULFILLED`` → ``shipped`` (every package is out, whatever else happened)
4. payment ``FAILED`` → ``failed``
5. payment ``PENDING`` → ``pending`` (not paid yet: do not ship)
6. cancelState ``IN_PROGRESS`` → ``on_hold`` (the buyer asked to cancel; the seller must
   answer before shipping)
7. fulfillment ``IN_PROGRESS`` → ``partially_shipped``
8. otherwise (paid or partially refunded, nothing shipped) → ``unshipped``

``channel_status`` keeps eBay's words: ``"PAID/NOT_STARTED"``, with ``"/CANCEL_IN_PROGRESS"``
or ``"/CANCELED"`` added when a cancellation is under way or done. An unknown value in any of
the three fields is refused (the record is quarantined with the field named) rather than
guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from itertools import product
from typing import Any

from orderhub.sdk import (
    Address,
    LineDraft,
    MalformedRecordError,
    OrderDraft,
    OrderStatus,
    clean_address,
    clean_text,
    optional_object,
    parse_money,
    parse_utc,
    require,
    unit_price_from_total,
)

FULFILLMENT_STATUSES = ("NOT_STARTED", "IN_PROGRESS", "FULFILLED")
PAYMENT_STATUSES = ("PENDING", "FAILED", "PAID", "PARTIALLY_REFUNDED", "FULLY_REFUNDED")
CANCEL_STATES = ("NONE_REQUESTED", "IN_PROGRESS", "CANCELED")
#: Cancel states whose ``cancelRequests`` are worth a ``getOrder`` call (the list call
#: always leaves that array empty).
CANCEL_STATES_WITH_DETAIL = frozenset({"IN_PROGRESS", "CANCELED"})


def map_status(fulfillment: str, payment: str, cancel: str) -> OrderStatus:
    """orderhub's status for eBay's three values (the rule in this module's docstring).
    The values must be known ones (see :func:`order_status`)."""
    if cancel == "CANCELED":
        return OrderStatus.CANCELLED
    if payment == "FULLY_REFUNDED":
        return OrderStatus.REFUNDED
    if fulfillment == "FULFILLED":
        return OrderStatus.SHIPPED
    if payment == "FAILED":
        return OrderStatus.FAILED
    if payment == "PENDING":
        return OrderStatus.PENDING
    if cancel == "IN_PROGRESS":
        return OrderStatus.ON_HOLD
    if fulfillment == "IN_PROGRESS":
        return OrderStatus.PARTIALLY_SHIPPED
    return OrderStatus.UNSHIPPED


def status_table() -> dict[tuple[str, str, str], OrderStatus]:
    """Every known (fulfillment, payment, cancel state) combination and its status."""
    return {
        combo: map_status(*combo)
        for combo in product(FULFILLMENT_STATUSES, PAYMENT_STATUSES, CANCEL_STATES)
    }


def channel_status(fulfillment: str, payment: str, cancel: str) -> str:
    """eBay's own words for the status, e.g. ``"PAID/NOT_STARTED/CANCEL_IN_PROGRESS"``."""
    text = f"{payment}/{fulfillment}"
    if cancel == "IN_PROGRESS":
        text += "/CANCEL_IN_PROGRESS"
    elif cancel == "CANCELED":
        text += "/CANCELED"
    return text


def cancel_state(raw: Mapping[str, Any]) -> str:
    """``cancelStatus.cancelState``; ``NONE_REQUESTED`` when eBay left the container out
    (the spec says it is always returned)."""
    status = raw.get("cancelStatus")
    if status is None:
        return "NONE_REQUESTED"
    if not isinstance(status, dict):
        raise MalformedRecordError("cancelStatus: expected an object")
    value = status.get("cancelState") or "NONE_REQUESTED"
    if value not in CANCEL_STATES:
        raise MalformedRecordError(
            f"cancelStatus.cancelState: unknown value {str(value)[:40]!r} "
            f"(known: {', '.join(CANCEL_STATES)})",
            fix="Report it to orderhub's maintainers: eBay added a value the connector does "
            "not know yet. The raw order is kept in `orderhub failures`.",
        )
    return str(value)


def needs_cancel_detail(raw: Mapping[str, Any]) -> bool:
    """True when the order's cancel state says there are cancel requests to read with
    ``getOrder``. A record whose ``cancelStatus`` cannot be read gets no extra call (it is
    quarantined by :func:`to_draft` anyway)."""
    try:
        return cancel_state(raw) in CANCEL_STATES_WITH_DETAIL
    except MalformedRecordError:
        return False


def _known(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = require(dict(raw), key)
    if value not in allowed:
        raise MalformedRecordError(
            f"{key}: unknown value {str(value)[:40]!r} (known: {', '.join(allowed)})",
            fix="Report it to orderhub's maintainers: eBay added a value the connector does "
            "not know yet. The raw order is kept in `orderhub failures`.",
        )
    return str(value)


def order_status(raw: Mapping[str, Any]) -> tuple[OrderStatus, str]:
    """The order's status and ``channel_status``; MalformedRecordError names a missing or
    unknown field."""
    fulfillment = _known(raw, "orderFulfillmentStatus", FULFILLMENT_STATUSES)
    payment = _known(raw, "orderPaymentStatus", PAYMENT_STATUSES)
    cancel = cancel_state(raw)
    return map_status(fulfillment, payment, cancel), channel_status(fulfillment, payment, cancel)


def amount(value: Any, field: str) -> tuple[Decimal, str]:
    """An eBay ``Amount`` (``{"value": "12.34", "currency": "USD"}``) as a Decimal and its
    ISO currency code. ``value`` is the amount in ``currency`` (after any conversion; the
    buyer's original is in ``convertedFromValue``)."""
    data = optional_object(value, field)
    if data is None:
        raise MalformedRecordError(f"{field}: required amount is missing")
    money = parse_money(data.get("value"), f"{field}.value")
    currency = data.get("currency")
    if not isinstance(currency, str) or len(currency.strip()) != 3:
        raise MalformedRecordError(f"{field}.currency: {str(currency)[:10]!r} is not a currency")
    return money, currency.strip().upper()


def _line_amount(value: Any, field: str, currency: str) -> Decimal | None:
    if value is None:
        return None
    money, line_currency = amount(value, field)
    if line_currency != currency:
        raise MalformedRecordError(
            f"{field}.currency: {line_currency} differs from the order's currency {currency}"
        )
    return money


def _quantity(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedRecordError(f"{field}: {str(value)[:20]!r} is not an integer")
    return value


def _line(item: Any, index: int, currency: str) -> LineDraft:
    where = f"lineItems[{index}]"
    data = optional_object(item, where)
    if data is None:
        raise MalformedRecordError(f"{where}: expected an object")
    line_id = require(data, "lineItemId", where)
    quantity = _quantity(data.get("quantity"), f"{where}.quantity")
    cost = _line_amount(data.get("lineItemCost"), f"{where}.lineItemCost", currency)
    identifiers = {
        name: str(data[key])
        for name, key in (
            ("ebay_item_id", "legacyItemId"),
            ("ebay_variation_id", "legacyVariationId"),
        )
        if clean_text(data.get(key))
    }
    shipped = quantity if data.get("lineItemFulfillmentStatus") == "FULFILLED" else 0
    return LineDraft(
        external_id=str(line_id),
        quantity=quantity,
        sku=clean_text(data.get("sku")),
        title=clean_text(data.get("title")),
        unit_price=unit_price_from_total(cost, quantity),
        total=_line_amount(data.get("total"), f"{where}.total", currency),
        quantity_shipped=shipped,
        identifiers=identifiers,
    )


def _buyer(raw: Mapping[str, Any]) -> Address | None:
    buyer = optional_object(raw.get("buyer"), "buyer")
    if buyer is None:
        return None
    tax = optional_object(buyer.get("taxAddress"), "buyer.taxAddress") or {}
    return clean_address(name=buyer.get("username"), country=tax.get("countryCode"))


def _ship_to(raw: Mapping[str, Any]) -> Address | None:
    instructions = raw.get("fulfillmentStartInstructions")
    if not isinstance(instructions, list):
        return None
    for index, instruction in enumerate(instructions):
        where = f"fulfillmentStartInstructions[{index}]"
        step = optional_object(instruction, where) or {}
        shipping = optional_object(step.get("shippingStep"), f"{where}.shippingStep")
        contact = optional_object((shipping or {}).get("shipTo"), f"{where}.shippingStep.shipTo")
        if contact is None:
            continue  # an in-store pickup or digital delivery step
        postal = (
            optional_object(contact.get("contactAddress"), f"{where}.shippingStep.shipTo") or {}
        )
        phone = optional_object(contact.get("primaryPhone"), f"{where}.shippingStep.shipTo") or {}
        return clean_address(
            name=contact.get("fullName"),
            company=contact.get("companyName"),
            line1=postal.get("addressLine1"),
            line2=postal.get("addressLine2"),
            city=postal.get("city"),
            region=postal.get("stateOrProvince"),
            postal_code=postal.get("postalCode"),
            country=postal.get("countryCode"),
            phone=phone.get("phoneNumber"),
            email=contact.get("email"),
        )
    return None


def _marketplace(items: list[Any]) -> str | None:
    for item in items:
        if isinstance(item, dict):
            found = clean_text(item.get("purchaseMarketplaceId")) or clean_text(
                item.get("listingMarketplaceId")
            )
            if found:
                return found
    return None


def to_draft(raw: dict[str, Any]) -> OrderDraft:
    """Normalise one eBay ``Order`` (from ``getOrders`` or ``getOrder``)."""
    order_id = require(raw, "orderId")
    status, channel = order_status(raw)
    pricing = optional_object(raw.get("pricingSummary"), "pricingSummary")
    if pricing is None:
        raise MalformedRecordError("pricingSummary: required field is missing")
    total, currency = amount(pricing.get("total"), "pricingSummary.total")
    items = raw.get("lineItems")
    if not isinstance(items, list):
        raise MalformedRecordError("lineItems: required list is missing")
    if not items:
        raise MalformedRecordError(
            "lineItems: the order has no line items (every eBay order has at least one)"
        )
    return OrderDraft(
        external_id=str(order_id),
        status=status,
        channel_status=channel,
        placed_at=parse_utc(require(raw, "creationDate"), "creationDate"),
        updated_at=parse_utc(require(raw, "lastModifiedDate"), "lastModifiedDate"),
        currency=currency,
        total=total,
        lines=tuple(_line(item, index, currency) for index, item in enumerate(items)),
        marketplace=_marketplace(items),
        buyer=_buyer(raw),
        ship_to=_ship_to(raw),
    )
