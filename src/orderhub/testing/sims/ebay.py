"""A simulated eBay: the Sell Fulfillment API v1 ``order`` resource and eBay's OAuth token
endpoint, built from eBay's published OpenAPI description of the Fulfillment API (v1.20.7)
and eBay's documentation where the description is silent.

Routes:

- ``POST /identity/v1/oauth2/token``: the refresh-token grant. Client credentials only as
  HTTP Basic (eBay accepts nothing else), a ``scope`` within what the seller consented to,
  2-hour access tokens of type ``User Access Token``, no refresh token in the answer.
  :meth:`SimulatedEbay.revoke_refresh_token` makes the next refresh fail with
  ``invalid_grant``.
- ``GET /sell/fulfillment/v1/order`` (getOrders): ``filter`` with ``creationdate``,
  ``lastmodifieddate`` (``[start..]`` or ``[start..end]``, inclusive, timestamps exactly
  ``YYYY-MM-DDThh:mm:ss.sssZ``) and ``orderfulfillmentstatus`` (``{NOT_STARTED|IN_PROGRESS}``
  or ``{FULFILLED|IN_PROGRESS}``); when both date criteria are given only ``creationdate``
  is used. ``limit`` 1..200 (default 50), ``offset`` from 0, ``orderIds`` (at most 50;
  everything else is then ignored), ``fieldGroups=TAX_BREAKDOWN``. Without a filter: orders
  created in the last 90 days. Orders come sorted by creation date, oldest first; the
  answer carries ``href``, ``limit``, ``offset``, ``total`` and ``next``/``prev`` only when
  those pages exist. ``cancelStatus.cancelRequests`` is always empty here, as on eBay.
  Refusals use eBay's errorIds: 30700 unknown filter name, 30800 bad filter value, 30810
  bad date format, 30820 start date missing, 30830 range over two years, 30840 start after
  end, 30850 a date in the future, 30900 more than 50 order ids, 31000 bad offset, 31100
  bad limit (above 200 too), 32800 bad field group.
- ``GET /sell/fulfillment/v1/order/{orderId}`` (getOrder): the order with its cancel
  requests; 32100 for an unknown id.
- ``GET .../order/{orderId}/shipping_fulfillment`` (getShippingFulfillments):
  ``{fulfillments, total}``; ``GET .../shipping_fulfillment/{fulfillmentId}``.
- ``POST .../order/{orderId}/shipping_fulfillment`` (createShippingFulfillment): checks the
  line items (32200 not in the order, 32210 listed twice, 32600 a quantity that is not a
  whole number from 1 to the line's unshipped quantity), the tracking number and carrier
  (32300 when only one is given, the number is not alphanumeric or the carrier is not a
  known eBay carrier code) and ``shippedDate`` (32500). Answers 201 with an empty object
  and ``Location: .../order/{orderId}/shipping_fulfillment/{fulfillmentId}``, where the
  fulfillment id is the tracking number. Like eBay it has no idempotency key: sending the
  same request twice creates two fulfillments (while the quantities allow it). The order
  moves to ``IN_PROGRESS`` or ``FULFILLED`` and its ``lastModifiedDate`` moves.

Every API route needs ``Authorization: Bearer <access token>`` (else 401 with errorId
1001); creating a fulfillment needs the ``sell.fulfillment`` scope, not only the read-only
one (else 403 with errorId 1100). Calls are counted per resource and per eBay day (which
ends at midnight US Pacific time); past ``daily_limit`` the API answers 429 with errorId 2001
and no ``Retry-After`` (eBay documents none; set ``quota_retry_after`` to send one).

eBay asks for ``[ ] { | }`` in ``filter`` to be percent-encoded. The in-process transport
(:meth:`SimulatedEbay.transport`) keeps the query string exactly as sent, so the
simulator can refuse unencoded brackets (30800) and tests can read the raw query
(:meth:`SimulatedEbay.raw_query`). Over a real socket the server decodes the query first,
so this check is skipped there. Whether eBay itself refuses unencoded brackets is not
documented; the simulator is strict so that a connector cannot come to rely on leniency.

Error bodies are eBay's ``{"errors": [{"errorId", "domain", "category", "message",
"longMessage"?, "parameters"?}]}``. The bodies of 404s and of a wrong ``Content-Type`` are not
documented; the simulator answers them with errorIds 2002 and 32600.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from orderhub.sdk.clock import Clock
from orderhub.testing.sim import (
    IssuedToken,
    LiveFeed,
    OAuth2TokenEndpoint,
    OrderStore,
    RecordedRequest,
    Route,
    SimRecord,
    SimRequest,
    SimResponse,
    SimTransport,
    SimulatedApi,
    TokenStatus,
    creation_times,
    offset_slice,
    route,
    whole_seconds,
)
from orderhub.testing.sim.transport import to_httpx_response, to_sim_request

__all__ = [
    "API_PATH",
    "CARRIERS",
    "SCOPE",
    "SCOPE_READONLY",
    "TOKEN_PATH",
    "EbayOrderRecord",
    "SimulatedEbay",
    "ebay_error",
]

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
_STATUS_FILTERS = {
    "{NOT_STARTED|IN_PROGRESS}": frozenset({"NOT_STARTED", "IN_PROGRESS"}),
    "{FULFILLED|IN_PROGRESS}": frozenset({"FULFILLED", "IN_PROGRESS"}),
}
_EBAY_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_ALPHANUMERIC = re.compile(r"^[A-Za-z0-9]+$")
_UNENCODED = re.compile(r"[\[\]{}|]")
_CENT = Decimal("0.01")
_MAX_ORDER_IDS = 50
_DEFAULT_LIMIT = 50
_MAX_LIMIT = 200
_DEFAULT_WINDOW = timedelta(days=90)
_MAX_RANGE_YEARS = 2

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


# -- errors -------------------------------------------------------------------------------------


def ebay_error(
    error_id: int,
    message: str,
    *,
    long_message: str | None = None,
    domain: str = "API_FULFILLMENT",
    category: str = "REQUEST",
    parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One entry of eBay's ``errors`` array."""
    error: dict[str, Any] = {
        "errorId": error_id,
        "domain": domain,
        "category": category,
        "message": message[:50],
    }
    if long_message:
        error["longMessage"] = long_message[:200]
    if parameters:
        error["parameters"] = [{"name": k, "value": v} for k, v in parameters.items()]
    return error


def _errors(
    status: int, *errors: dict[str, Any], headers: dict[str, str] | None = None
) -> SimResponse:
    return SimResponse.json(status, {"errors": list(errors)}, headers=headers)


INVALID_TOKEN = ebay_error(
    1001,
    "Invalid access token",
    long_message="Invalid access token. Check the value of the Authorization HTTP request header.",
    domain="OAuth",
)
ACCESS_DENIED = ebay_error(
    1100,
    "Access denied",
    long_message="Insufficient permissions to fulfill the request.",
    domain="ACCESS",
)
TOO_MANY_REQUESTS = ebay_error(
    2001,
    "Too many requests.",
    long_message="The request limit has been reached for the resource.",
    domain="ACCESS",
)
SYSTEM_ERROR = ebay_error(
    30500,
    "System error",
    long_message="There was a problem with an eBay internal system or process. Contact eBay "
    "developer support for assistance.",
    category="APPLICATION",
)


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


