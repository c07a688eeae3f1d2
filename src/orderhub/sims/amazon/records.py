"""The simulated Amazon's data model: marketplaces, usage plans, carrier codes, statuses and
the stored order, item and package records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from orderhub.sdk.ratelimit import RateLimit
from orderhub.testing.sim import SimRecord

SEARCH_PATH = "/orders/2026-01-01/orders"


V0_PATH = "/orders/v0/orders"


TOKEN_PATH = "/auth/o2/token"  # noqa: S105 - a URL path, not a secret


#: The order statuses of the Orders API 2026-01-01 (``FulfillmentStatus``).
FULFILLMENT_STATUSES = (
    "PENDING_AVAILABILITY",
    "PENDING",
    "UNSHIPPED",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "CANCELLED",
    "UNFULFILLABLE",
)


#: Every ``includedData`` value of ``searchOrders``.
ALL_DATASETS = frozenset(
    {
        "BUYER",
        "RECIPIENT",
        "PROCEEDS",
        "EXPENSE",
        "PROMOTION",
        "CANCELLATION",
        "FULFILLMENT",
        "PACKAGES",
        "TAX",
        "PAYMENT",
        "FULFILLMENT_ORDERS",
    }
)


_V0_STATUS = {
    "PENDING_AVAILABILITY": "PendingAvailability",
    "PENDING": "Pending",
    "UNSHIPPED": "Unshipped",
    "PARTIALLY_SHIPPED": "PartiallyShipped",
    "SHIPPED": "Shipped",
    "CANCELLED": "Canceled",
    "UNFULFILLABLE": "Unfulfillable",
}


_V0_STATUS_BACK = {v: k for k, v in _V0_STATUS.items()}


#: The default usage plans (``usage-plans.extracted.json``) of the simulated operations.
USAGE_PLANS: dict[str, RateLimit] = {
    "searchOrders": RateLimit(rate=0.0056, burst=20),
    "getOrder": RateLimit(rate=0.5, burst=30),
    "getOrders": RateLimit(rate=0.0167, burst=20),
    "getOrderItems": RateLimit(rate=0.5, burst=30),
    "confirmShipment": RateLimit(rate=2.0, burst=10),
}


#: Carrier codes the simulated ``confirmShipment`` accepts: a common subset of Amazon's
#: carrier list (the full list is longer and differs per marketplace). Pass your own list to
#: the constructor to accept more.
CARRIER_CODES = frozenset(
    {
        "Amazon Shipping",
        "Australia Post",
        "Blue Dart",
        "BRT",
        "Canada Post",
        "Chronopost",
        "Colissimo",
        "Correos",
        "Deutsche Post",
        "DHL",
        "DHL eCommerce",
        "DHL Global Mail",
        "DPD",
        "Evri",
        "FedEx",
        "FedEx SmartPost",
        "GLS",
        "Hermes",
        "India Post",
        "Japan Post",
        "La Poste",
        "LaserShip",
        "OnTrac",
        "Other",
        "Parcelforce",
        "PostNL",
        "Poste Italiane",
        "Royal Mail",
        "Sagawa Express",
        "SagawaExpress",
        "SDA",
        "SEUR",
        "UPS",
        "UPSMI",
        "USPS",
        "Yamato Transport",
        "YamatoTransport",
        "Yodel",
    }
)


@dataclass(frozen=True)
class Marketplace:
    """An Amazon marketplace: id, country, region (na, eu, fe), currency and name."""

    id: str
    country: str
    region: str
    currency: str
    name: str


# https://developer-docs.amazon.com/sp-api/docs/marketplace-ids (FACTS §1.1).
MARKETPLACES: dict[str, Marketplace] = {
    m.id: m
    for m in (
        Marketplace("ATVPDKIKX0DER", "US", "na", "USD", "Amazon.com"),
        Marketplace("A2EUQ1WTGCTBG2", "CA", "na", "CAD", "Amazon.ca"),
        Marketplace("A1AM78C64UM0Y8", "MX", "na", "MXN", "Amazon.com.mx"),
        Marketplace("A2Q3Y263D00KWC", "BR", "na", "BRL", "Amazon.com.br"),
        Marketplace("A28R8C7NBKEWEA", "IE", "eu", "EUR", "Amazon.ie"),
        Marketplace("A1RKKUPIHCS9HS", "ES", "eu", "EUR", "Amazon.es"),
        Marketplace("A1F83G8C2ARO7P", "GB", "eu", "GBP", "Amazon.co.uk"),
        Marketplace("A13V1IB3VIYZZH", "FR", "eu", "EUR", "Amazon.fr"),
        Marketplace("AMEN7PMS3EDWL", "BE", "eu", "EUR", "Amazon.com.be"),
        Marketplace("A1805IZSGTT6HS", "NL", "eu", "EUR", "Amazon.nl"),
        Marketplace("A1PA6795UKMFR9", "DE", "eu", "EUR", "Amazon.de"),
        Marketplace("APJ6JRA9NG5V4", "IT", "eu", "EUR", "Amazon.it"),
        Marketplace("A2NODRKZP88ZB9", "SE", "eu", "SEK", "Amazon.se"),
        Marketplace("AE08WJ6YKNBMC", "ZA", "eu", "ZAR", "Amazon.co.za"),
        Marketplace("A1C3SOZRARQ6R3", "PL", "eu", "PLN", "Amazon.pl"),
        Marketplace("ARBP9OOSHTCHU", "EG", "eu", "EGP", "Amazon.eg"),
        Marketplace("A33AVAJ2PDY3EV", "TR", "eu", "TRY", "Amazon.com.tr"),
        Marketplace("A17E79C6D8DWNP", "SA", "eu", "SAR", "Amazon.sa"),
        Marketplace("A2VIGQ35RCS4UG", "AE", "eu", "AED", "Amazon.ae"),
        Marketplace("A21TJRUUN4KGV", "IN", "eu", "INR", "Amazon.in"),
        Marketplace("A19VAU5U5O7RUS", "SG", "fe", "SGD", "Amazon.sg"),
        Marketplace("A39IBJ37TRP1C6", "AU", "fe", "AUD", "Amazon.com.au"),
        Marketplace("A1VC38T7YXB528", "JP", "fe", "JPY", "Amazon.co.jp"),
    )
}


_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|z|[+-]\d{2}:?\d{2})?$"
)


_TWO_MINUTES = timedelta(minutes=2)


_TOKEN_LIFETIME = timedelta(hours=24)


MalformedKind = Literal[
    "missing_fulfillment_status", "missing_last_updated", "bad_amount", "quantity_not_integer"
]


# -- records --------------------------------------------------------------------------------------


@dataclass(slots=True)
class AmazonItem:
    """One order item: the product, the quantity ordered and how many have shipped."""

    order_item_id: str
    sku: str | None
    asin: str
    title: str
    quantity: int
    unit_price: Decimal
    shipped: int = 0


@dataclass(slots=True)
class AmazonPackage:
    """A package confirmed with ``confirmShipment`` (or in Seller Central)."""

    package_reference_id: str
    carrier_code: str
    carrier_name: str | None
    shipping_method: str | None
    tracking_number: str
    ship_date: str
    items: tuple[tuple[str, int], ...]
    created: datetime
    updated: datetime
    edits: int = 0


@dataclass(slots=True)
class AmazonOrderRecord(SimRecord):
    """A stored order, enough to render every dataset on demand. ``status`` is a
    :data:`FULFILLMENT_STATUSES` value; ``fulfilled_by`` is ``MERCHANT`` or ``AMAZON``."""

    order_id: str = ""
    marketplace_id: str = "ATVPDKIKX0DER"
    fulfilled_by: str = "MERCHANT"
    items: list[AmazonItem] = field(default_factory=list)
    currency: str = "USD"
    shipping: Decimal = Decimal(0)
    service_level: str = "STANDARD"
    prime: bool = False
    seed: int = 0
    cancelled_by: str | None = None
    packages: dict[str, AmazonPackage] = field(default_factory=dict)
    overrides: dict[str, Any] | None = None
    malformed: str | None = None


def _parse_date_time(text: str) -> datetime | None:
    """An ISO 8601 date-time (``Z``, an offset, or none for UTC), else None."""
    found = _DATE_TIME.match(text.strip())
    if found is None:
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _package_fields(package: AmazonPackage) -> tuple[Any, ...]:
    return (
        package.carrier_code,
        package.carrier_name,
        package.shipping_method,
        package.tracking_number,
        package.ship_date,
        package.items,
    )


def _package_key(package: AmazonPackage) -> int:
    return int(package.package_reference_id)


def _by_created(record: AmazonOrderRecord) -> tuple[object, ...]:
    return (record.created, record.order_id)
