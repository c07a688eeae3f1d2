"""What the simulated Shopify store keeps: compact order records with their lines,
fulfillment orders and fulfillments, and the catalog's variants. The GraphQL answers are
rendered from these on demand (:mod:`.resolvers`).

The rules here are Shopify's as documented for fulfillment orders: an order's lines are
split into fulfillment orders (one per location that stocks them); a fulfillment takes
units from the ``remainingQuantity`` of open or in-progress fulfillment orders; a
fulfillment order with nothing remaining is ``CLOSED``, one partly fulfilled
``IN_PROGRESS``; a cancelled order's fulfillment orders are ``CANCELLED``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from orderhub.testing.sim import SimRecord

__all__ = [
    "FulfillmentOrderLine",
    "FulfillmentOrderRecord",
    "FulfillmentRecord",
    "LineRecord",
    "ShopifyOrderRecord",
    "Variant",
    "gid",
    "gid_number",
    "money",
]

_CENT = Decimal("0.01")
_OPEN_STATES = ("OPEN", "IN_PROGRESS")


def gid(kind: str, number: int) -> str:
    """Shopify's global id, ``gid://shopify/Order/1001``."""
    return f"gid://shopify/{kind}/{number}"


def gid_number(value: object, kind: str) -> int | None:
    """The number of a ``gid://shopify/<kind>/<n>``, or None when it is not one."""
    prefix = f"gid://shopify/{kind}/"
    if not isinstance(value, str) or not value.startswith(prefix):
        return None
    tail = value[len(prefix) :].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


def money(value: Decimal, currency_decimals: int = 2) -> Decimal:
    step = Decimal(1).scaleb(-currency_decimals) if currency_decimals else Decimal(1)
    return value.quantize(step, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Variant:
    """A product variant the shop sells (``sku`` may be empty, as in real shops)."""

    id: int
    product_id: int
    product_title: str
    title: str
    sku: str
    barcode: str | None
    price: Decimal

    @property
    def display_name(self) -> str:
        return (
            self.product_title
            if self.title == "Default Title"
            else (f"{self.product_title} - {self.title}")
        )


@dataclass
class LineRecord:
    """An order line. ``removed`` units left it through an order edit or a refund, so
    ``currentQuantity`` is ``quantity - removed``; ``unit_discount`` is per unit."""

    id: int
    variant: Variant | None
    title: str
    sku: str | None
    quantity: int
    unit_price: Decimal
    unit_discount: Decimal = Decimal("0")
    removed: int = 0

    @property
    def current(self) -> int:
        return max(0, self.quantity - self.removed)


@dataclass
class FulfillmentOrderLine:
    id: int
    line_id: int
    total: int
    remaining: int


@dataclass
class FulfillmentOrderRecord:
    id: int
    order_id: int
    location_id: int
    status: str
    lines: list[FulfillmentOrderLine]
    updated: datetime

    @property
    def fulfillable(self) -> bool:
        return self.status in _OPEN_STATES


@dataclass
class FulfillmentRecord:
    """A fulfillment: ``lines`` are (fulfillment line id, order line id, quantity)."""

    id: int
    order_id: int
    name: str
    status: str
    created: datetime
    updated: datetime
    tracking: list[dict[str, str | None]]
    lines: list[tuple[int, int, int]]


@dataclass(slots=True)
class ShopifyOrderRecord(SimRecord):
    """An order. ``status`` (from :class:`SimRecord`) is its ``displayFinancialStatus``."""

    number: int = 1001
    currency: str = "EUR"
    presentment: str = "EUR"
    rate: Decimal = Decimal("1")  # presentment units per shop unit
    lines: list[LineRecord] = field(default_factory=list)
    shipping: Decimal = Decimal("0")
    shipping_title: str = "Standard"
    refunded: Decimal = Decimal("0")  # money refunded beyond removed lines (e.g. shipping)
    person: int = 0
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed_at: datetime | None = None
    restocked: bool = False
    test: bool = False
    fulfillment_orders: list[FulfillmentOrderRecord] = field(default_factory=list)
    fulfillments: list[FulfillmentRecord] = field(default_factory=list)
    malformed: str | None = None

    def line(self, line_id: int) -> LineRecord | None:
        return next((line for line in self.lines if line.id == line_id), None)

    def fulfilled(self, line_id: int) -> int:
        return sum(
            quantity
            for f in self.fulfillments
            if f.status != "CANCELLED"
            for _fl, line, quantity in f.lines
            if line == line_id
        )

    def unfulfilled(self, line: LineRecord) -> int:
        return max(0, line.current - self.fulfilled(line.id))

    @property
    def fulfillment_status(self) -> str:
        """``displayFulfillmentStatus``."""
        if any(fo.status == "ON_HOLD" for fo in self.fulfillment_orders):
            return "ON_HOLD"
        if self.restocked:
            return "RESTOCKED"
        wanted = sum(line.current for line in self.lines)
        done = sum(min(line.current, self.fulfilled(line.id)) for line in self.lines)
        if wanted and done >= wanted:
            return "FULFILLED"
        if done:
            return "PARTIALLY_FULFILLED"
        return "UNFULFILLED"

    def line_total(self, line: LineRecord) -> Decimal:
        return money((line.unit_price - line.unit_discount) * line.current)

    @property
    def original_total(self) -> Decimal:
        return money(
            sum(((ln.unit_price - ln.unit_discount) * ln.quantity for ln in self.lines), Decimal(0))
            + self.shipping
        )

    @property
    def current_total(self) -> Decimal:
        lines = sum((self.line_total(line) for line in self.lines), Decimal(0))
        return max(Decimal("0.00"), money(lines + self.shipping - self.refunded))