CATALOG: tuple[Listing, ...] = (
    Listing("364512345678", None, "CAM-35MM-VINTAGE", "Vintage 35mm Film Camera, tested",
            Decimal("89.00"), Decimal("9.50")),
    Listing("364598765432", "640012345671", "LED-5M-WW", "LED Strip 5m - Warm White",
            Decimal("14.99"), Decimal("0"), (("Colour", "Warm White"),)),
    Listing("364598765432", "640012345672", "LED-5M-CW", "LED Strip 5m - Cool White",
            Decimal("14.99"), Decimal("0"), (("Colour", "Cool White"),)),
    Listing("295512340001", None, None, "Lot of 10 Vintage Postcards",
            Decimal("12.50"), Decimal("2.50")),
    Listing("295587650002", "530011110001", "TEE-ORGANIC-M", "Organic Cotton T-Shirt",
            Decimal("24.00"), Decimal("4.00"), (("Size", "M"), ("Colour", "Navy"))),
    Listing("295587650002", "530011110002", "TEE-ORGANIC-L", "Organic Cotton T-Shirt",
            Decimal("24.00"), Decimal("4.00"), (("Size", "L"), ("Colour", "Navy"))),
    Listing("186612340003", None, "USBC-CABLE-2M", "USB-C Cable 2m, braided",
            Decimal("9.99"), Decimal("0")),
    Listing("186698760004", None, "CASE-IP15-CLEAR", "Clear Phone Case for iPhone 15",
            Decimal("11.49"), Decimal("0")),
    Listing("404412340005", None, "BOOK-SF-1977", "Paperback science fiction novel, 1977",
            Decimal("7.00"), Decimal("3.50")),
    Listing("404456780006", "700022220001", "RUN-W-38", "Running Shoes Women",
            Decimal("59.95"), Decimal("0"), (("EU Shoe Size", "38"),)),
    Listing("404456780006", "700022220002", "RUN-W-39", "Running Shoes Women",
            Decimal("59.95"), Decimal("0"), (("EU Shoe Size", "39"),)),
    Listing("125512340007", None, "MUG-ENAMEL-BLUE", "Enamel Camping Mug, blue",
            Decimal("16.00"), Decimal("3.90")),
)  # fmt: skip
_CATALOG_WEIGHTS = tuple(accumulate((5, 9, 7, 3, 8, 6, 10, 8, 4, 3, 3, 5)))


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

_FIRST = (
    "Avery", "Blake", "Casey", "Dana", "Emery", "Finley", "Gray", "Harper", "Jamie", "Kendall",
    "Logan", "Morgan", "Noel", "Parker", "Quinn", "Riley", "Sage", "Taylor", "Rowan", "Skyler",
)  # fmt: skip
_LAST = (
    "Abbott", "Brennan", "Castillo", "Dorsey", "Ellison", "Fischer", "Goodwin", "Hollis",
    "Iverson", "Jensen", "Kowalski", "Lindqvist", "Moreno", "Nakamura", "Okafor", "Pereira",
)  # fmt: skip
_HANDLES = (
    "retro", "bargain", "vinyl", "maple", "pixel", "harbor", "cobalt", "tinker", "amber", "nomad",
)  # fmt: skip
_HANDLE_NOUNS = ("finds", "hunter", "fox", "collector", "deals", "owl", "shop", "nest")

# (status mix of generated orders): (payment, fulfillment, cancel), weight
_GENERATED = (
    (("PAID", "NOT_STARTED", "NONE_REQUESTED"), 42),
    (("PAID", "FULFILLED", "NONE_REQUESTED"), 30),
    (("PAID", "IN_PROGRESS", "NONE_REQUESTED"), 4),
    (("PENDING", "NOT_STARTED", "NONE_REQUESTED"), 4),
    (("FAILED", "NOT_STARTED", "NONE_REQUESTED"), 1),
    (("PARTIALLY_REFUNDED", "FULFILLED", "NONE_REQUESTED"), 3),
    (("FULLY_REFUNDED", "FULFILLED", "NONE_REQUESTED"), 2),
    (("PAID", "NOT_STARTED", "IN_PROGRESS"), 6),
    (("FULLY_REFUNDED", "NOT_STARTED", "CANCELED"), 8),
)
_GENERATED_CUM = tuple(accumulate(w for _, w in _GENERATED))


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


@dataclass(frozen=True)
class _Criteria:
    """A parsed ``filter`` (the cache key of the store)."""

    created: tuple[datetime, datetime | None] | None
    modified: tuple[datetime, datetime | None] | None
    statuses: frozenset[str] | None


class _FilterError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["message"])
        self.error = error


