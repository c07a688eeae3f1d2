"""The simulated eBay's data model: paths, scopes, carriers, statuses, eBay's day and time
format, the markets, and the stored order, line, fulfillment and cancellation records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orderhub.sims.common import cents as _money
from orderhub.testing.sim import SimRecord

API_PATH = "/sell/fulfillment/v1"


TOKEN_PATH = "/identity/v1/oauth2/token"  # noqa: S105 - a path, not a password


SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"


SCOPE_READONLY = SCOPE + ".readonly"


ACCESS_TOKEN_TTL = 7200  # eBay user access tokens live two hours


#: Carrier codes the simulator accepts (a sample of eBay's ShippingCarrierCodeType values,
#: compared without case). Pass ``carriers=`` to accept others.
CARRIERS = (
    "USPS",
    "UPS",
    "FedEx",
    "DHL",
    "DHLGlobalMail",
    "RoyalMail",
    "Parcelforce",
    "Hermes",
    "Evri",
    "Yodel",
    "DPD",
    "GLS",
    "DeutschePost",
    "AustraliaPost",
    "CanadaPost",
    "Purolator",
    "TNT",
    "PostNL",
    "Colissimo",
    "Chronopost",
    "JapanPost",
    "Yamato",
    "Other",
)


FULFILLMENT_STATUSES = ("NOT_STARTED", "IN_PROGRESS", "FULFILLED")


PAYMENT_STATUSES = ("PENDING", "FAILED", "PAID", "PARTIALLY_REFUNDED", "FULLY_REFUNDED")


CANCEL_STATES = ("NONE_REQUESTED", "IN_PROGRESS", "CANCELED")


_EBAY_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


_CENT = Decimal("0.01")


MalformedKind = Literal["no_line_items", "bad_total", "missing_last_modified", "unknown_payment"]


# -- time ---------------------------------------------------------------------------------------


def _pacific() -> ZoneInfo | None:
    try:
        return ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        return None


_PACIFIC = _pacific()


def _second_sunday_of_march(year: int) -> date:
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def _first_sunday_of_november(year: int) -> date:
    first = date(year, 11, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7)


def ebay_day(instant: datetime) -> date:
    """The eBay day of ``instant``: its date in US Pacific time (the day eBay's call limits
    reset with). Uses the time zone database, or the US daylight-time rule without one."""
    if _PACIFIC is not None:
        return instant.astimezone(_PACIFIC).date()
    moment = instant.astimezone(UTC)
    starts = datetime.combine(_second_sunday_of_march(moment.year), time(10), tzinfo=UTC)
    ends = datetime.combine(_first_sunday_of_november(moment.year), time(9), tzinfo=UTC)
    offset = timedelta(hours=-7) if starts <= moment < ends else timedelta(hours=-8)
    return (moment + offset).date()


def _ts(value: datetime) -> str:
    """eBay's timestamp format (the simulator keeps whole seconds)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{value.microsecond // 1000:03d}Z"
    )


def _parse_ts(text: str) -> datetime | None:
    if not _EBAY_TIME.match(text):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None


