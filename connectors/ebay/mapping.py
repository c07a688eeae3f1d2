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
from itertools import product
from typing import Any

from orderhub.sdk import (
    LineDraft,
    MalformedRecordError,
    OrderDraft,
    OrderStatus,
    address_from,
    clean_text,
    first_address,
    first_text,
    known_value,
    money_at,
    money_object,
    optional_object,
    parse_quantity,
    parse_utc,
    require,
    required_list,
    required_object,
    unit_price_from_total,
)

FULFILLMENT_STATUSES = ("NOT_STARTED", "IN_PROGRESS", "FULFILLED")
PAYMENT_STATUSES = ("PENDING", "FAILED", "PAID", "PARTIALLY_REFUNDED", "FULLY_REFUNDED")
CANCEL_STATES = ("NONE_REQUESTED", "IN_PROGRESS", "CANCELED")
#: Cancel states whose ``cancelRequests`` are worth a ``getOrder`` call (the list call
#: always leaves that array empty).
CANCEL_STATES_WITH_DETAIL = frozenset({"IN_PROGRESS", "CANCELED"})
# The status rule of the module docstring: the first (field, value) that matches decides.
_STATUS_RULES = (
    ("cancel", "CANCELED", OrderStatus.CANCELLED),
    ("payment", "FULLY_REFUNDED", OrderStatus.REFUNDED),
    ("fulfillment", "FULFILLED", OrderStatus.SHIPPED),
    ("payment", "FAILED", OrderStatus.FAILED),
    ("payment", "PENDING", OrderStatus.PENDING),
    ("cancel", "IN_PROGRESS", OrderStatus.ON_HOLD),
    ("fulfillment", "IN_PROGRESS", OrderStatus.PARTIALLY_SHIPPED),
)
# Where eBay keeps each address field in a ``shipTo`` contact.
_SHIP_TO = {
    "name": "fullName",
    "company": "companyName",
    "line1": "contactAddress.addressLine1",
    "line2": "contactAddress.addressLine2",
    "city": "contactAddress.city",
    "region": "contactAddress.stateOrProvince",
    "postal_code": "contactAddress.postalCode",
    "country": "contactAddress.countryCode",
    "phone": "primaryPhone.phoneNumber",
    "email": "email",
}


def map_status(fulfillment: str, payment: str, cancel: str) -> OrderStatus:
    """orderhub's status for eBay's three values (the rule in this module's docstring).
    The values must be known ones (see :func:`order_status`)."""
    values = {"fulfillment": fulfillment, "payment": payment, "cancel": cancel}
    for field, value, status in _STATUS_RULES:
        if values[field] == value:
            return status
    return OrderStatus.UNSHIPPED


def status_table() -> dict[tuple[str, str, str], OrderStatus]:
    """Every known (fulfillment, payment, cancel state) combination and its status."""
    return {
        combo: map_status(*combo)
        for combo in product(FULFILLMENT_STATUSES, PAYMENT_STATUSES, CANCEL_STATES)
    }


def channel_status(fulfillment: str, payment: str, cancel: str) -> str:
    """eBay's own words for the status, e.g. ``"PAID/NOT_STARTED/CANCEL_IN_PROGRESS"``."""
    suffix = {"IN_PROGRESS": "/CANCEL_IN_PROGRESS", "CANCELED": "/CANCELED"}.get(cancel, "")
    return f"{payment}/{fulfillment}{suffix}"


def cancel_state(raw: Mapping[str, Any]) -> str:
    """``cancelStatus.cancelState``; ``NONE_REQUESTED`` when eBay left the container (or the
    value) out (the spec says it is always returned)."""
    status = optional_object(raw.get("cancelStatus"), "cancelStatus") or {}
    return known_value(
        status,
        "cancelState",
        CANCEL_STATES,
        default="NONE_REQUESTED",
        field="cancelStatus.cancelState",
        channel="eBay",
    )


def needs_cancel_detail(raw: Mapping[str, Any]) -> bool:
    """True when the order's cancel state says there are cancel requests to read with
    ``getOrder``. A record whose ``cancelStatus`` cannot be read gets no extra call (it is
    quarantined by :func:`to_draft` anyway)."""
    try:
        return cancel_state(raw) in CANCEL_STATES_WITH_DETAIL
    except MalformedRecordError:
        return False


def order_status(raw: Mapping[str, Any]) -> tuple[OrderStatus, str]:
    """The order's status and ``channel_status``; MalformedRecordError names a missing or
    unknown field."""
    fulfillment = known_value(raw, "orderFulfillmentStatus", FULFILLMENT_STATUSES, channel="eBay")
    payment = known_value(raw, "orderPaymentStatus", PAYMENT_STATUSES, channel="eBay")
    cancel = cancel_state(raw)
    return map_status(fulfillment, payment, cancel), channel_status(fulfillment, payment, cancel)


def _line(item: Any, index: int, currency: str) -> LineDraft:
    where = f"lineItems[{index}]"
    data = required_object(item, where)
    line_id = require(data, "lineItemId", where)
    quantity = parse_quantity(data.get("quantity"), f"{where}.quantity")
    cost = money_at(data, "lineItemCost", where, currency=currency)
    ids = {"ebay_item_id": "legacyItemId", "ebay_variation_id": "legacyVariationId"}
    return LineDraft(
        external_id=str(line_id),
        quantity=quantity,
        sku=clean_text(data.get("sku")),
        title=clean_text(data.get("title")),
        unit_price=unit_price_from_total(cost, quantity),
        total=money_at(data, "total", where, currency=currency),
        quantity_shipped=quantity if data.get("lineItemFulfillmentStatus") == "FULFILLED" else 0,
        identifiers={k: str(data[v]) for k, v in ids.items() if clean_text(data.get(v))},
    )


def to_draft(raw: dict[str, Any]) -> OrderDraft:
    """Normalise one eBay ``Order`` (from ``getOrders`` or ``getOrder``)."""
    order_id = require(raw, "orderId")
    status, channel = order_status(raw)
    pricing = required_object(raw.get("pricingSummary"), "pricingSummary")
    total, currency = money_object(pricing.get("total"), "pricingSummary.total")
    items = required_list(
        raw.get("lineItems"),
        "lineItems",
        empty="the order has no line items (every eBay order has at least one)",
    )
    buyer = optional_object(raw.get("buyer"), "buyer")
    return OrderDraft(
        external_id=str(order_id),
        status=status,
        channel_status=channel,
        placed_at=parse_utc(require(raw, "creationDate"), "creationDate"),
        updated_at=parse_utc(require(raw, "lastModifiedDate"), "lastModifiedDate"),
        currency=currency,
        total=total,
        lines=tuple(_line(item, index, currency) for index, item in enumerate(items)),
        marketplace=first_text(items, "purchaseMarketplaceId", "listingMarketplaceId"),
        buyer=address_from(buyer, "buyer", name="username", country="taxAddress.countryCode"),
        ship_to=first_address(
            raw.get("fulfillmentStartInstructions"),
            "fulfillmentStartInstructions",
            "shippingStep.shipTo",
            **_SHIP_TO,
        ),
    )