def _money(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _amount(value: Decimal, currency: str) -> dict[str, str]:
    return {"value": _money(value), "currency": currency}


def _split_criteria(value: str) -> list[str]:
    """Split ``filter`` at the commas that are not inside brackets or braces."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in value:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _raw_param(raw_query: str, name: str) -> str | None:
    for pair in raw_query.split("&"):
        key, sep, value = pair.partition("=")
        if sep and key == name:
            return value
    return None


class _RawQueryTransport(SimTransport):
    """The in-process transport, handing the query string exactly as sent to the
    simulator (``request.context["raw_query"]``)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        sim_request = to_sim_request(request, body)
        sim_request.context["raw_query"] = request.url.query.decode("ascii", "replace")
        return to_httpx_response(self.api.handle(sim_request), request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        sim_request = to_sim_request(request, body)
        sim_request.context["raw_query"] = request.url.query.decode("ascii", "replace")
        return to_httpx_response(self.api.handle(sim_request), request)


class SimulatedEbay(SimulatedApi):
    """eBay's Sell Fulfillment API (``order`` resource) and OAuth token endpoint for one
    seller.

    ``client_id``/``client_secret`` are the application keyset, ``refresh_token`` the
    seller's consent (for ``sell.fulfillment`` and its read-only variant). ``daily_limit``
    is the ``order`` resource's daily call limit. ``seed`` makes generated orders
    reproducible.

    Test helpers: :meth:`add_order`, :meth:`generate`, :meth:`add_malformed_order`,
    :meth:`order`, :meth:`fulfillments`, :meth:`ship`, :meth:`request_cancel`,
    :meth:`approve_cancel`, :meth:`reject_cancel`, :meth:`cancel`, :meth:`mark_paid`,
    :meth:`refund`, :meth:`revoke_refresh_token`, :meth:`calls_today`, :meth:`use_calls`,
    :meth:`exhaust_quota`, :meth:`raw_query`, :meth:`start_live`. All are thread-safe.
    """

    #: eBay's throttling answers carry no Retry-After.
    throttle_sends_retry_after = False

    def __init__(
        self,
        clock: Clock,
        *,
        client_id: str = "ebay-client",
        client_secret: str = "ebay-secret",  # noqa: S107 - the simulator's test credential
        refresh_token: str = "v^1.1#sim",  # noqa: S107 - the simulator's test credential
        seed: int = 0,
        daily_limit: int = 100_000,
        seller_id: str = "sim_seller",
        carriers: Sequence[str] = CARRIERS,
        enforce_remaining_quantity: bool = True,
        strict_filter_encoding: bool = True,
    ) -> None:
        super().__init__(clock)
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.seed = seed
        self.seller_id = seller_id
        self.carriers = {c.lower(): c for c in carriers}
        self.enforce_remaining_quantity = enforce_remaining_quantity
        self.strict_filter_encoding = strict_filter_encoding
        #: Daily call limit per resource.
        self.daily_limits: dict[str, int] = {"order": daily_limit}
        #: Seconds to announce in ``Retry-After`` on a 429 (eBay sends none: ``None``).
        self.quota_retry_after: float | None = None
        self.oauth = OAuth2TokenEndpoint(
            clock,
            clients={client_id: client_secret},
            access_token_ttl=ACCESS_TOKEN_TTL,
            token_type="User Access Token",  # noqa: S106 - eBay's token type name
            return_refresh_token=False,
            access_token_prefix="v^1.1#i^1#p^3#r^1#sim-",  # noqa: S106 - a prefix
        )
        self._consented: dict[str, frozenset[str]] = {}
        self.add_refresh_token(refresh_token, scopes=(SCOPE, SCOPE_READONLY))
        self.store: OrderStore[EbayOrderRecord] = OrderStore(clock, first_id=1)
        self._by_order_id: dict[str, int] = {}
        self._ids: list[int] = []
        self._usage: dict[tuple[str, date], int] = {}
        self._raw: list[tuple[RecordedRequest, str | None]] = []
        self._rng = random.Random(seed)
        self._helper_lock = threading.RLock()
        self._prefix = 10 + seed % 80
        self._next_request_id = 5_000_000_000 + seed * 1000

    # -- transport and record --------------------------------------------------------------------

    def transport(self) -> SimTransport:
        """An in-process transport that also hands the raw query string to the simulator."""
        return _RawQueryTransport(self)

    def handle(self, request: SimRequest) -> SimResponse:
        with self.lock:
            response = super().handle(request)
            if self.requests:
                self._raw.append((self.requests[-1], request.context.get("raw_query")))
                if self.max_recorded is not None and len(self._raw) > self.max_recorded:
                    del self._raw[: len(self._raw) - self.max_recorded]
            return response

    def raw_query(self, record: RecordedRequest) -> str | None:
        """The query string of a recorded request exactly as the client sent it (in-process
        transport only; ``None`` over a real socket)."""
        with self.lock:
            for item, raw in self._raw:
                if item is record:
                    return raw
        return None

    def clear_requests(self) -> None:
        with self.lock:
            super().clear_requests()
            self._raw.clear()

    def relative_path(self, path: str) -> str:
        """Paths below the API root (``/order/...``) for faults and ``requests_to``."""
        if path == API_PATH or path.startswith(API_PATH + "/"):
            return path[len(API_PATH) :] or "/"
        return path

    # -- errors and hooks ------------------------------------------------------------------------

    def error_response(
        self, status: int, code: str, message: str, extra: dict[str, Any] | None = None
    ) -> SimResponse:
        error_id = int(code) if code.isdigit() else 2004
        return _errors(status, ebay_error(error_id, message))

    def no_route(self, request: SimRequest) -> SimResponse:
        return _errors(
            404,
            ebay_error(
                2002,
                "Resource not found",
                long_message="The resource you are looking for does not exist.",
                domain="ACCESS",
            ),
        )

    def status_error(self, status: int) -> SimResponse:
        if status == 429:
            return _errors(429, TOO_MANY_REQUESTS)
        if status == 401:
            return _errors(401, INVALID_TOKEN)
        if status >= 500:
            return _errors(status, SYSTEM_ERROR)
        return super().status_error(status)

    def throttle_response(
        self, request: SimRequest, operation: str, retry_after: float
    ) -> SimResponse:
        return _errors(429, TOO_MANY_REQUESTS)

    def authenticate(self, request: SimRequest, route: Route) -> SimResponse | None:
        status = self.oauth.check_request(request)
        if status is not TokenStatus.VALID:
            return _errors(401, INVALID_TOKEN)
        if route.method == "POST" and SCOPE not in self._scopes(request.bearer_token() or ""):
            return _errors(403, ACCESS_DENIED)
        return self._charge("order")

    def _scopes(self, access_token: str) -> frozenset[str]:
        token: IssuedToken | None = None
        for issued in reversed(self.oauth.issued):
            if issued.access_token == access_token:
                token = issued
                break
        if token is None:
            return frozenset()
        if token.scope:
            return frozenset(token.scope.split())
        return self._consented.get(token.refresh_token or "", frozenset())

    def _charge(self, resource: str) -> SimResponse | None:
        key = (resource, ebay_day(self.clock.now()))
        used = self._usage.get(key, 0)
        if used >= self.daily_limits.get(resource, 1 << 62):
            headers = {}
            if self.quota_retry_after is not None:
                headers["Retry-After"] = str(max(0, round(self.quota_retry_after)))
            return _errors(429, TOO_MANY_REQUESTS, headers=headers)
        self._usage[key] = used + 1
        return None

    # -- OAuth -----------------------------------------------------------------------------------

    def add_refresh_token(
        self, refresh_token: str, *, scopes: Sequence[str] = (SCOPE, SCOPE_READONLY)
    ) -> None:
        """Register a seller's consent for ``scopes``."""
        with self.lock:
            self.oauth.add_refresh_token(refresh_token, self.client_id)
            self._consented[refresh_token] = frozenset(scopes)

    def revoke_refresh_token(self, refresh_token: str | None = None) -> None:
        """The seller withdraws the consent (or it expires): the next refresh gets
        ``invalid_grant`` and the access tokens issued from it stop working."""
        with self.lock:
            self.oauth.revoke(refresh_token or self.refresh_token)

    @route("POST", TOKEN_PATH, operation="token", auth=False)
    def token(self, request: SimRequest) -> SimResponse:
        """``POST /identity/v1/oauth2/token`` (refresh-token grant)."""
        if request.basic_auth() is None:
            return SimResponse.json(
                401,
                {"error": "invalid_client", "error_description": "client authentication failed"},
            )
        form = {k: v[0] for k, v in request.form().items() if v}
        refresh_token = form.get("refresh_token", "")
        scope = form.get("scope")
        consented = self._consented.get(refresh_token)
        if (
            form.get("grant_type") == "refresh_token"
            and scope
            and consented is not None
            and not set(scope.split()) <= consented
        ):
            return SimResponse.json(
                400,
                {
                    "error": "invalid_scope",
                    "error_description": "The requested scope is invalid, unknown, malformed, "
                    "or exceeds the scope granted to the client",
                },
            )
        return self.oauth.handle_token_request(request)

    # -- quota -----------------------------------------------------------------------------------

    def calls_today(self, resource: str = "order") -> int:
        """Calls counted against ``resource`` in the current eBay day."""
        with self.lock:
            return self._usage.get((resource, ebay_day(self.clock.now())), 0)

    def use_calls(self, calls: int, resource: str = "order") -> None:
        """Count ``calls`` more calls today, as another application sharing the keyset
        would."""
        with self.lock:
            key = (resource, ebay_day(self.clock.now()))
            self._usage[key] = self._usage.get(key, 0) + calls

    def exhaust_quota(self, resource: str = "order") -> None:
        """Use up today's calls: every call answers 429 (errorId 2001) until midnight US
        Pacific time."""
        with self.lock:
            key = (resource, ebay_day(self.clock.now()))
            self._usage[key] = max(self._usage.get(key, 0), self.daily_limits[resource])

    # -- getOrders -------------------------------------------------------------------------------

    @route("GET", API_PATH + "/order", operation="getOrders")
    def get_orders(self, request: SimRequest) -> SimResponse:
        """``GET /order``."""
        field_groups = request.param("fieldGroups")
        if field_groups is not None and field_groups != "TAX_BREAKDOWN":
            return self._bad(
                32800,
                "Invalid field group",
                f"Invalid field group: {field_groups}",
                {"fieldGroup": field_groups},
            )
        order_ids = request.param("orderIds")
        if order_ids is not None:
            return self._orders_by_id(request, order_ids)
        limit_text = request.param("limit")
        limit = _DEFAULT_LIMIT
        if limit_text is not None:
            if not limit_text.isdigit() or not 1 <= int(limit_text) <= _MAX_LIMIT:
                return self._bad(
                    31100,
                    "Invalid limit",
                    f"Invalid limit: {limit_text}",
                    {"limitvalue": limit_text},
                )
            limit = int(limit_text)
        offset_text = request.param("offset")
        offset = 0
        if offset_text is not None:
            if not offset_text.isdigit():
                return self._bad(
                    31000,
                    "Invalid offset",
                    f"Invalid offset: {offset_text}",
                    {"offsetvalue": offset_text},
                )
            offset = int(offset_text)
        raw_query = request.context.get("raw_query")
        if self.strict_filter_encoding and isinstance(raw_query, str):
            raw_filter = _raw_param(raw_query, "filter")
            if raw_filter is not None and _UNENCODED.search(raw_filter):
                return self._bad(
                    30800,
                    "Invalid filter value",
                    "Invalid filter value: the characters [ ] { | } in filter must be URL "
                    "encoded (%5B %5D %7B %7C %7D).",
                    {"fieldvalue": raw_filter[:60]},
                )
        try:
            criteria = self._parse_filter(request.param("filter"))
        except _FilterError as exc:
            return _errors(400, exc.error)
        matches = self.store.query(criteria, lambda r: self._keep(r, criteria), _by_created)
        page = offset_slice(matches, offset, limit)
        base = f"{request.base_url}{API_PATH}/order"
        raw_filter_value = request.param("filter")

        def link(at: int) -> str:
            parts = []
            if raw_filter_value is not None:
                parts.append("filter=" + quote(raw_filter_value, safe=":,"))
            parts += [f"limit={limit}", f"offset={at}"]
            return f"{base}?{'&'.join(parts)}"

        body: dict[str, Any] = {
            "href": link(offset),
            "total": page.total,
            "limit": limit,
            "offset": offset,
            "orders": [self._render(r, request.base_url, listing=True) for r in page.items],
        }
        if page.next_offset is not None:
            body["next"] = link(page.next_offset)
        if page.prev_offset is not None and page.total > 0:
            body["prev"] = link(page.prev_offset)
        return SimResponse.json(200, body)

    def _orders_by_id(self, request: SimRequest, order_ids: str) -> SimResponse:
        wanted = [part.strip() for part in order_ids.split(",") if part.strip()]
        if len(wanted) > _MAX_ORDER_IDS:
            return self._bad(
                30900,
                "Exceeded maximum number of order IDs",
                "Exceeded maximum number of order IDs (the current limit is 50)",
            )
        found = [self.store.get(self._by_order_id[i]) for i in wanted if i in self._by_order_id]
        orders = [self._render(r, request.base_url, listing=True) for r in found if r is not None]
        return SimResponse.json(
            200,
            {
                "href": f"{request.base_url}{API_PATH}/order?orderIds={quote(order_ids, safe=',')}",
                "total": len(orders),
                "limit": _DEFAULT_LIMIT,
                "offset": 0,
                "orders": orders,
            },
        )

    def _bad(
        self,
        error_id: int,
        message: str,
        long_message: str,
        parameters: dict[str, str] | None = None,
    ) -> SimResponse:
        return _errors(
            400, ebay_error(error_id, message, long_message=long_message, parameters=parameters)
        )

    def _parse_filter(self, value: str | None) -> _Criteria:
        now = self.clock.now()
        if value is None or not value.strip():
            return _Criteria(created=(now - _DEFAULT_WINDOW, None), modified=None, statuses=None)
        created = modified = None
        statuses: frozenset[str] | None = None
        for criterion in _split_criteria(value):
            name, sep, rest = criterion.partition(":")
            name = name.strip()
            if not sep or name not in (
                "creationdate",
                "lastmodifieddate",
                "orderfulfillmentstatus",
            ):
                raise _FilterError(
                    ebay_error(
                        30700,
                        "Invalid filter name",
                        long_message=f"Invalid filter name: {name[:40]}",
                        parameters={"fieldname": name[:40]},
                    )
                )
            rest = rest.strip()
            if name == "orderfulfillmentstatus":
                if rest not in _STATUS_FILTERS:
                    raise _FilterError(self._bad_value(name, rest))
                statuses = _STATUS_FILTERS[rest]
                continue
            span = self._parse_range(name, rest, now)
            if name == "creationdate":
                created = span
            else:
                modified = span
        if created is not None:
            modified = None  # "If creationdate and lastmodifieddate are both included, only
            # creationdate is used."
        return _Criteria(created=created, modified=modified, statuses=statuses)

    @staticmethod
    def _bad_value(name: str, value: str) -> dict[str, Any]:
        return ebay_error(
            30800,
            "Invalid filter value",
            long_message=f"Invalid filter value {value[:60]} for filter {name}",
            parameters={"fieldvalue": value[:60], "fieldname": name},
        )

    def _parse_range(
        self, name: str, value: str, now: datetime
    ) -> tuple[datetime, datetime | None]:
        if not (value.startswith("[") and value.endswith("]")):
            raise _FilterError(self._bad_value(name, value))
        start_text, sep, end_text = value[1:-1].partition("..")
        if not sep:
            raise _FilterError(self._bad_value(name, value))
        start_text, end_text = start_text.strip(), end_text.strip()
        if not start_text:
            raise _FilterError(
                ebay_error(30820, "Start date is missing", long_message="Start date is missing")
            )
        start = _parse_ts(start_text)
        end = _parse_ts(end_text) if end_text else None
        if start is None or (end_text and end is None):
            raise _FilterError(
                ebay_error(30810, "Invalid date format", long_message="Invalid date format")
            )
        if end is not None and start > end:
            raise _FilterError(
                ebay_error(
                    30840,
                    "Start date should be before end date",
                    long_message="Start date should be before end date",
                )
            )
        if start > now or (end is not None and end > now):
            raise _FilterError(
                ebay_error(
                    30850,
                    "Start and end dates can't be in the future",
                    long_message="Start and end dates can't be in the future",
                )
            )
        last = end if end is not None else now
        if last - start > timedelta(days=365 * _MAX_RANGE_YEARS + 1):
            raise _FilterError(
                ebay_error(
                    30830,
                    "Time range is too long",
                    long_message="Time range between start date and end date must be within "
                    f"'{_MAX_RANGE_YEARS}' years.",
                    parameters={"allowedTime": str(_MAX_RANGE_YEARS)},
                )
            )
        return start, end

    @staticmethod
    def _keep(record: EbayOrderRecord, criteria: _Criteria) -> bool:
        for span, value in (
            (criteria.created, record.created),
            (criteria.modified, record.modified),
        ):
            if span is None:
                continue
            start, end = span
            if value < start or (end is not None and value > end):
                return False
        return criteria.statuses is None or record.status in criteria.statuses

    # -- getOrder --------------------------------------------------------------------------------

    def _find(self, order_id: str) -> EbayOrderRecord | None:
        internal = self._by_order_id.get(order_id)
        return self.store.get(internal) if internal is not None else None

    def _invalid_order(self, order_id: str) -> SimResponse:
        return self._bad(
            32100,
            "Invalid order ID",
            f"Invalid order ID: {order_id[:40]}",
            {"orderId": order_id[:40]},
        )

    @route("GET", API_PATH + "/order/{orderId}", operation="getOrder")
    def get_order(self, request: SimRequest) -> SimResponse:
        """``GET /order/{orderId}``: the order with its cancel requests."""
        field_groups = request.param("fieldGroups")
        if field_groups is not None and field_groups != "TAX_BREAKDOWN":
            return self._bad(32800, "Invalid field group", f"Invalid field group: {field_groups}")
        record = self._find(request.path_params["orderId"])
        if record is None:
            return self._invalid_order(request.path_params["orderId"])
        return SimResponse.json(200, self._render(record, request.base_url, listing=False))

    # -- shipping fulfillments -------------------------------------------------------------------

    @route(
        "GET",
        API_PATH + "/order/{orderId}/shipping_fulfillment",
        operation="getShippingFulfillments",
    )
    def get_fulfillments(self, request: SimRequest) -> SimResponse:
        """``GET /order/{orderId}/shipping_fulfillment``."""
        record = self._find(request.path_params["orderId"])
        if record is None:
            return self._invalid_order(request.path_params["orderId"])
        items = [self._render_fulfillment(f) for f in record.fulfillments]
        return SimResponse.json(200, {"fulfillments": items, "total": len(items)})

    @route(
        "GET",
        API_PATH + "/order/{orderId}/shipping_fulfillment/{fulfillmentId}",
        operation="getShippingFulfillment",
    )
    def get_fulfillment(self, request: SimRequest) -> SimResponse:
        """``GET /order/{orderId}/shipping_fulfillment/{fulfillmentId}``."""
        record = self._find(request.path_params["orderId"])
        if record is None:
            return self._invalid_order(request.path_params["orderId"])
        wanted = request.path_params["fulfillmentId"]
        for item in record.fulfillments:
            if item.fulfillment_id == wanted:
                return SimResponse.json(200, self._render_fulfillment(item))
        return self._bad(
            32110,
            "Invalid shipping fulfillment ID",
            f"Invalid shipping fulfillment ID: {wanted[:40]}",
        )

    @route(
        "POST",
        API_PATH + "/order/{orderId}/shipping_fulfillment",
        operation="createShippingFulfillment",
    )
    def create_fulfillment(self, request: SimRequest) -> SimResponse:
        """``POST /order/{orderId}/shipping_fulfillment``: 201, ``Location``, ``{}``."""
        order_id = request.path_params["orderId"]
        record = self._find(order_id)
        if record is None:
            return self._invalid_order(order_id)
        invalid_input = self._bad(32600, "Invalid input data", "Invalid input data")
        if "application/json" not in request.headers.get("content-type", "").lower():
            return self._bad(
                32600,
                "Invalid input data",
                "Invalid input data: the request body must be application/json",
            )
        try:
            payload = request.json()
        except ValueError:
            return invalid_input
        if not isinstance(payload, dict):
            return invalid_input
        items = payload.get("lineItems")
        if not isinstance(items, list) or not items:
            return invalid_input
        by_id = {line.line_item_id: line for line in record.lines}
        shipped: list[tuple[EbayLine, int]] = []
        seen: set[str] = set()
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("lineItemId"), str):
                return invalid_input
            line_id = item["lineItemId"]
            line = by_id.get(line_id)
            if line is None:
                return self._bad(
                    32200,
                    "Invalid line item id",
                    f"Invalid line item id: {line_id[:40]}",
                    {"lineItemId": line_id[:40]},
                )
            if line_id in seen:
                return self._bad(
                    32210,
                    "Duplicate line item in the request",
                    "Duplicate line item in the request",
                )
            seen.add(line_id)
            quantity = item.get("quantity", 1)
            limit = (
                line.quantity - line.shipped if self.enforce_remaining_quantity else line.quantity
            )
            if (
                isinstance(quantity, bool)
                or not isinstance(quantity, int)
                or not 1 <= quantity <= limit
            ):
                return self._bad(
                    32600,
                    "Invalid input data",
                    f"Invalid input data: quantity {str(quantity)[:10]} for line item {line_id} "
                    f"(unshipped: {line.quantity - line.shipped})",
                )
            shipped.append((line, quantity))
        tracking = payload.get("trackingNumber")
        carrier = payload.get("shippingCarrierCode")
        if (tracking is None) != (carrier is None) or not all(
            value is None or isinstance(value, str) for value in (tracking, carrier)
        ):
            return self._bad(
                32300,
                "Invalid shipment tracking number or carrier",
                "Invalid shipment tracking number or carrier",
            )
        if (
            tracking is not None
            and carrier is not None
            and (not _ALPHANUMERIC.match(tracking) or carrier.lower() not in self.carriers)
        ):
            return self._bad(
                32300,
                "Invalid shipment tracking number or carrier",
                "Invalid shipment tracking number or carrier",
            )
        shipped_date = self.store.now()
        if payload.get("shippedDate") is not None:
            parsed = (
                _parse_ts(payload["shippedDate"])
                if isinstance(payload["shippedDate"], str)
                else None
            )
            if parsed is None:
                return self._bad(32500, "Invalid shipped date", "Invalid shipped date")
            shipped_date = parsed
        with self.store.lock:
            fulfillment = self._add_fulfillment(
                record,
                [(line.line_item_id, qty) for line, qty in shipped],
                shipped_date,
                tracking=tracking,
                carrier=self.carriers[carrier.lower()] if carrier else None,
                when=None,
            )
        location = (
            f"{request.base_url}{API_PATH}/order/{quote(order_id, safe='')}"
            f"/shipping_fulfillment/{quote(fulfillment.fulfillment_id, safe='')}"
        )
        return SimResponse.json(201, {}, headers={"Location": location})

    def _add_fulfillment(
        self,
        record: EbayOrderRecord,
        lines: Sequence[tuple[str, int]],
        shipped: datetime,
        *,
        tracking: str | None,
        carrier: str | None,
        when: datetime | None,
    ) -> EbayFulfillment:
        by_id = {line.line_item_id: line for line in record.lines}
        for line_id, quantity in lines:
            by_id[line_id].shipped += quantity
        fulfillment_id = tracking or str(999 + len(record.fulfillments))
        fulfillment = EbayFulfillment(
            fulfillment_id=fulfillment_id,
            lines=tuple(lines),
            shipped=whole_seconds(shipped),
            tracking_number=tracking,
            carrier=carrier,
        )
        record.fulfillments.append(fulfillment)
        record.status = _fulfillment_status(record)
        self.store.touch(record.id, when)
        return fulfillment

    @staticmethod
    def _render_fulfillment(item: EbayFulfillment) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "fulfillmentId": item.fulfillment_id,
            "lineItems": [{"lineItemId": i, "quantity": q} for i, q in item.lines],
            "shippedDate": _ts(item.shipped),
        }
        if item.tracking_number is not None:
            rendered["shipmentTrackingNumber"] = item.tracking_number
        if item.carrier is not None:
            rendered["shippingCarrierCode"] = item.carrier
        return rendered

    # -- rendering -------------------------------------------------------------------------------

    def _render(self, record: EbayOrderRecord, base_url: str, *, listing: bool) -> dict[str, Any]:
        """The order as eBay renders it. ``listing`` (getOrders) leaves the cancel requests
        out, as eBay does."""
        rng = random.Random(record.seed)
        market = _MARKETS[record.marketplace]
        currency = market.currency
        street, city, state, postcode, country, phone = rng.choice(market.places)
        full_name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        username = (
            f"{rng.choice(_HANDLES)}{rng.choice(('_', '.', '-', ''))}"
            f"{rng.choice(_HANDLE_NOUNS)}{rng.randint(1, 999)}"
        )
        ship_to: dict[str, Any] = {
            "fullName": full_name,
            "contactAddress": {
                "addressLine1": f"{rng.randint(1, 999)} {street}",
                "city": city,
                "stateOrProvince": state,
                "postalCode": postcode,
                "countryCode": country,
            },
            "primaryPhone": {"phoneNumber": f"{phone} {rng.randint(1000000, 9999999)}"},
            "email": f"{rng.getrandbits(40):010x}@members.ebay.com",
        }
        if rng.random() < 0.2:
            ship_to["contactAddress"]["addressLine2"] = f"Apt {rng.randint(1, 40)}"
        created = record.created
        delivery_min = created + timedelta(days=3)
        delivery_max = created + timedelta(days=7)
        ship_by = created + timedelta(days=2)

        line_items: list[dict[str, Any]] = []
        subtotal = shipping_total = Decimal(0)
        for line in record.lines:
            cost = line.unit_price * line.quantity
            subtotal += cost
            shipping_total += line.shipping
            item: dict[str, Any] = {
                "lineItemId": line.line_item_id,
                "legacyItemId": line.listing.item_id,
                "title": line.listing.title,
                "lineItemCost": _amount(cost, currency),
                "quantity": line.quantity,
                "soldFormat": "FIXED_PRICE",
                "listingMarketplaceId": record.marketplace,
                "purchaseMarketplaceId": record.marketplace,
                "lineItemFulfillmentStatus": line.status,
                "total": _amount(cost + line.shipping, currency),
                "deliveryCost": {"shippingCost": _amount(line.shipping, currency)},
                "appliedPromotions": [],
                "taxes": [],
                "properties": {"buyerProtection": True},
                "lineItemFulfillmentInstructions": {
                    "minEstimatedDeliveryDate": _ts(delivery_min),
                    "maxEstimatedDeliveryDate": _ts(delivery_max),
                    "shipByDate": _ts(ship_by),
                    "guaranteedDelivery": False,
                },
                "itemLocation": {
                    "location": "Warehouse 3",
                    "countryCode": "US",
                    "postalCode": "60601",
                },
                "refunds": [],
            }
            if line.listing.sku:
                item["sku"] = line.listing.sku
            if line.listing.variation_id:
                item["legacyVariationId"] = line.listing.variation_id
                item["variationAspects"] = [
                    {"name": name, "value": value} for name, value in line.listing.aspects
                ]
            line_items.append(item)
        total = subtotal + shipping_total
        fee = (total * Decimal("0.1325")).quantize(_CENT, rounding=ROUND_HALF_UP)
        payment: dict[str, Any] = {
            "paymentMethod": "EBAY",
            "amount": _amount(total, currency),
            "paymentStatus": {"PENDING": "PENDING", "FAILED": "FAILED"}.get(
                record.payment_status, "PAID"
            ),
        }
        if record.paid is not None:
            payment["paymentDate"] = _ts(record.paid)
        refunds = [
            {
                "refundId": refund_id,
                "refundReferenceId": f"R{refund_id}",
                "refundDate": _ts(when),
                "refundStatus": "REFUNDED",
                "amount": _amount(value, currency),
            }
            for refund_id, value, when in record.refunds
        ]
        cancel: dict[str, Any] = {"cancelState": record.cancel_state, "cancelRequests": []}
        if record.cancelled is not None:
            cancel["cancelledDate"] = _ts(record.cancelled)
        if not listing:
            cancel["cancelRequests"] = [self._render_cancel(r) for r in record.cancel_requests]
        api = f"{base_url}{API_PATH}/order/{record.order_id}"
        order: dict[str, Any] = {
            "orderId": record.order_id,
            "creationDate": _ts(record.created),
            "lastModifiedDate": _ts(record.modified),
            "orderFulfillmentStatus": record.status,
            "orderPaymentStatus": record.payment_status,
            "sellerId": self.seller_id,
            "buyer": {
                "username": username,
                "taxAddress": {
                    "city": city,
                    "stateOrProvince": state,
                    "postalCode": postcode,
                    "countryCode": country,
                },
            },
            "pricingSummary": {
                "priceSubtotal": _amount(subtotal, currency),
                "deliveryCost": _amount(shipping_total, currency),
                "total": _amount(total, currency),
            },
            "cancelStatus": cancel,
            "paymentSummary": {
                "totalDueSeller": _amount(total, currency),
                "refunds": refunds,
                "payments": [payment],
            },
            "fulfillmentStartInstructions": [
                {
                    "fulfillmentInstructionsType": "SHIP_TO",
                    "minEstimatedDeliveryDate": _ts(delivery_min),
                    "maxEstimatedDeliveryDate": _ts(delivery_max),
                    "ebaySupportedFulfillment": False,
                    "shippingStep": {
                        "shipTo": ship_to,
                        "shippingCarrierCode": market.carrier,
                        "shippingServiceCode": market.service,
                    },
                }
            ],
            "fulfillmentHrefs": [
                f"{api}/shipping_fulfillment/{quote(f.fulfillment_id, safe='')}"
                for f in record.fulfillments
            ],
            "lineItems": line_items,
            "salesRecordReference": str(1000 + record.id),
            "totalFeeBasisAmount": _amount(total, currency),
            "totalMarketplaceFee": _amount(fee, currency),
        }
        if record.malformed == "no_line_items":
            order["lineItems"] = []
        elif record.malformed == "bad_total":
            order["pricingSummary"]["total"]["value"] = "twelve dollars"
        elif record.malformed == "missing_last_modified":
            del order["lastModifiedDate"]
        elif record.malformed == "unknown_payment":
            order["orderPaymentStatus"] = "AWAITING_SETTLEMENT"
        return order

    @staticmethod
    def _render_cancel(request: EbayCancelRequest) -> dict[str, Any]:
        rendered = {
            "cancelRequestId": request.request_id,
            "cancelInitiator": request.initiator,
            "cancelReason": request.reason,
            "cancelRequestState": request.state,
            "cancelRequestedDate": _ts(request.requested),
        }
        if request.completed is not None:
            rendered["cancelCompletedDate"] = _ts(request.completed)
        return rendered

    # -- helpers for tests and demos -------------------------------------------------------------

    def order(self, order_id: str) -> dict[str, Any]:
        """The order as ``getOrder`` answers it. ``KeyError`` for an unknown id."""
        with self.lock:
            record = self._require(order_id)
            return self._render(record, "https://api.ebay.com", listing=False)

    def order_ids(self) -> list[str]:
        """Every order id, oldest order first."""
        with self.lock:
            return [self.store.require(i).order_id for i in self._ids]

    def fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        """The order's fulfillments as ``getShippingFulfillments`` lists them."""
        with self.lock:
            return [self._render_fulfillment(f) for f in self._require(order_id).fulfillments]

    def _require(self, order_id: str) -> EbayOrderRecord:
        record = self._find(order_id)
        if record is None:
            raise KeyError(f"no simulated eBay order {order_id}")
        return record

    def add_order(
        self,
        *,
        created: datetime | None = None,
        modified: datetime | None = None,
        lines: Sequence[tuple[str | None, int]] | None = None,
        marketplace: str = "EBAY_US",
        payment_status: str = "PAID",
        fulfillment_status: str = "NOT_STARTED",
        cancel_state: str = "NONE_REQUESTED",
    ) -> dict[str, Any]:
        """Create an order and return its ``getOrder`` JSON.

        ``lines`` are ``(sku, quantity)`` pairs picked from the catalog (``None`` picks the
        listing without a SKU); without them lines are generated. ``fulfillment_status``
        ``FULFILLED`` ships every line (with a tracked fulfillment), ``IN_PROGRESS`` the
        first unit of the first line. ``cancel_state`` ``IN_PROGRESS`` adds a pending buyer
        request, ``CANCELED`` a completed one. ``modified`` defaults to ``created``
        (default: now).
        """
        if marketplace not in _MARKETS:
            raise ValueError(f"unknown marketplace {marketplace!r}")
        if payment_status not in PAYMENT_STATUSES:
            raise ValueError(f"unknown payment status {payment_status!r}")
        if fulfillment_status not in FULFILLMENT_STATUSES:
            raise ValueError(f"unknown fulfillment status {fulfillment_status!r}")
        if cancel_state not in CANCEL_STATES:
            raise ValueError(f"unknown cancel state {cancel_state!r}")
        with self.lock:
            when = self.store.moment(created)
            record = self._new_record(when, marketplace, lines, self._rng)
            self._set_state(record, payment_status, fulfillment_status, cancel_state, when)
            record.modified = whole_seconds(modified) if modified is not None else when
            self.store.changed()
            return self._render(record, "https://api.ebay.com", listing=False)

    def add_malformed_order(
        self, kind: MalformedKind = "no_line_items", **kwargs: Any
    ) -> dict[str, Any]:
        """Create an order a connector cannot normalise and return its (broken) JSON:
        ``no_line_items`` (an empty ``lineItems``), ``bad_total`` (a total that is not a
        number), ``missing_last_modified`` or ``unknown_payment`` (a payment status eBay
        does not document). It is listed like any other order."""
        if kind not in ("no_line_items", "bad_total", "missing_last_modified", "unknown_payment"):
            raise ValueError(f"unknown malformation {kind!r}")
        with self.lock:
            rendered = self.add_order(**kwargs)
            record = self._require(rendered["orderId"])
            record.malformed = kind
            self.store.changed()
            return self._render(record, "https://api.ebay.com", listing=False)

    def generate(
        self,
        n: int,
        *,
        start: datetime | None = None,
        spread: timedelta = timedelta(days=1),
        marketplaces: Sequence[str] | None = None,
    ) -> list[str]:
        """Create ``n`` realistic orders created over ``[start, start + spread)`` (default:
        the ``spread`` before now), oldest first, in the usual mix of states (most paid and
        waiting or shipped; some pending, refunded, with a cancel request or cancelled).
        Later changes never lie after now. Returns the order ids."""
        with self.lock:
            now = self.store.now()
            rng = self._rng
            ids: list[str] = []
            for created in creation_times(rng, n, start=start, spread=spread, now=now):
                market = (
                    rng.choice(marketplaces)
                    if marketplaces
                    else rng.choices(MARKETS, cum_weights=_MARKET_WEIGHTS)[0].marketplace
                )
                record = self._new_record(created, market, None, rng)
                payment, fulfillment, cancel = rng.choices(
                    [s for s, _ in _GENERATED], cum_weights=_GENERATED_CUM
                )[0]
                changed = created + timedelta(seconds=rng.randint(300, 3 * 86400))
                if changed > now:  # spread late changes over what is left, not all at now
                    changed = created + (now - created) * rng.random() if now > created else now
                changed = whole_seconds(changed)
                self._set_state(record, payment, fulfillment, cancel, changed)
                ids.append(record.order_id)
            self.store.changed()
            return ids

    def ship(
        self,
        order_id: str,
        *,
        tracking_number: str | None = None,
        carrier: str | None = None,
        lines: Sequence[tuple[str, int]] | None = None,
        when: datetime | None = None,
    ) -> dict[str, Any]:
        """The seller ships (in Seller Hub, not through the API): a fulfillment for
        ``lines`` (default: everything unshipped) with a generated tracking number unless
        one is given. Returns the fulfillment."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            chosen = (
                list(lines)
                if lines is not None
                else [
                    (line.line_item_id, line.quantity - line.shipped)
                    for line in record.lines
                    if line.quantity > line.shipped
                ]
            )
            if not chosen:
                raise ValueError(f"order {order_id} has nothing left to ship")
            market = _MARKETS[record.marketplace]
            number = tracking_number or _tracking_number(self._rng, carrier or market.carrier)
            fulfillment = self._add_fulfillment(
                record,
                chosen,
                moment,
                tracking=number,
                carrier=carrier or market.carrier,
                when=moment,
            )
            return self._render_fulfillment(fulfillment)

    def request_cancel(self, order_id: str, *, when: datetime | None = None) -> dict[str, Any]:
        """The buyer asks to cancel: ``cancelState`` becomes ``IN_PROGRESS``."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            self._new_cancel_request(record, "Buyer", "ORDER_MISTAKE", moment)
            record.cancel_state = "IN_PROGRESS"
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def approve_cancel(self, order_id: str, *, when: datetime | None = None) -> dict[str, Any]:
        """The seller accepts the open cancel request: the order is ``CANCELED`` and a paid
        order is refunded in full."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            open_requests = [r for r in record.cancel_requests if r.state == "REQUESTED"]
            if not open_requests:
                raise ValueError(f"order {order_id} has no open cancel request")
            self._complete_cancel(record, open_requests[-1], moment)
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def reject_cancel(self, order_id: str, *, when: datetime | None = None) -> dict[str, Any]:
        """The seller refuses the open cancel request (``cancelState`` back to
        ``NONE_REQUESTED``; the request stays, ``REJECTED``)."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            for request in record.cancel_requests:
                if request.state == "REQUESTED":
                    request.state = "REJECTED"
                    request.completed = moment
            record.cancel_state = "NONE_REQUESTED"
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def cancel(self, order_id: str, *, when: datetime | None = None) -> dict[str, Any]:
        """The seller cancels the order (out of stock): ``CANCELED`` at once, refunded."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            request = self._new_cancel_request(record, "Seller", "OUT_OF_STOCK", moment)
            self._complete_cancel(record, request, moment)
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def mark_paid(self, order_id: str, *, when: datetime | None = None) -> dict[str, Any]:
        """A pending payment arrives."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            record.payment_status = "PAID"
            record.paid = moment
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def refund(
        self, order_id: str, amount: Decimal | None = None, *, when: datetime | None = None
    ) -> dict[str, Any]:
        """Refund ``amount`` (default: everything not yet refunded)."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            self._refund(record, amount, moment)
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def start_live(self, *, new_per_hour: float = 60.0, changes_per_hour: float = 30.0) -> LiveFeed:
        """Let orders arrive and change as simulated time passes: new orders (mostly paid),
        shipments, buyer cancel requests and the seller's answers, late payments, refunds."""
        return self.start_live_feed(
            self._live_new,
            self._live_change,
            new_per_hour=new_per_hour,
            changes_per_hour=changes_per_hour,
            seed=self.seed + 1,
        )

    def _live_new(self, rng: random.Random, when: datetime) -> None:
        market = rng.choices(MARKETS, cum_weights=_MARKET_WEIGHTS)[0].marketplace
        record = self._new_record(whole_seconds(when), market, None, rng)
        payment = "PENDING" if rng.random() < 0.08 else "PAID"
        self._set_state(record, payment, "NOT_STARTED", "NONE_REQUESTED", whole_seconds(when))
        self.store.changed()

    def _live_change(self, rng: random.Random, when: datetime) -> None:
        moment = whole_seconds(when)
        for _ in range(20):  # look for an order that can still change
            if not self._ids:
                return
            record = self.store.get(rng.choice(self._ids))
            if record is None or record.malformed or record.cancel_state == "CANCELED":
                continue
            if record.payment_status == "PENDING":
                record.payment_status = "PAID" if rng.random() < 0.85 else "FAILED"
                record.paid = moment if record.payment_status == "PAID" else None
            elif record.cancel_state == "IN_PROGRESS":
                request = next(r for r in record.cancel_requests if r.state == "REQUESTED")
                if rng.random() < 0.7:
                    self._complete_cancel(record, request, moment)
                else:
                    request.state, request.completed = "REJECTED", moment
                    record.cancel_state = "NONE_REQUESTED"
            elif record.payment_status == "PAID" and record.status != "FULFILLED":
                if rng.random() < 0.15:
                    self._new_cancel_request(record, "Buyer", "ORDER_MISTAKE", moment)
                    record.cancel_state = "IN_PROGRESS"
                else:
                    remaining = [
                        (line.line_item_id, line.quantity - line.shipped)
                        for line in record.lines
                        if line.quantity > line.shipped
                    ]
                    market = _MARKETS[record.marketplace]
                    self._add_fulfillment(
                        record,
                        remaining,
                        moment,
                        tracking=_tracking_number(rng, market.carrier),
                        carrier=market.carrier,
                        when=moment,
                    )
                    return
            elif record.payment_status == "PAID" and rng.random() < 0.1:
                self._refund(record, None, moment)
            else:
                continue
            self.store.touch(record.id, moment)
            return

    # -- internals -------------------------------------------------------------------------------

    def _order_id(self, internal: int) -> str:
        # 37 is coprime with 10**10, so distinct internal ids give distinct order ids.
        number = (1_234_567_890 + internal * 37) % 10**10
        return f"{self._prefix:02d}-{number // 100_000:05d}-{number % 100_000:05d}"

    def _new_record(
        self,
        created: datetime,
        marketplace: str,
        lines: Sequence[tuple[str | None, int]] | None,
        rng: random.Random,
    ) -> EbayOrderRecord:
        internal = self.store.next_id()
        market = _MARKETS[marketplace]
        if lines is not None:
            chosen = [(_listing_for(sku), qty) for sku, qty in lines]
        else:
            count = rng.choices((1, 2, 3), cum_weights=(70, 92, 100))[0]
            picks = rng.choices(CATALOG, cum_weights=_CATALOG_WEIGHTS, k=count)
            merged: dict[Listing, int] = {}
            for listing in picks:
                merged[listing] = (
                    merged.get(listing, 0) + rng.choices((1, 2, 3), cum_weights=(82, 96, 100))[0]
                )
            chosen = list(merged.items())
        record_lines = [
            EbayLine(
                line_item_id=str(10_000_000_000_000 + internal * 100 + index),
                listing=listing,
                quantity=quantity,
                unit_price=(listing.usd_price * market.rate).quantize(_CENT, ROUND_HALF_UP),
                shipping=(listing.usd_shipping * market.rate).quantize(_CENT, ROUND_HALF_UP),
            )
            for index, (listing, quantity) in enumerate(chosen, start=1)
        ]
        record = EbayOrderRecord(
            id=internal,
            created=created,
            modified=created,
            status="NOT_STARTED",
            order_id=self._order_id(internal),
            seed=rng.getrandbits(48),
            marketplace=marketplace,
            lines=record_lines,
        )
        self.store.add(record)
        self._by_order_id[record.order_id] = internal
        self._ids.append(internal)
        return record

    def _set_state(
        self,
        record: EbayOrderRecord,
        payment: str,
        fulfillment: str,
        cancel: str,
        changed: datetime,
    ) -> None:
        """Bring a new record into a state, as if the changes had happened at ``changed``."""
        created = record.created
        unpaid = payment in ("PENDING", "FAILED")
        if not unpaid:
            record.paid = created + timedelta(seconds=5)
        record.payment_status = payment if unpaid else "PAID"
        market = _MARKETS[record.marketplace]
        rng = random.Random(record.seed ^ 0x5EED)
        if fulfillment == "FULFILLED":
            everything = [(line.line_item_id, line.quantity) for line in record.lines]
            self._add_fulfillment(
                record,
                everything,
                changed,
                tracking=_tracking_number(rng, market.carrier),
                carrier=market.carrier,
                when=changed,
            )
        elif fulfillment == "IN_PROGRESS":
            first = record.lines[0]
            self._add_fulfillment(
                record,
                [(first.line_item_id, 1)],
                changed,
                tracking=_tracking_number(rng, market.carrier),
                carrier=market.carrier,
                when=changed,
            )
            if record.status == "FULFILLED":  # a one-unit order: add a unit left to ship
                first.quantity += 1
                record.status = _fulfillment_status(record)
        if cancel == "IN_PROGRESS":
            self._new_cancel_request(record, "Buyer", "ORDER_MISTAKE", changed)
            record.cancel_state = "IN_PROGRESS"
        elif cancel == "CANCELED":
            request = self._new_cancel_request(record, "Buyer", "ORDER_MISTAKE", created)
            self._complete_cancel(record, request, changed)
        if payment == "FULLY_REFUNDED" and record.payment_status != "FULLY_REFUNDED":
            self._refund(record, None, changed)
        elif payment == "PARTIALLY_REFUNDED":
            total = sum((line.unit_price * line.quantity for line in record.lines), Decimal(0))
            self._refund(record, (total / 4).quantize(_CENT), changed)
        record.modified = whole_seconds(changed)

    def _new_cancel_request(
        self, record: EbayOrderRecord, initiator: str, reason: str, when: datetime
    ) -> EbayCancelRequest:
        with self._helper_lock:
            self._next_request_id += 1
            request_id = str(self._next_request_id)
        request = EbayCancelRequest(
            request_id=request_id,
            initiator=initiator,
            reason=reason,
            state="REQUESTED",
            requested=when,
        )
        record.cancel_requests.append(request)
        return request

    def _complete_cancel(
        self, record: EbayOrderRecord, request: EbayCancelRequest, when: datetime
    ) -> None:
        request.state = "COMPLETED"
        request.completed = when
        record.cancel_state = "CANCELED"
        record.cancelled = when
        if record.payment_status in ("PAID", "PARTIALLY_REFUNDED"):
            self._refund(record, None, when)

    def _refund(self, record: EbayOrderRecord, amount: Decimal | None, when: datetime) -> None:
        total = sum(
            (line.unit_price * line.quantity + line.shipping for line in record.lines), Decimal(0)
        )
        refunded = sum((value for _, value, _ in record.refunds), Decimal(0))
        value = total - refunded if amount is None else min(amount, total - refunded)
        if value <= 0:
            return
        with self._helper_lock:
            self._next_request_id += 1
            refund_id = str(self._next_request_id)
        record.refunds.append((refund_id, value, when))
        refunded += value
        record.payment_status = "FULLY_REFUNDED" if refunded >= total else "PARTIALLY_REFUNDED"


def _fulfillment_status(record: EbayOrderRecord) -> str:
    statuses = {line.status for line in record.lines}
    if statuses == {"FULFILLED"}:
        return "FULFILLED"
    if statuses == {"NOT_STARTED"}:
        return "NOT_STARTED"
    return "IN_PROGRESS"


def _by_created(record: EbayOrderRecord) -> tuple[object, ...]:
    return (record.created, record.id)


def _listing_for(sku: str | None) -> Listing:
    for listing in CATALOG:
        if listing.sku == sku:
            return listing
    if sku is None:
        raise ValueError("no catalog listing without a SKU")  # pragma: no cover
    return Listing("110000000000", None, sku, f"Item {sku}", Decimal("10.00"), Decimal("2.00"))


def _tracking_number(rng: random.Random, carrier: str) -> str:
    if carrier == "UPS":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    if carrier == "RoyalMail":
        return "RN" + f"{rng.randint(0, 10**9 - 1):09d}" + "GB"
    return "9400" + "".join(str(rng.randint(0, 9)) for _ in range(18))