# -- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """A listing the generator sells: legacy item id, variation id (multi-variation
    listings only), SKU (optional on eBay), title, price and shipping in US dollars."""

    item_id: str
    variation_id: str | None
    sku: str | None
    title: str
    usd_price: Decimal
    usd_shipping: Decimal
    aspects: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Market:
    marketplace: str
    currency: str
    rate: Decimal
    carrier: str
    service: str
    # (street, city, state/province, postal code, country, phone prefix)
    places: tuple[tuple[str, str, str, str, str, str], ...]


MARKETS: tuple[_Market, ...] = (
    _Market("EBAY_US", "USD", Decimal("1"), "USPS", "USPSPriority", (
        ("Maple Avenue", "Springfield", "IL", "62704", "US", "+1 217"),
        ("Ocean Drive", "Miami Beach", "FL", "33139", "US", "+1 305"),
        ("Pine Street", "Seattle", "WA", "98101", "US", "+1 206"),
        ("Elm Street", "Austin", "TX", "78701", "US", "+1 512"),
    )),
    _Market("EBAY_GB", "GBP", Decimal("0.79"), "RoyalMail", "UK_RoyalMailSecondClassStandard", (
        ("High Street", "Bristol", "Avon", "BS1 4DJ", "GB", "+44 117"),
        ("Station Road", "Leeds", "West Yorkshire", "LS1 4DY", "GB", "+44 113"),
    )),
    _Market("EBAY_DE", "EUR", Decimal("0.92"), "DHL", "DE_DHLPaket", (
        ("Hauptstraße", "Köln", "NW", "50667", "DE", "+49 221"),
        ("Bahnhofstraße", "Leipzig", "SN", "04109", "DE", "+49 341"),
    )),
    _Market("EBAY_AU", "AUD", Decimal("1.52"), "AustraliaPost", "AU_Regular", (
        ("George Street", "Sydney", "NSW", "2000", "AU", "+61 2"),
    )),
    _Market("EBAY_CA", "CAD", Decimal("1.36"), "CanadaPost", "CA_PostRegularParcel", (
        ("Rue Sainte-Catherine", "Montréal", "QC", "H3B 1A7", "CA", "+1 514"),
    )),
)  # fmt: skip


_MARKETS = {m.marketplace: m for m in MARKETS}


_MARKET_WEIGHTS = tuple(accumulate((60, 18, 12, 5, 5)))


@dataclass(slots=True)
class EbayLine:
    """One line item of a simulated order."""

    line_item_id: str
    listing: Listing
    quantity: int
    unit_price: Decimal
    shipping: Decimal
    shipped: int = 0

    @property
    def status(self) -> str:
        if self.shipped >= self.quantity:
            return "FULFILLED"
        return "IN_PROGRESS" if self.shipped else "NOT_STARTED"


@dataclass(slots=True)
class EbayFulfillment:
    """A shipping fulfillment (one package)."""

    fulfillment_id: str
    lines: tuple[tuple[str, int], ...]
    shipped: datetime
    tracking_number: str | None
    carrier: str | None


@dataclass(slots=True)
class EbayCancelRequest:
    """A request to cancel an order (by the buyer or the seller)."""

    request_id: str
    initiator: str
    reason: str
    state: str  # REQUESTED | COMPLETED | REJECTED
    requested: datetime
    completed: datetime | None = None


@dataclass(slots=True)
class EbayOrderRecord(SimRecord):
    """A stored order. ``status`` (from :class:`SimRecord`) is the order's fulfillment
    status; buyer and address are derived from ``seed`` when the order is rendered."""

    order_id: str = ""
    seed: int = 0
    marketplace: str = "EBAY_US"
    lines: list[EbayLine] = field(default_factory=list)
    payment_status: str = "PAID"
    paid: datetime | None = None
    cancel_state: str = "NONE_REQUESTED"
    cancel_requests: list[EbayCancelRequest] = field(default_factory=list)
    cancelled: datetime | None = None
    refunds: list[tuple[str, Decimal, datetime]] = field(default_factory=list)
    fulfillments: list[EbayFulfillment] = field(default_factory=list)
    malformed: str | None = None

    @property
    def currency(self) -> str:
        return _MARKETS[self.marketplace].currency


def _amount(value: Decimal, currency: str) -> dict[str, str]:
    return {"value": _money(value), "currency": currency}


def _fulfillment_status(record: EbayOrderRecord) -> str:
    statuses = {line.status for line in record.lines}
    if statuses == {"FULFILLED"}:
        return "FULFILLED"
    if statuses == {"NOT_STARTED"}:
        return "NOT_STARTED"
    return "IN_PROGRESS"


def _by_created(record: EbayOrderRecord) -> tuple[object, ...]:
    return (record.created, record.id)
