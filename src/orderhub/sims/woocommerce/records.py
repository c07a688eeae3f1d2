"""The simulated WooCommerce store's data model: statuses, the product catalog, and the stored
order and note records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from orderhub.testing.sim import SimRecord

#: Every order status a store can report (``checkout-draft`` comes with the block checkout).
WOO_STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "trash",
    "checkout-draft",
)


_STATUS_LABELS = {
    "pending": "Pending payment",
    "processing": "Processing",
    "on-hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "failed": "Failed",
    "trash": "Trash",
    "checkout-draft": "Draft",
}


_PAID_STATUSES = frozenset({"processing", "completed", "refunded"})


_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Product:
    """A catalog entry the generator sells. ``sku`` may be empty (as on real stores)."""

    product_id: int
    variation_id: int
    name: str
    sku: str
    price: Decimal
    attributes: tuple[tuple[str, str], ...] = ()


CATALOG: tuple[Product, ...] = (
    Product(101, 102, "Blue T-Shirt - S", "BLUE-TEE-S", Decimal("19.00"), (("pa_size", "s"),)),
    Product(101, 103, "Blue T-Shirt - M", "BLUE-TEE-M", Decimal("19.00"), (("pa_size", "m"),)),
    Product(101, 104, "Blue T-Shirt - L", "BLUE-TEE-L", Decimal("19.00"), (("pa_size", "l"),)),
    Product(110, 111, "Red T-Shirt - M", "RED-TEE-M", Decimal("19.00"), (("pa_size", "m"),)),
    Product(120, 0, "White Mug", "MUG-WHITE", Decimal("12.50")),
    Product(121, 0, "Black Mug", "MUG-BLACK", Decimal("12.50")),
    Product(130, 131, "Grey Hoodie - M", "HOODIE-GREY-M", Decimal("45.00"), (("pa_size", "m"),)),
    Product(130, 132, "Grey Hoodie - L", "HOODIE-GREY-L", Decimal("45.00"), (("pa_size", "l"),)),
    Product(140, 0, "Navy Cap", "CAP-NAVY", Decimal("17.90")),
    Product(150, 0, "Canvas Tote Bag", "TOTE-NATURAL", Decimal("14.00")),
    Product(160, 0, "Striped Socks (3-pack)", "SOCKS-STRIPED-3", Decimal("11.99")),
    Product(170, 0, "Poster A3 - Mountains", "POSTER-A3-MOUNTAIN", Decimal("9.95")),
    Product(180, 0, "Sticker Pack", "STICKER-PACK", Decimal("4.50")),
    Product(190, 0, "Handmade Greeting Card", "", Decimal("3.50")),
)


_BY_SKU = {p.sku: p for p in CATALOG if p.sku}


MalformedKind = Literal["bad_quantity", "missing_modified", "bad_total"]


@dataclass(slots=True)
class WooOrderRecord(SimRecord):
    """A stored order: enough to render the full JSON on demand.

    The order's people, lines and money are derived from ``seed`` (or from ``lines``);
    ``overrides`` are merged over the rendered JSON; ``malformed`` breaks it on purpose.
    """

    seed: int = 0
    currency: str = "EUR"
    customer_id: int = 0
    lines: tuple[tuple[str, int], ...] | None = None
    paid: datetime | None = None
    completed: datetime | None = None
    overrides: dict[str, Any] | None = None
    malformed: str | None = None


@dataclass
class WooNote:
    """An order note (times UTC)."""

    id: int
    order_id: int
    author: str
    created: datetime
    note: str
    customer_note: bool


def _wall(value: datetime | None) -> str | None:
    """WooCommerce's date format: ``YYYY-MM-DDTHH:MM:SS`` without a zone."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S")


def _by_id(record: WooOrderRecord) -> tuple[object, ...]:
    return (record.id,)


def _by_created(record: WooOrderRecord) -> tuple[object, ...]:
    # WooCommerce sorts "date" as "date ID", so equal times keep a stable order.
    return (record.created, record.id)


def _product_for(sku: str) -> Product:
    product = _BY_SKU.get(sku)
    if product is not None:
        return product
    return Product(999, 0, f"Custom item {sku}", sku, Decimal("10.00"))
