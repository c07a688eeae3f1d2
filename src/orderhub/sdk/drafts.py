"""The canonical shapes a connector produces (orders) and consumes (shipments to push).

Drafts are plain frozen dataclasses: cheap to build (the sync engine makes one per order,
hundreds of thousands in a backfill) and easy to compare in golden-file tests. Validation
is a separate step (:func:`validate_order`) that the sync engine runs on every draft; a draft
that fails it is quarantined with the reasons, never stored half-right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any


class OrderStatus(StrEnum):
    """One status vocabulary for every channel. The channel's own status is kept beside it."""

    PENDING = "pending"  # placed, not yet payable/paid or not yet released to ship
    ON_HOLD = "on_hold"  # waiting on the seller or the payment provider; do not ship yet
    UNSHIPPED = "unshipped"  # paid and ready to ship
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    FAILED = "failed"  # payment failed; nothing to ship
    UNFULFILLABLE = "unfulfillable"  # the channel cannot fulfil it (e.g. Amazon FBA stock-out)


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address. Buyer PII: stored, never logged."""

    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    phone: str | None = None
    email: str | None = None


#: The names of :class:`Address`'s fields, in their declared order.
ADDRESS_FIELDS: tuple[str, ...] = tuple(item.name for item in fields(Address))


@dataclass(frozen=True, slots=True)
class LineDraft:
    """One ordered line as the channel sent it.

    ``external_id`` is the channel's line id (needed to push partial shipments). ``sku`` is
    the seller SKU on that channel; ``identifiers`` holds anything else useful for matching
    (``asin``, ``ebay_item_id``, ``ebay_variation_id``, ``product_id``, ``variation_id``,
    ``gtin``).
    """

    external_id: str
    quantity: int
    sku: str | None = None
    title: str | None = None
    unit_price: Decimal | None = None
    total: Decimal | None = None
    quantity_shipped: int = 0
    identifiers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """One order, normalised. Produced by ``Connector.to_order`` from one raw payload.

    ``updated_at`` is the channel's last-modified time (it drives the sync cursor);
    ``channel_status`` is the channel's own word for the status, kept for people and for
    audits; ``fulfilled_by_channel`` marks orders the marketplace ships itself (Amazon FBA),
    which never get tracking pushed.
    """

    external_id: str
    status: OrderStatus
    channel_status: str
    placed_at: datetime
    updated_at: datetime
    currency: str
    total: Decimal
    lines: tuple[LineDraft, ...]
    marketplace: str | None = None
    buyer: Address | None = None
    ship_to: Address | None = None
    fulfilled_by_channel: bool = False
    display_id: str | None = None  # the number the seller sees, when it differs from the id


class PushOutcome(StrEnum):
    """What a channel did with a tracking push."""

    APPLIED = "applied"  # the channel accepted it now
    ALREADY_APPLIED = "already_applied"  # the channel had it already: a success, not an error


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    """A quantity of one channel line in a shipment."""

    line_external_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ShipmentDraft:
    """A shipment to tell a channel about.

    ``reference`` is orderhub's stable idempotency reference for this shipment (the same on
    every retry); connectors use it where the channel has such a key (Amazon's
    ``packageReferenceId``) and match on ``tracking_number`` where it has none.
    ``carrier_code`` is already translated to the channel's code; ``carrier_name`` is the
    human name for channels that want it (or for "other"). ``completes_order`` is True when,
    with this shipment, every unit of the order has shipped (channels without per-line
    shipments, such as WooCommerce, then mark the order complete).
    """

    order_external_id: str
    reference: str
    carrier_code: str
    tracking_number: str
    shipped_at: datetime
    lines: tuple[ShipmentLine, ...]
    carrier_name: str | None = None
    marketplace: str | None = None
    completes_order: bool = False


@dataclass(frozen=True, slots=True)
class PushResult:
    """The answer to ``push_tracking``. Failures are raised as errors, not returned."""

    outcome: PushOutcome
    channel_reference: str | None = None  # e.g. eBay's fulfillment id from Location
    detail: dict[str, Any] = field(default_factory=dict)


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def validate_order(draft: OrderDraft) -> list[str]:
    """Return every problem with ``draft`` (empty when it is valid).

    Checks the promises the store relies on: an id, UTC-aware times, an ISO 4217 currency
    code, at least one line, positive integer quantities and no negative money.
    """
    problems: list[str] = []
    if not draft.external_id:
        problems.append("order id is empty")
    for name in ("placed_at", "updated_at"):
        value = getattr(draft, name)
        if not isinstance(value, datetime):
            problems.append(f"{name} is not a datetime")
        elif value.utcoffset() != timedelta(0):
            problems.append(f"{name} is not a UTC-aware time")
    if not isinstance(draft.currency, str) or not _CURRENCY.match(draft.currency):
        problems.append(f"currency {draft.currency!r} is not an ISO 4217 code")
    if not isinstance(draft.status, OrderStatus):
        problems.append(f"status {draft.status!r} is not an OrderStatus")
    if not isinstance(draft.total, Decimal):
        problems.append("total is not a Decimal")
    elif draft.total < 0:
        problems.append("total is negative")
    if not draft.lines:
        problems.append("order has no lines")
    seen: set[str] = set()
    for index, line in enumerate(draft.lines, start=1):
        if _line_is_valid(line, seen):
            seen.add(line.external_id)
            continue
        where = f"line {index} ({line.external_id or 'no id'})"
        if not line.external_id:
            problems.append(f"{where}: line id is empty")
        elif line.external_id in seen:
            problems.append(f"{where}: line id appears twice")
        seen.add(line.external_id)
        if not isinstance(line.quantity, int) or line.quantity <= 0:
            problems.append(f"{where}: quantity {line.quantity!r} is not a positive integer")
        if line.quantity_shipped < 0:
            problems.append(f"{where}: shipped quantity is negative")
        for money in ("unit_price", "total"):
            value = getattr(line, money)
            if value is not None and (not isinstance(value, Decimal) or value < 0):
                problems.append(f"{where}: {money} {value!r} is not a non-negative Decimal")
    return problems


def _line_is_valid(line: LineDraft, seen: set[str]) -> bool:
    """The common case of :func:`validate_order`'s line checks, without building the
    messages (the detailed checks run, and name the problems, only when this fails)."""
    unit_price, total, quantity = line.unit_price, line.total, line.quantity
    return (
        bool(line.external_id)
        and line.external_id not in seen
        and isinstance(quantity, int)
        and quantity > 0
        and line.quantity_shipped >= 0
        and (unit_price is None or (isinstance(unit_price, Decimal) and unit_price >= 0))
        and (total is None or (isinstance(total, Decimal) and total >= 0))
    )
