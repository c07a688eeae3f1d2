"""A simulated Amazon Selling Partner API for one seller: Login with Amazon, the Orders API
2026-01-01 ``searchOrders``/``getOrder``, and the Orders v0 ``getOrders``/``getOrderItems``/
``confirmShipment`` operations, faithful to the official models (``orders_2026-01-01.json``,
``ordersV0.json`` of ``amzn/selling-partner-api-models``) and to what Amazon is observed to
answer where the models are silent.

Routes (one server stands in for both the LWA host and the regional SP-API host):

- ``POST /auth/o2/token``: the Login with Amazon refresh-token grant (form-encoded, client
  id and secret in the body). Access tokens live one hour on the simulator's clock;
  :meth:`SimulatedAmazon.revoke` withdraws the seller's authorisation (``invalid_grant``).
- ``GET /orders/2026-01-01/orders`` (``searchOrders``, 0.0056 req/s, burst 20): the model's
  parameters (``createdAfter``/``createdBefore``/``lastUpdatedAfter``/``lastUpdatedBefore``,
  ``fulfillmentStatuses``, ``marketplaceIds``, ``fulfilledBy``, ``maxResultsPerPage``,
  ``paginationToken``, ``includedData``; arrays comma-separated, Swagger 2.0's default), with
  Amazon's rules: exactly one of ``createdAfter``/``lastUpdatedAfter``, no mixing of the two
  families, ``*Before`` at least two minutes before the request (on the simulator's clock)
  and not before ``*After``, ``maxResultsPerPage`` in 1..100. Every break answers 400
  ``InvalidInput``. Pages end with ``pagination.nextToken`` (valid 24 hours, bound to the
  query's filters; ``maxResultsPerPage`` and ``includedData`` may change between pages, as
  the model allows). Order items are always embedded; the other datasets come only when
  ``includedData`` asks for them (``FULFILLMENT``, ``PROCEEDS``, ``RECIPIENT``, ``BUYER``,
  ``PACKAGES``, ``CANCELLATION``; the others are accepted and add nothing).
- ``GET /orders/2026-01-01/orders/{orderId}`` (``getOrder``, 0.5/30).
- ``GET /orders/v0/orders`` (``getOrders``, 0.0167/20) and
  ``GET /orders/v0/orders/{orderId}/orderItems`` (``getOrderItems``, 0.5/30): the older
  per-order-items way, kept so benchmarks can measure what it costs.
- ``POST /orders/v0/orders/{orderId}/shipmentConfirmation`` (``confirmShipment``, 2/10):
  ``packageReferenceId`` must be a JSON *string* of a positive number (a JSON number gets
  ``InvalidInput ... invalid type [packageDetail.packageReferenceId]``, as Amazon answers
  since January 2026), ``shipDate`` an ISO 8601 date-time, ``carrierCode`` one of
  :data:`CARRIER_CODES` (``carrierName`` required with ``Other``), every ``orderItemId`` one
  of the order's and no quantity above what is left to ship. A package is kept per
  (order, ``packageReferenceId``): sending the same reference again *edits* that package, a
  new reference on an order with nothing left to ship answers Amazon's
  ``PackageToUpdateNotFound`` 400. The order's status and ``lastUpdatedTime`` follow.

Every API answer carries ``x-amzn-RequestId``; 200/204/400/404 answers carry
``x-amzn-RateLimit-Limit`` (the operation's rate), as the models declare. Errors use
Amazon's body, ``{"errors": [{"code", "message", "details"}]}``. The token buckets of the
usage plans run on the simulator's clock; a throttled request gets Amazon's 429
``QuotaExceeded`` body and, like Amazon, no ``Retry-After``.

The static sandbox examples of the models (``amazon_sandbox.json`` next to this module,
extracted with :func:`extract_sandbox_examples`) are served when a request matches one
exactly, as Amazon's static sandbox does: the ``confirmShipment`` example body gets its
204, the one with ``shipDate: "02/21/2022"`` its 400, ``createdAfter=TEST_CASE_400`` its
400, and so on.
"""

from __future__ import annotations

import json
import random
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from itertools import accumulate
from pathlib import Path
from typing import Any, Literal

from orderhub.sdk.clock import Clock
from orderhub.sdk.ratelimit import RateLimit
from orderhub.testing.sim import (
    InvalidTokenError,
    LiveFeed,
    OAuth2TokenEndpoint,
    OrderStore,
    Route,
    SimRecord,
    SimRequest,
    SimResponse,
    SimulatedApi,
    TokenPager,
    TokenStatus,
    copy_json,
    creation_times,
    deep_merge,
    modified_later,
    route,
    whole_seconds,
)

__all__ = [
    "ALL_DATASETS",
    "CARRIER_CODES",
    "FULFILLMENT_STATUSES",
    "MARKETPLACES",
    "USAGE_PLANS",
    "AmazonItem",
    "AmazonOrderRecord",
    "AmazonPackage",
    "Marketplace",
    "SimulatedAmazon",
    "extract_sandbox_examples",
    "sandbox_examples",
]

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
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY"})
# Sales tax is added on top of the price in North America; elsewhere prices include VAT.
_TAX_ON_TOP = {"US": Decimal("0.0725"), "CA": Decimal("0.13")}
_ORDER_ID_PREFIX = {"na": ("111", "112", "113", "114", "701", "702"), "eu": ("028", "171", "202",
                    "203", "204", "205", "206", "302", "303", "304", "305", "306", "402", "403",
                    "404", "405", "406"), "fe": ("249", "250", "249", "503", "503")}  # fmt: skip


@dataclass(frozen=True)
class _Product:
    sku: str | None
    asin: str
    title: str
    price: Decimal


CATALOG: tuple[_Product, ...] = (
    _Product("MUG-WHITE-11OZ", "B0C1MUG001", "Ceramic Mug, White, 11 oz", Decimal("12.99")),
    _Product("MUG-BLACK-11OZ", "B0C1MUG002", "Ceramic Mug, Black, 11 oz", Decimal("12.99")),
    _Product("TEE-BLUE-M", "B0C1TEE00M", "Organic Cotton T-Shirt, Blue, M", Decimal("19.95")),
    _Product("TEE-BLUE-L", "B0C1TEE00L", "Organic Cotton T-Shirt, Blue, L", Decimal("19.95")),
    _Product("HOODIE-GREY-M", "B0C1HOOD0M", "Zip Hoodie, Grey, M", Decimal("44.00")),
    _Product("CAP-NAVY", "B0C1CAP001", "Baseball Cap, Navy", Decimal("17.50")),
    _Product("TOTE-NATURAL", "B0C1TOTE01", "Canvas Tote Bag, Natural", Decimal("14.00")),
    _Product("SOCKS-3PK", "B0C1SOCK03", "Striped Socks, 3-pack", Decimal("11.99")),
    _Product("POSTER-A3-MTN", "B0C1POST01", "Poster A3, Mountains", Decimal("9.95")),
    _Product("STICKERS-10", "B0C1STIK10", "Sticker Pack, 10 pieces", Decimal("4.50")),
    # Listings removed from the seller's catalogue still appear on old orders, without SKU.
    _Product(None, "B0C1GONE01", "Discontinued Greeting Card", Decimal("3.50")),
)
_BY_SKU = {p.sku: p for p in CATALOG if p.sku}
_WEIGHTS = (10, 6, 9, 7, 4, 5, 5, 6, 3, 8, 1)
_CATALOG_CUM = tuple(accumulate(_WEIGHTS))

_FIRST = ("Ava", "Ben", "Chloe", "Daniel", "Emily", "Finn", "Grace", "Henry", "Isla", "Jack",
          "Kara", "Liam", "Mia", "Noah", "Olivia", "Priya", "Quinn", "Ravi", "Sara",
          "Tom")  # fmt: skip
_LAST = ("Anders", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
         "Jensen", "Khan", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Smith",
         "Tanaka", "Weber")  # fmt: skip
_STREETS = ("Maple Avenue", "Oak Street", "High Street", "Station Road", "Hauptstraße",
            "Rue de la Paix", "Via Roma", "Calle Mayor", "Church Lane", "Park Road")  # fmt: skip
_CITIES = {
    "US": (("Seattle", "WA", "98101"), ("Austin", "TX", "73301"), ("Denver", "CO", "80202")),
    "CA": (("Toronto", "ON", "M5H 2N2"), ("Vancouver", "BC", "V6B 1A1")),
    "GB": (("London", "", "SW1A 1AA"), ("Leeds", "", "LS1 4AP")),
    "DE": (("Berlin", "", "10115"), ("München", "", "80331")),
    "FR": (("Paris", "", "75001"), ("Lyon", "", "69002")),
    "JP": (("Tokyo", "Tokyo", "150-0002"), ("Osaka", "Osaka", "530-0001")),
}
_GENERATED_STATUSES = (
    ("SHIPPED", 45),
    ("UNSHIPPED", 25),
    ("PENDING", 10),
    ("PARTIALLY_SHIPPED", 4),
    ("CANCELLED", 8),
    ("PENDING_AVAILABILITY", 1),
)
_SERVICE_LEVELS = (("STANDARD", 70), ("EXPEDITED", 15), ("SECOND_DAY", 10), ("NEXT_DAY", 5))
_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|z|[+-]\d{2}:?\d{2})?$"
)
_POSITIVE_NUMBER = re.compile(r"^[0-9]+$")
_TWO_MINUTES = timedelta(minutes=2)
_TOKEN_LIFETIME = timedelta(hours=24)

MalformedKind = Literal[
    "missing_fulfillment_status", "missing_last_updated", "bad_amount", "quantity_not_integer"
]


# -- sandbox examples ---------------------------------------------------------------------------


def extract_sandbox_examples(specs_dir: Path) -> dict[str, Any]:
    """The static sandbox examples of the models in ``specs_dir`` (a copy of
    ``amzn/selling-partner-api-models``' ``orders_2026-01-01.json`` and the extracted
    ``ordersV0.sandbox-examples.extracted.json``), in the shape of ``amazon_sandbox.json``.

    Regenerate the shipped copy with::

        python -c "import json, pathlib; from orderhub.testing.sims.amazon import *;
        print(json.dumps(extract_sandbox_examples(pathlib.Path('tests/specs/amazon')),
        indent=1, ensure_ascii=False))" > src/orderhub/testing/sims/amazon_sandbox.json
    """
    model = json.loads((specs_dir / "orders_2026-01-01.json").read_text(encoding="utf-8"))
    v0 = json.loads(
        (specs_dir / "ordersV0.sandbox-examples.extracted.json").read_text(encoding="utf-8")
    )
    examples: list[dict[str, Any]] = []
    for path, item in model["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for code, answer in operation["responses"].items():
                sandbox = answer.get("x-amzn-api-sandbox", {})
                for example in sandbox.get("static", []):
                    examples.append(
                        {
                            "operation": operation["operationId"],
                            "api": "2026-01-01",
                            "method": method.upper(),
                            "path": path,
                            "status": int(code),
                            "parameters": {
                                k: v["value"] for k, v in example["request"]["parameters"].items()
                            },
                            "response": example["response"],
                        }
                    )
    for example in v0:
        if example["operationId"] not in ("getOrders", "getOrderItems", "confirmShipment"):
            continue
        examples.append(
            {
                "operation": example["operationId"],
                "api": "v0",
                "method": example["method"],
                "path": example["path"],
                "status": example["status"],
                "parameters": {k: v["value"] for k, v in example["request"]["parameters"].items()},
                "response": example["response"],
            }
        )
    return {
        "_source": (
            "Static sandbox examples (x-amzn-api-sandbox) of amzn/selling-partner-api-models "
            "@ 34dc93fe45f37c9a0b2e56823c808f68b4f81754: models/orders-api-model/"
            "orders_2026-01-01.json (searchOrders, getOrder) and ordersV0.json (getOrders, "
            "getOrderItems, confirmShipment). Apache License 2.0. Regenerate with the script "
            "in the module docstring of orderhub.testing.sims.amazon."
        ),
        "examples": examples,
    }


@cache
def sandbox_examples() -> tuple[dict[str, Any], ...]:
    """The static sandbox examples shipped with the simulator (``amazon_sandbox.json``)."""
    text = resources.files(__package__).joinpath("amazon_sandbox.json").read_text("utf-8")
    return tuple(json.loads(text)["examples"])


def _csv(request: SimRequest, name: str) -> list[str] | None:
    """A Swagger 2.0 ``csv`` array parameter (repeated parameters are joined too)."""
    raw = request.query.get(name)
    if raw is None:
        return None
    values: list[str] = []
    for item in raw:
        values.extend(part for part in item.split(",") if part != "")
    return values


def _matches_example(request: SimRequest, example: dict[str, Any]) -> bool:
    expected = dict(example["parameters"])
    body = expected.pop("body", None)
    for name, value in list(expected.items()):
        if "{" + name + "}" in example["path"]:
            if request.path_params.get(name) != str(value):
                return False
            del expected[name]
    if set(request.query) != set(expected):
        return False
    for name, value in expected.items():
        if isinstance(value, list):
            if _csv(request, name) != [str(v) for v in value]:
                return False
        elif request.param(name) != str(value):
            return False
    if body is not None:
        try:
            return bool(request.json() == body)
        except ValueError:
            return False
    return True


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


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


@dataclass(frozen=True)
class _Search:
    """The normalised filters of a search (the cache and page-token key)."""

    by_update: bool
    after: datetime
    before: datetime
    marketplaces: frozenset[str]
    statuses: frozenset[str] | None
    fulfilled_by: frozenset[str] | None

    def context(self) -> str:
        return "|".join(
            (
                "u" if self.by_update else "c",
                _iso(self.after),
                _iso(self.before),
                ",".join(sorted(self.marketplaces)),
                ",".join(sorted(self.statuses or ())),
                ",".join(sorted(self.fulfilled_by or ())),
            )
        )


class SimulatedAmazon(SimulatedApi):
    """One seller's Selling Partner API (see the module docstring for the routes).

    ``client_id``/``client_secret`` are the app's LWA credentials and ``refresh_token`` the
    seller's authorisation. ``marketplace_ids`` are the marketplaces the seller sells in
    (a search naming another one is refused). ``seed`` makes generated orders reproducible.
    ``enforce_rate_limits`` enforces :data:`USAGE_PLANS` (change one with
    ``sim.rate_limits.set(operation, RateLimit(...))``: ``x-amzn-RateLimit-Limit`` follows).
    ``serve_sandbox_examples`` answers requests that match a static sandbox example of the
    models with that example.

    Test helpers: :meth:`add_order`, :meth:`add_malformed_order`, :meth:`generate`,
    :meth:`set_status`, :meth:`cancel_order`, :meth:`order`, :meth:`record`,
    :meth:`packages`, :meth:`revoke`, :meth:`expire_tokens`, :meth:`repeat_next_token`,
    :meth:`start_live`. All are thread-safe.
    """

    throttle_sends_retry_after = False

    def __init__(
        self,
        clock: Clock,
        *,
        client_id: str = "amzn-client",
        client_secret: str = "amzn-secret",  # noqa: S107 - the simulator's test credential
        refresh_token: str = "Atzr|sim",  # noqa: S107 - the simulator's test credential
        marketplace_ids: Sequence[str] = ("ATVPDKIKX0DER",),
        seed: int = 0,
        enforce_rate_limits: bool = True,
        serve_sandbox_examples: bool = True,
        carrier_codes: Iterable[str] = CARRIER_CODES,
    ) -> None:
        super().__init__(clock)
        unknown = [m for m in marketplace_ids if m not in MARKETPLACES]
        if unknown or not marketplace_ids:
            raise ValueError(f"unknown or no marketplace ids: {unknown}")
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.marketplace_ids = tuple(marketplace_ids)
        self.seed = seed
        self.serve_sandbox_examples = serve_sandbox_examples
        self.carrier_codes = frozenset(carrier_codes)
        self.lwa = OAuth2TokenEndpoint(
            clock,
            clients={client_id: client_secret},
            access_token_ttl=3600,
            access_token_prefix="Atza|sim-",  # noqa: S106 - a prefix, not a secret
        )
        self.lwa.add_refresh_token(refresh_token, client_id)
        if enforce_rate_limits:
            for operation, limit in USAGE_PLANS.items():
                self.rate_limits.set(operation, limit)
        self.store: OrderStore[AmazonOrderRecord] = OrderStore(clock, first_id=1)
        self._by_order_id: dict[str, int] = {}
        self._rng = random.Random(seed)
        self._pager = TokenPager("searchOrders")
        self._v0_pager = TokenPager("getOrders")
        self._snapshots: OrderedDict[str, list[int]] = OrderedDict()
        self._token_issued: OrderedDict[str, datetime] = OrderedDict()
        self._request_ids = 0
        self._item_ids = 0
        self._helper_lock = threading.RLock()

    # -- errors and answers -----------------------------------------------------------------

    def error_response(
        self, status: int, code: str, message: str, extra: dict[str, Any] | None = None
    ) -> SimResponse:
        error: dict[str, Any] = {"code": code, "message": message, "details": ""}
        error.update(extra or {})
        return SimResponse.json(status, {"errors": [error]})

    def no_route(self, request: SimRequest) -> SimResponse:
        return self.error_response(404, "NotFound", "The resource specified does not exist.")

    def status_error(self, status: int) -> SimResponse:
        if status == 429:
            return self.error_response(
                429, "QuotaExceeded", "You exceeded your quota for the requested resource."
            )
        if status == 500:
            return self.error_response(
                500, "InternalFailure", "We encountered an internal error. Please try again."
            )
        if status == 503:
            return self.error_response(
                503, "ServiceUnavailable", "Service temporarily unavailable. Please try again."
            )
        if status == 403:
            return self.error_response(
                403, "Unauthorized", "Access to requested resource is denied."
            )
        return super().status_error(status)

    def throttle_response(
        self, request: SimRequest, operation: str, retry_after: float
    ) -> SimResponse:
        # Amazon sends no Retry-After and no x-amzn-RateLimit-Limit on a 429.
        return self.status_error(429)

    def handle(self, request: SimRequest) -> SimResponse:
        response = super().handle(request)
        if response.abort is not None or response.header("x-amzn-RequestId") is not None:
            return response
        with self._helper_lock:
            self._request_ids += 1
            request_id = f"sim-{self.seed:04d}-{self._request_ids:08d}"
        headers = {**response.headers, "x-amzn-RequestId": request_id}
        return SimResponse(response.status, headers, response.body, response.abort)

    def _reply(self, operation: str, status: int, body: Any | None = None) -> SimResponse:
        """A JSON (or 204) answer with the operation's ``x-amzn-RateLimit-Limit``."""
        response = SimResponse.empty(status) if body is None else SimResponse.json(status, body)
        limit = self.rate_limits.limit_for(operation)
        if limit is not None and status in (200, 204, 400, 404):
            response.headers["x-amzn-RateLimit-Limit"] = f"{limit.rate:g}"
        return response

    def _invalid(self, operation: str, message: str, details: str = "") -> SimResponse:
        response = self.error_response(400, "InvalidInput", message, {"details": details})
        limit = self.rate_limits.limit_for(operation)
        if limit is not None:
            response.headers["x-amzn-RateLimit-Limit"] = f"{limit.rate:g}"
        return response

    def _sandbox(self, request: SimRequest, operation: str) -> SimResponse | None:
        if not self.serve_sandbox_examples:
            return None
        for example in sandbox_examples():
            if example["operation"] != operation or example["method"] != request.method:
                continue
            if not self._same_api(request, example):
                continue
            if _matches_example(request, example):
                status = int(example["status"])
                body = example["response"] if status != 204 else None
                return self._reply(operation, status, body)
        return None

    @staticmethod
    def _same_api(request: SimRequest, example: dict[str, Any]) -> bool:
        return request.path.startswith("/orders/v0/") == bool(example["api"] == "v0")

    # -- authentication ----------------------------------------------------------------------

    @route("POST", TOKEN_PATH, operation="lwa.token", auth=False)
    def token(self, request: SimRequest) -> SimResponse:
        """``POST /auth/o2/token``: Login with Amazon."""
        return self.lwa.handle_token_request(request)

    def authenticate(self, request: SimRequest, route: Route) -> SimResponse | None:
        status = self.lwa.check_request(request, header="x-amz-access-token")
        if status is TokenStatus.VALID:
            return None
        if status is TokenStatus.EXPIRED:
            return self.error_response(
                403, "Unauthorized", "The access token you provided has expired."
            )
        return self.error_response(403, "Unauthorized", "Access to requested resource is denied.")

    # -- searchOrders ------------------------------------------------------------------------

    @route("GET", SEARCH_PATH, operation="searchOrders")
    def search_orders(self, request: SimRequest) -> SimResponse:
        """``GET /orders/2026-01-01/orders``."""
        example = self._sandbox(request, "searchOrders")
        if example is not None:
            return example
        parsed = self._parse_search(request, v0=False)
        if isinstance(parsed, SimResponse):
            return parsed
        search, size, included = parsed
        token = request.param("paginationToken")
        page = self._page(self._pager, search, token, size, "searchOrders")
        if isinstance(page, SimResponse):
            return page
        records, next_token = page
        body: dict[str, Any] = {
            "orders": [self._render(record, included) for record in records],
        }
        if next_token is not None:
            body["pagination"] = {"nextToken": next_token}
        body["lastUpdatedBefore" if search.by_update else "createdBefore"] = _iso(search.before)
        return self._reply("searchOrders", 200, body)

    def _parse_search(
        self, request: SimRequest, *, v0: bool
    ) -> SimResponse | tuple[_Search, int, frozenset[str]]:
        operation = "getOrders" if v0 else "searchOrders"
        names = (
            ("CreatedAfter", "CreatedBefore", "LastUpdatedAfter", "LastUpdatedBefore")
            if v0
            else ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
        )
        dates: dict[str, datetime | None] = {}
        for name in names:
            raw = request.param(name)
            if raw is None:
                dates[name] = None
                continue
            value = _parse_date_time(raw)
            if value is None:
                return self._invalid(
                    operation, f"Invalid {name}: {raw[:40]!r} is not an ISO 8601 date-time."
                )
            dates[name] = value
        created_after, created_before, updated_after, updated_before = (dates[n] for n in names)
        if (created_after is None) == (updated_after is None):
            return self._invalid(
                operation, f"Exactly one of {names[0]} and {names[2]} must be provided."
            )
        created_family = created_after is not None or created_before is not None
        updated_family = updated_after is not None or updated_before is not None
        if created_family and updated_family:
            return self._invalid(
                operation,
                f"{names[0]}/{names[1]} cannot be combined with {names[2]}/{names[3]}.",
            )
        by_update = updated_after is not None
        after = updated_after if by_update else created_after
        before = updated_before if by_update else created_before
        before_name = names[3] if by_update else names[1]
        after_name = names[2] if by_update else names[0]
        now = self.clock.now()
        latest = now - _TWO_MINUTES
        if before is None:
            before = whole_seconds(latest)
        elif before > latest:
            return self._invalid(
                operation,
                f"{before_name} must be at least 2 minutes before the time of the request.",
            )
        assert after is not None
        if after > before:
            return self._invalid(operation, f"{after_name} must not be after {before_name}.")

        marketplaces_param = "MarketplaceIds" if v0 else "marketplaceIds"
        marketplaces = _csv(request, marketplaces_param)
        if marketplaces is None:
            if v0:
                return self._invalid(operation, "MarketplaceIds is required.")
            marketplaces = list(self.marketplace_ids)
        if not marketplaces or len(marketplaces) > 50:
            return self._invalid(operation, f"{marketplaces_param} must list 1 to 50 ids.")
        for marketplace in marketplaces:
            if marketplace not in MARKETPLACES:
                return self._invalid(operation, f"Invalid marketplaceId: {marketplace[:40]}.")
            if marketplace not in self.marketplace_ids:
                return self._invalid(
                    operation, f"The seller is not registered in marketplace {marketplace}."
                )

        statuses: frozenset[str] | None = None
        status_name = "OrderStatuses" if v0 else "fulfillmentStatuses"
        raw_statuses = _csv(request, status_name)
        if raw_statuses:
            allowed = _V0_STATUS_BACK if v0 else {s: s for s in FULFILLMENT_STATUSES}
            for status in raw_statuses:
                if status not in allowed:
                    return self._invalid(operation, f"Invalid {status_name} value: {status[:40]}.")
            statuses = frozenset(allowed[v] for v in raw_statuses)
        channels: frozenset[str] | None = None
        channel_name = "FulfillmentChannels" if v0 else "fulfilledBy"
        raw_channels = _csv(request, channel_name)
        if raw_channels:
            mapping = {"MFN": "MERCHANT", "AFN": "AMAZON"} if v0 else {"MERCHANT": "MERCHANT",
                       "AMAZON": "AMAZON"}  # fmt: skip
            for channel in raw_channels:
                if channel not in mapping:
                    return self._invalid(
                        operation, f"Invalid {channel_name} value: {channel[:40]}."
                    )
            channels = frozenset(mapping[v] for v in raw_channels)

        size_name = "MaxResultsPerPage" if v0 else "maxResultsPerPage"
        size_text = request.param(size_name)
        size = 100
        if size_text is not None:
            if not re.fullmatch(r"-?\d+", size_text.strip()):
                return self._invalid(operation, f"{size_name} must be an integer.")
            size = int(size_text)
            if not 1 <= size <= 100:
                return self._invalid(operation, f"{size_name} must be between 1 and 100.")

        included: frozenset[str] = frozenset()
        if not v0:
            raw_included = _csv(request, "includedData") or []
            for dataset in raw_included:
                if dataset not in ALL_DATASETS:
                    return self._invalid(operation, f"Invalid includedData value: {dataset[:40]}.")
            included = frozenset(raw_included)
        search = _Search(
            by_update=by_update,
            after=after,
            before=before,
            marketplaces=frozenset(marketplaces),
            statuses=statuses,
            fulfilled_by=channels,
        )
        return search, size, included

    def _matching(self, search: _Search) -> list[AmazonOrderRecord]:
        def keep(record: AmazonOrderRecord) -> bool:
            moment = record.modified if search.by_update else record.created
            if not search.after <= moment <= search.before:  # "at or after", "at or before"
                return False
            if record.marketplace_id not in search.marketplaces:
                return False
            if search.statuses is not None and record.status not in search.statuses:
                return False
            return search.fulfilled_by is None or record.fulfilled_by in search.fulfilled_by

        return self.store.query(search, keep, _by_created)

    def _page(
        self,
        pager: TokenPager,
        search: _Search,
        token: str | None,
        size: int,
        operation: str,
    ) -> SimResponse | tuple[list[AmazonOrderRecord], str | None]:
        """One page of a search. The result is frozen when the first page is served, so
        orders that change while a client pages neither shift nor repeat the others."""
        context = f"{pager is self._v0_pager}|{search.context()}"
        with self._helper_lock:
            if token is not None:
                issued = self._token_issued.get(token)
                if issued is not None and self.clock.now() - issued > _TOKEN_LIFETIME:
                    return self._invalid(operation, "The pagination token has expired.")
            ids = self._snapshots.get(context) if token is not None else None
            if ids is None:
                ids = [record.id for record in self._matching(search)]
                self._snapshots[context] = ids
                while len(self._snapshots) > 32:
                    self._snapshots.popitem(last=False)
            self._snapshots.move_to_end(context)
            try:
                page = pager.page(ids, token, size, context)
            except InvalidTokenError:
                name = "NextToken" if pager is self._v0_pager else "paginationToken"
                return self._invalid(operation, f"Invalid {name}.")
            if page.next_token is not None:
                self._token_issued[page.next_token] = self.clock.now()
                while len(self._token_issued) > 10_000:
                    self._token_issued.popitem(last=False)
        records = [r for r in (self.store.get(i) for i in page.items) if r is not None]
        return records, page.next_token

    # -- getOrder ----------------------------------------------------------------------------

    @route("GET", SEARCH_PATH + "/{orderId}", operation="getOrder")
    def get_order(self, request: SimRequest) -> SimResponse:
        """``GET /orders/2026-01-01/orders/{orderId}``."""
        example = self._sandbox(request, "getOrder")
        if example is not None:
            return example
        included = _csv(request, "includedData") or []
        for value in included:
            if value not in ALL_DATASETS:
                return self._invalid("getOrder", f"Invalid includedData value: {value[:40]}.")
        record = self._lookup(request.path_params["orderId"])
        if record is None:
            return self._not_found("getOrder")
        return self._reply("getOrder", 200, {"order": self._render(record, frozenset(included))})

    def _lookup(self, order_id: str) -> AmazonOrderRecord | None:
        internal = self._by_order_id.get(order_id)
        return self.store.get(internal) if internal is not None else None

    def _not_found(self, operation: str) -> SimResponse:
        response = self.error_response(404, "NotFound", "The order was not found.")
        limit = self.rate_limits.limit_for(operation)
        if limit is not None:
            response.headers["x-amzn-RateLimit-Limit"] = f"{limit.rate:g}"
        return response

    # -- Orders v0 (for comparisons) ---------------------------------------------------------

    @route("GET", V0_PATH, operation="getOrders")
    def get_orders_v0(self, request: SimRequest) -> SimResponse:
        """``GET /orders/v0/orders`` (no buyer or address data: those need an RDT)."""
        example = self._sandbox(request, "getOrders")
        if example is not None:
            return example
        parsed = self._parse_search(request, v0=True)
        if isinstance(parsed, SimResponse):
            return parsed
        search, size, _ = parsed
        page = self._page(self._v0_pager, search, request.param("NextToken"), size, "getOrders")
        if isinstance(page, SimResponse):
            return page
        records, next_token = page
        payload: dict[str, Any] = {"Orders": [self._render_v0(r) for r in records]}
        if next_token is not None:
            payload["NextToken"] = next_token
        payload["LastUpdatedBefore" if search.by_update else "CreatedBefore"] = _iso(search.before)
        return self._reply("getOrders", 200, {"payload": payload})

    @route("GET", V0_PATH + "/{orderId}/orderItems", operation="getOrderItems")
    def get_order_items_v0(self, request: SimRequest) -> SimResponse:
        """``GET /orders/v0/orders/{orderId}/orderItems`` (all items on one page)."""
        example = self._sandbox(request, "getOrderItems")
        if example is not None:
            return example
        record = self._lookup(request.path_params["orderId"])
        if record is None:
            return self._not_found("getOrderItems")
        pending = record.status in ("PENDING", "PENDING_AVAILABILITY")
        items = []
        for item in record.items:
            entry: dict[str, Any] = {
                "ASIN": item.asin,
                "OrderItemId": item.order_item_id,
                "Title": item.title,
                "QuantityOrdered": item.quantity,
                "QuantityShipped": item.shipped,
                "IsGift": "false",
                "ConditionId": "New",
            }
            if item.sku is not None:
                entry["SellerSKU"] = item.sku
            if not pending:  # no pricing while an order is Pending (ordersV0.json)
                entry["ItemPrice"] = self._money_v0(item.unit_price * item.quantity, record)
                entry["ItemTax"] = self._money_v0(self._item_tax(record, item), record)
            items.append(entry)
        payload = {"AmazonOrderId": record.order_id, "OrderItems": items}
        return self._reply("getOrderItems", 200, {"payload": payload})

    def _money_v0(self, amount: Decimal, record: AmazonOrderRecord) -> dict[str, str]:
        return {"CurrencyCode": record.currency, "Amount": self._amount(amount, record.currency)}

    def _render_v0(self, record: AmazonOrderRecord) -> dict[str, Any]:
        market = MARKETPLACES[record.marketplace_id]
        order: dict[str, Any] = {
            "AmazonOrderId": record.order_id,
            "PurchaseDate": _iso(record.created),
            "LastUpdateDate": _iso(record.modified),
            "OrderStatus": _V0_STATUS[record.status],
            "FulfillmentChannel": "AFN" if record.fulfilled_by == "AMAZON" else "MFN",
            "SalesChannel": market.name,
            "ShipServiceLevel": record.service_level.title(),
            "NumberOfItemsShipped": sum(i.shipped for i in record.items),
            "NumberOfItemsUnshipped": sum(i.quantity - i.shipped for i in record.items),
            "PaymentMethod": "Other",
            "MarketplaceId": record.marketplace_id,
            "OrderType": "StandardOrder",
            "IsBusinessOrder": False,
            "IsPrime": record.prime,
            "IsPremiumOrder": False,
            "IsReplacementOrder": False,
        }
        if record.status not in ("PENDING", "PENDING_AVAILABILITY"):
            order["OrderTotal"] = self._money_v0(self._grand_total(record), record)
        return order

    # -- confirmShipment ---------------------------------------------------------------------

    @route("POST", V0_PATH + "/{orderId}/shipmentConfirmation", operation="confirmShipment")
    def confirm_shipment(self, request: SimRequest) -> SimResponse:
        """``POST /orders/v0/orders/{orderId}/shipmentConfirmation``."""
        operation = "confirmShipment"
        example = self._sandbox(request, operation)
        if example is not None:
            return example
        try:
            payload = request.json()
        except ValueError:
            return self._invalid(operation, "The request body is not valid JSON.")
        checked = self._check_confirmation(payload)
        if isinstance(checked, str):
            return self._invalid(operation, checked)
        record = self._lookup(request.path_params["orderId"])
        if record is None:
            return self._not_found(operation)
        with self.store.lock:
            return self._apply_confirmation(record, payload, checked)

    def _check_confirmation(self, payload: Any) -> str | list[tuple[str, int]]:
        """The request's own validity (no order needed): a message, or the item quantities."""
        if not isinstance(payload, dict):
            return "invalid type [body]: expected an object"
        marketplace = payload.get("marketplaceId")
        if not isinstance(marketplace, str) or not marketplace:
            return "Missing or invalid required field [marketplaceId]"
        detail = payload.get("packageDetail")
        if not isinstance(detail, dict):
            return "Missing or invalid required field [packageDetail]"
        reference = detail.get("packageReferenceId")
        if reference is None:
            return "Missing required field [packageDetail.packageReferenceId]"
        if not isinstance(reference, str):
            return "invalid type [packageDetail.packageReferenceId]"
        if not _POSITIVE_NUMBER.match(reference) or int(reference) <= 0:
            return "PackageReferenceId: is invalid, must be a positive numeric value."
        carrier = detail.get("carrierCode")
        if not isinstance(carrier, str) or not carrier.strip():
            return "Missing required field [packageDetail.carrierCode]"
        if carrier not in self.carrier_codes:
            return f"Invalid value for [packageDetail.carrierCode]: {carrier[:40]!r}"
        name = detail.get("carrierName")
        if carrier == "Other" and (not isinstance(name, str) or not name.strip()):
            return "[packageDetail.carrierName] is required when carrierCode is Other"
        tracking = detail.get("trackingNumber")
        if not isinstance(tracking, str) or not tracking.strip():
            return "Missing required field [packageDetail.trackingNumber]"
        ship_date = detail.get("shipDate")
        if not isinstance(ship_date, str) or _parse_date_time(ship_date) is None:
            return "invalid format [packageDetail.shipDate]: expected an ISO 8601 date-time"
        items = detail.get("orderItems")
        if not isinstance(items, list) or not items:
            return "Missing required field [packageDetail.orderItems]"
        wanted: list[tuple[str, int]] = []
        for index, item in enumerate(items):
            where = f"packageDetail.orderItems[{index}]"
            if not isinstance(item, dict):
                return f"invalid type [{where}]"
            item_id = item.get("orderItemId")
            if not isinstance(item_id, str) or not item_id:
                return f"Missing required field [{where}.orderItemId]"
            quantity = item.get("quantity")
            if isinstance(quantity, bool) or not isinstance(quantity, int):
                return f"invalid type [{where}.quantity]"
            if quantity < 1:
                return f"invalid value [{where}.quantity]: must be at least 1"
            wanted.append((item_id, quantity))
        return wanted

    def _apply_confirmation(
        self,
        record: AmazonOrderRecord,
        payload: dict[str, Any],
        wanted: list[tuple[str, int]],
    ) -> SimResponse:
        operation = "confirmShipment"
        detail = payload["packageDetail"]
        if payload["marketplaceId"] != record.marketplace_id:
            return self._invalid(
                operation, "Invalid value for [marketplaceId]: not the order's marketplace"
            )
        if record.fulfilled_by == "AMAZON":
            return self._invalid(
                operation, "Shipment confirmation is not allowed for orders fulfilled by Amazon."
            )
        if record.status in ("PENDING", "PENDING_AVAILABILITY", "CANCELLED", "UNFULFILLABLE"):
            return self._invalid(
                operation,
                f"Shipment confirmation is not allowed for an order in {record.status} status.",
            )
        reference = detail["packageReferenceId"]
        existing = record.packages.get(reference)
        if existing is None and all(i.shipped >= i.quantity for i in record.items):
            return self._invalid(
                operation,
                "Failed to create package due to not finding a matching package or order "
                "already fulfilled. ErrorMessage(errorCode=GeneralError, errorDescription="
                "Unable to find package to update for order (), "
                "errorMetric=PackageToUpdateNotFound, packageIndex=null)",
            )
        items = {item.order_item_id: item for item in record.items}
        previous = dict(existing.items) if existing is not None else {}
        totals: dict[str, int] = {}
        for index, (item_id, quantity) in enumerate(wanted):
            if item_id not in items:
                return self._invalid(
                    operation,
                    f"Invalid value for [packageDetail.orderItems[{index}].orderItemId]: "
                    "not an item of this order",
                )
            totals[item_id] = totals.get(item_id, 0) + quantity
        for index, (item_id, _) in enumerate(wanted):
            item = items[item_id]
            room = item.quantity - item.shipped + previous.get(item_id, 0)
            if totals[item_id] > room:
                return self._invalid(
                    operation,
                    f"Invalid value for [packageDetail.orderItems[{index}].quantity]: more "
                    "than the quantity left to ship",
                )
        now = self.store.now()
        package = AmazonPackage(
            package_reference_id=reference,
            carrier_code=detail["carrierCode"],
            carrier_name=detail.get("carrierName"),
            shipping_method=detail.get("shippingMethod"),
            tracking_number=detail["trackingNumber"],
            ship_date=detail["shipDate"],
            items=tuple(sorted(totals.items())),
            created=existing.created if existing is not None else now,
            updated=now,
            edits=existing.edits + 1 if existing is not None else 0,
        )
        changed = existing is None or _package_fields(existing) != _package_fields(package)
        record.packages[reference] = package
        self._recount(record)
        if changed:
            self.store.touch(record.id, now)
        return self._reply(operation, 204)

    def _recount(self, record: AmazonOrderRecord) -> None:
        shipped: dict[str, int] = {}
        for package in record.packages.values():
            for item_id, quantity in package.items:
                shipped[item_id] = shipped.get(item_id, 0) + quantity
        for item in record.items:
            item.shipped = min(item.quantity, shipped.get(item.order_item_id, 0))
        if record.status in ("UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED"):
            if all(i.shipped >= i.quantity for i in record.items):
                record.status = "SHIPPED"
            elif any(i.shipped for i in record.items):
                record.status = "PARTIALLY_SHIPPED"
            else:
                record.status = "UNSHIPPED"

    # -- rendering ---------------------------------------------------------------------------

    @staticmethod
    def _amount(value: Decimal, currency: str) -> str:
        places = Decimal(1) if currency in _ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
        return str(value.quantize(places, rounding=ROUND_HALF_UP))

    def _money(self, value: Decimal, currency: str) -> dict[str, str]:
        return {"amount": self._amount(value, currency), "currencyCode": currency}

    def _item_tax(self, record: AmazonOrderRecord, item: AmazonItem) -> Decimal:
        rate = _TAX_ON_TOP.get(MARKETPLACES[record.marketplace_id].country, Decimal(0))
        places = Decimal(1) if record.currency in _ZERO_DECIMAL_CURRENCIES else Decimal("0.01")
        return (item.unit_price * item.quantity * rate).quantize(places, rounding=ROUND_HALF_UP)

    def _grand_total(self, record: AmazonOrderRecord) -> Decimal:
        total = record.shipping
        for item in record.items:
            total += item.unit_price * item.quantity + self._item_tax(record, item)
        return total

    def _render(self, record: AmazonOrderRecord, included: frozenset[str]) -> dict[str, Any]:
        market = MARKETPLACES[record.marketplace_id]
        currency = record.currency
        pending = record.status in ("PENDING", "PENDING_AVAILABILITY")
        merchant = record.fulfilled_by == "MERCHANT"
        # One generator per dataset, so asking for one never changes what another renders.
        people = random.Random(record.seed)
        first, last = people.choice(_FIRST), people.choice(_LAST)
        order: dict[str, Any] = {
            "orderId": record.order_id,
            "createdTime": _iso(record.created),
            "lastUpdatedTime": _iso(record.modified),
            "programs": ["PRIME"] if record.prime else [],
            "salesChannel": {
                "channelName": "AMAZON",
                "marketplaceId": record.marketplace_id,
                "marketplaceName": market.name,
            },
        }
        if "BUYER" in included:
            buyer: dict[str, Any] = {"buyerName": f"{first} {last}"}
            if merchant:
                mailbox = random.Random(record.seed + 1).getrandbits(40)
                buyer["buyerEmail"] = f"{mailbox:010x}@marketplace.amazon.com"
            order["buyer"] = buyer
        if "RECIPIENT" in included and record.status in (
            "UNSHIPPED",
            "PARTIALLY_SHIPPED",
            "SHIPPED",
        ):
            rng = random.Random(record.seed + 2)
            city, region, postcode = rng.choice(_CITIES.get(market.country, _CITIES["US"]))
            address: dict[str, Any] = {
                "name": f"{first} {last}",
                "addressLine1": f"{rng.randint(1, 999)} {rng.choice(_STREETS)}",
                "city": city,
                "stateOrRegion": region,
                "postalCode": postcode,
                "countryCode": market.country,
                "addressType": "RESIDENTIAL",
            }
            if merchant and record.status != "SHIPPED":  # suppressed for FBA and once shipped
                address["phone"] = f"+1 206-555-{rng.randint(1000, 9999)}"
            order["recipient"] = {"deliveryAddress": address}
        if "PROCEEDS" in included and not pending:
            breakdowns = [
                {
                    "type": "ITEM",
                    "subtotal": self._money(
                        sum((i.unit_price * i.quantity for i in record.items), Decimal(0)),
                        currency,
                    ),
                }
            ]
            if record.shipping:
                breakdowns.append(
                    {"type": "SHIPPING", "subtotal": self._money(record.shipping, currency)}
                )
            tax = sum((self._item_tax(record, i) for i in record.items), Decimal(0))
            if tax:
                breakdowns.append({"type": "TAX", "subtotal": self._money(tax, currency)})
            order["proceeds"] = {
                "grandTotal": self._money(self._grand_total(record), currency),
                "breakdowns": breakdowns,
            }
        if "FULFILLMENT" in included:
            fulfillment: dict[str, Any] = {
                "fulfillmentStatus": record.status,
                "fulfilledBy": record.fulfilled_by,
                "fulfillmentServiceLevel": record.service_level,
            }
            if merchant and not pending:
                fulfillment["shipByWindow"] = {
                    "earliestDateTime": _iso(record.created),
                    "latestDateTime": _iso(record.created + timedelta(days=2)),
                }
            order["fulfillment"] = fulfillment
        order["orderItems"] = [
            self._render_item(record, item, included, pending) for item in record.items
        ]
        if "PACKAGES" in included and merchant and record.packages:
            order["packages"] = [
                _render_package(p) for p in sorted(record.packages.values(), key=_package_key)
            ]
        if record.overrides:
            deep_merge(order, copy_json(record.overrides))
        return self._break(order, record.malformed)

    def _render_item(
        self,
        record: AmazonOrderRecord,
        item: AmazonItem,
        included: frozenset[str],
        pending: bool,
    ) -> dict[str, Any]:
        product: dict[str, Any] = {"asin": item.asin, "title": item.title}
        if item.sku is not None:
            product["sellerSku"] = item.sku
        product["condition"] = {"conditionType": "NEW", "conditionSubtype": "NEW"}
        if not pending:  # no pricing while an order is pending
            product["price"] = {"unitPrice": self._money(item.unit_price, record.currency)}
        entry: dict[str, Any] = {
            "orderItemId": item.order_item_id,
            "quantityOrdered": item.quantity,
            "product": product,
        }
        if "PROCEEDS" in included and not pending:
            subtotal = item.unit_price * item.quantity
            tax = self._item_tax(record, item)
            breakdowns = [{"type": "ITEM", "subtotal": self._money(subtotal, record.currency)}]
            if tax:
                breakdowns.append({"type": "TAX", "subtotal": self._money(tax, record.currency)})
            entry["proceeds"] = {
                "proceedsTotal": self._money(subtotal + tax, record.currency),
                "breakdowns": breakdowns,
            }
        if "CANCELLATION" in included and record.status == "CANCELLED":
            entry["cancellation"] = {
                "cancellationExecution": {
                    "cancelledBy": record.cancelled_by or "BUYER",
                    "cancelReason": "NO_INVENTORY"
                    if record.cancelled_by == "MERCHANT"
                    else "BUYER_CANCELED",
                }
            }
        if "FULFILLMENT" in included:
            entry["fulfillment"] = {
                "quantityFulfilled": item.shipped,
                "quantityUnfulfilled": item.quantity - item.shipped,
            }
        return entry

    @staticmethod
    def _break(order: dict[str, Any], malformed: str | None) -> dict[str, Any]:
        if malformed == "missing_fulfillment_status" and isinstance(order.get("fulfillment"), dict):
            order["fulfillment"].pop("fulfillmentStatus", None)
        elif malformed == "missing_last_updated":
            order.pop("lastUpdatedTime", None)
        elif malformed == "bad_amount" and isinstance(order.get("proceeds"), dict):
            order["proceeds"]["grandTotal"]["amount"] = "twelve dollars"
        elif malformed == "quantity_not_integer" and order["orderItems"]:
            order["orderItems"][0]["quantityOrdered"] = "two"
        return order

    # -- test and demo helpers ---------------------------------------------------------------

    def record(self, order_id: str) -> AmazonOrderRecord:
        """The stored record of ``order_id`` (``KeyError`` when there is none)."""
        record = self._lookup(order_id)
        if record is None:
            raise KeyError(f"no simulated Amazon order {order_id}")
        return record

    def order(self, order_id: str, included: Iterable[str] = ALL_DATASETS) -> dict[str, Any]:
        """The order's current JSON, as ``getOrder`` renders it with ``included`` datasets
        (all by default). ``KeyError`` for an unknown order."""
        with self.lock:
            return self._render(self.record(order_id), frozenset(included))

    def order_ids(self) -> list[str]:
        """Every order id, oldest first."""
        with self.lock:
            return [r.order_id for r in sorted(self.store, key=_by_created)]

    def packages(self, order_id: str) -> list[dict[str, Any]]:
        """The order's packages as the ``PACKAGES`` dataset renders them (one entry per
        ``packageReferenceId``), ordered by reference."""
        with self.lock:
            record = self.record(order_id)
            return [_render_package(p) for p in sorted(record.packages.values(), key=_package_key)]

    def revoke(self) -> None:
        """The seller withdraws the app's authorisation: the next token refresh gets
        ``invalid_grant`` and the access tokens issued so far stop working."""
        self.lwa.revoke(self.refresh_token)

    def expire_tokens(self) -> None:
        """Expire every access token now (as if the hour had passed early)."""
        self.lwa.expire_all()

    def repeat_next_token(self, times: int = 1) -> None:
        """Make the next ``times`` pages requested with a ``paginationToken`` answer that same
        token again (a pagination loop, for loop-detection tests)."""
        self._pager.repeat_next_token(times)

    def add_order(
        self,
        *,
        status: str = "UNSHIPPED",
        fulfilled_by: str = "MERCHANT",
        marketplace_id: str | None = None,
        created: datetime | None = None,
        modified: datetime | None = None,
        items: Sequence[tuple[str | None, int]] | None = None,
        order_id: str | None = None,
        prime: bool = False,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Create an order and return its JSON (every dataset included).

        ``created`` defaults to now and ``modified`` to ``created``. ``items`` are
        ``(seller SKU, quantity)`` pairs (catalogue SKUs get their ASIN, title and price,
        others a made-up product at 10.00, ``None`` an item without seller SKU); without them
        items are generated. Shipped and partially shipped merchant orders get a package as
        if confirmed in Seller Central. Other keyword arguments are merged over the rendered
        JSON (nested objects merge, lists and scalars replace).
        """
        if status not in FULFILLMENT_STATUSES:
            raise ValueError(f"unknown fulfillment status {status!r}")
        if fulfilled_by not in ("MERCHANT", "AMAZON"):
            raise ValueError(f"fulfilled_by must be MERCHANT or AMAZON, not {fulfilled_by!r}")
        if status == "UNFULFILLABLE" and fulfilled_by != "AMAZON":
            raise ValueError("only orders fulfilled by Amazon become UNFULFILLABLE")
        forbidden = {"orderId", "createdTime", "lastUpdatedTime"} & overrides.keys()
        if forbidden:
            raise ValueError(f"use the keyword arguments, not overrides, for {sorted(forbidden)}")
        with self.lock:
            record = self._new_record(
                status=status,
                fulfilled_by=fulfilled_by,
                marketplace_id=marketplace_id or self.marketplace_ids[0],
                created=created,
                modified=modified,
                items=items,
                order_id=order_id,
                prime=prime,
                rng=self._rng,
            )
            record.overrides = overrides or None
            self._store(record)
            return self._render(record, ALL_DATASETS)

    def add_malformed_order(
        self, kind: MalformedKind = "missing_fulfillment_status", **kwargs: Any
    ) -> dict[str, Any]:
        """Create an order a connector cannot read, and return its broken JSON.

        ``missing_fulfillment_status``: ``fulfillment`` without ``fulfillmentStatus``;
        ``missing_last_updated``: no ``lastUpdatedTime``; ``bad_amount``: the grand total's
        amount is not a number; ``quantity_not_integer``: the first item's
        ``quantityOrdered`` is ``"two"``. It is still listed like any other order.
        """
        if kind not in (
            "missing_fulfillment_status",
            "missing_last_updated",
            "bad_amount",
            "quantity_not_integer",
        ):
            raise ValueError(f"unknown malformation {kind!r}")
        with self.lock:
            rendered = self.add_order(**kwargs)
            record = self.record(rendered["orderId"])
            record.malformed = kind
            self.store.changed()
            return self._render(record, ALL_DATASETS)

    def set_status(
        self, order_id: str, status: str, *, when: datetime | None = None
    ) -> dict[str, Any]:
        """Move an order to ``status`` as Amazon would (shipping marks every item shipped,
        with a Seller Central package for merchant orders) and bump ``lastUpdatedTime`` to
        ``when`` (default: now). Returns the JSON."""
        if status not in FULFILLMENT_STATUSES:
            raise ValueError(f"unknown fulfillment status {status!r}")
        with self.lock:
            record = self.record(order_id)
            self._move(record, status, when, random.Random(record.seed + 1))
            return self._render(record, ALL_DATASETS)

    def cancel_order(
        self, order_id: str, *, when: datetime | None = None, by: str = "BUYER"
    ) -> dict[str, Any]:
        """Cancel an order (``by``: BUYER, MERCHANT or AMAZON). Returns the JSON."""
        with self.lock:
            record = self.record(order_id)
            record.cancelled_by = by
            self._move(record, "CANCELLED", when, random.Random(record.seed + 1))
            return self._render(record, ALL_DATASETS)

    def generate(
        self,
        n: int,
        *,
        start: datetime | None = None,
        spread: timedelta = timedelta(days=1),
        afn_share: float = 0.3,
        marketplace_ids: Sequence[str] | None = None,
        statuses: Sequence[tuple[str, int]] | None = None,
    ) -> list[str]:
        """Create ``n`` realistic orders created over ``[start, start + spread)`` (default:
        the ``spread`` before now), oldest first; about a third changed again later (never
        after now). ``afn_share`` of them are fulfilled by Amazon. Returns the order ids."""
        with self.lock:
            now = self.store.now()
            rng = self._rng
            markets = tuple(marketplace_ids or self.marketplace_ids)
            times = creation_times(rng, n, start=start, spread=spread, now=now)
            mix = statuses or _GENERATED_STATUSES
            names = [s for s, _ in mix]
            cum = list(accumulate(w for _, w in mix))
            created_ids: list[str] = []
            for created in times:
                modified = modified_later(rng, created, now, within=timedelta(hours=12))
                fulfilled_by = "AMAZON" if rng.random() < afn_share else "MERCHANT"
                status = rng.choices(names, cum_weights=cum)[0]
                if fulfilled_by == "AMAZON" and status in ("UNSHIPPED", "PARTIALLY_SHIPPED"):
                    status = "SHIPPED"  # Amazon ships its own orders within hours
                record = self._new_record(
                    status=status,
                    fulfilled_by=fulfilled_by,
                    marketplace_id=rng.choice(markets),
                    created=created,
                    modified=modified,
                    items=None,
                    order_id=None,
                    prime=rng.random() < 0.4,
                    rng=rng,
                )
                self._store(record)
                created_ids.append(record.order_id)
            return created_ids

    def start_live(self, *, new_per_hour: float = 30.0, changes_per_hour: float = 30.0) -> LiveFeed:
        """Let orders arrive and change as simulated time passes: new orders come in pending
        (or unshipped); pending orders get paid or cancelled; Amazon ships its own orders;
        merchant orders are now and then shipped from Seller Central."""
        return self.start_live_feed(
            self._live_new,
            self._live_change,
            new_per_hour=new_per_hour,
            changes_per_hour=changes_per_hour,
            seed=self.seed + 1,
        )

    def _live_new(self, rng: random.Random, when: datetime) -> None:
        fulfilled_by = "AMAZON" if rng.random() < 0.3 else "MERCHANT"
        status = rng.choices(("PENDING", "UNSHIPPED"), (60, 40))[0]
        if fulfilled_by == "AMAZON":
            status = "PENDING"
        record = self._new_record(
            status=status,
            fulfilled_by=fulfilled_by,
            marketplace_id=rng.choice(self.marketplace_ids),
            created=when,
            modified=when,
            items=None,
            order_id=None,
            prime=rng.random() < 0.4,
            rng=rng,
        )
        self._store(record)

    def _live_change(self, rng: random.Random, when: datetime) -> None:
        moves = {
            ("PENDING", "MERCHANT"): (("UNSHIPPED", 85), ("CANCELLED", 15)),
            ("PENDING", "AMAZON"): (("SHIPPED", 85), ("CANCELLED", 15)),
            ("UNSHIPPED", "MERCHANT"): (("SHIPPED", 50), ("CANCELLED", 5), ("UNSHIPPED", 45)),
        }
        ids = list(self._by_order_id.values())
        # Look for an open order; give up quietly when there is none.
        record = self.store.pick(rng, ids, lambda r: (r.status, r.fulfilled_by) in moves)
        if record is None:
            return
        options = moves[(record.status, record.fulfilled_by)]
        target = rng.choices([s for s, _ in options], [w for _, w in options])[0]
        if target == record.status:
            return
        if target == "CANCELLED":
            record.cancelled_by = "BUYER"
        self._move(record, target, when, rng)

    # -- internals ---------------------------------------------------------------------------

    def _store(self, record: AmazonOrderRecord) -> None:
        if record.order_id in self._by_order_id:
            raise ValueError(f"order {record.order_id} already exists")
        self.store.add(record)
        self._by_order_id[record.order_id] = record.id

    def _new_order_id(self, marketplace_id: str, rng: random.Random) -> str:
        prefixes = _ORDER_ID_PREFIX[MARKETPLACES[marketplace_id].region]
        while True:
            candidate = (
                f"{rng.choice(prefixes)}-{rng.randint(0, 9_999_999):07d}-"
                f"{rng.randint(0, 9_999_999):07d}"
            )
            if candidate not in self._by_order_id:
                return candidate

    def _new_item_id(self, rng: random.Random) -> str:
        with self._helper_lock:
            self._item_ids += 1
            return f"{rng.randint(10, 99)}{self._item_ids:06d}{rng.randint(0, 999_999):06d}"

    def _new_record(
        self,
        *,
        status: str,
        fulfilled_by: str,
        marketplace_id: str,
        created: datetime | None,
        modified: datetime | None,
        items: Sequence[tuple[str | None, int]] | None,
        order_id: str | None,
        prime: bool,
        rng: random.Random,
    ) -> AmazonOrderRecord:
        if marketplace_id not in MARKETPLACES:
            raise ValueError(f"unknown marketplace id {marketplace_id!r}")
        market = MARKETPLACES[marketplace_id]
        created_at = self.store.moment(created)
        modified_at = whole_seconds(modified) if modified is not None else created_at
        scale = Decimal(150) if market.currency == "JPY" else Decimal(1)
        if items is None:
            picked: list[tuple[_Product, int]] = []
            for _ in range(rng.choices((1, 2, 3), (70, 22, 8))[0]):
                product = rng.choices(CATALOG, cum_weights=_CATALOG_CUM)[0]
                if all(product is not p for p, _ in picked):
                    picked.append((product, rng.choices((1, 2, 3), (80, 15, 5))[0]))
        else:
            picked = []
            for sku, quantity in items:
                if sku is None:
                    picked.append((CATALOG[-1], quantity))
                else:
                    asin = f"B0SIM{zlib.crc32(sku.encode()) % 100000:05d}"
                    product = _BY_SKU.get(sku) or _Product(sku, asin, f"Item {sku}", Decimal(10))
                    picked.append((product, quantity))
        record_items = [
            AmazonItem(
                order_item_id=self._new_item_id(rng),
                sku=product.sku,
                asin=product.asin,
                title=product.title,
                quantity=quantity,
                unit_price=(product.price * scale).quantize(
                    Decimal(1) if market.currency == "JPY" else Decimal("0.01")
                ),
            )
            for product, quantity in picked
        ]
        merchant = fulfilled_by == "MERCHANT"
        shipping = Decimal(0)
        if merchant and not prime:
            shipping = Decimal(599) if market.currency == "JPY" else Decimal("4.99")
        record = AmazonOrderRecord(
            id=self.store.next_id(),
            created=created_at,
            modified=modified_at,
            status="UNSHIPPED" if status in ("SHIPPED", "PARTIALLY_SHIPPED") else status,
            order_id=order_id or self._new_order_id(marketplace_id, rng),
            marketplace_id=marketplace_id,
            fulfilled_by=fulfilled_by,
            items=record_items,
            currency=market.currency,
            shipping=shipping,
            service_level=rng.choices(
                [s for s, _ in _SERVICE_LEVELS], [w for _, w in _SERVICE_LEVELS]
            )[0],
            prime=prime,
            seed=rng.getrandbits(48),
        )
        if status in ("SHIPPED", "PARTIALLY_SHIPPED"):
            self._ship(record, modified_at, rng, partial=status == "PARTIALLY_SHIPPED")
        if status == "CANCELLED":
            record.cancelled_by = rng.choice(("BUYER", "BUYER", "MERCHANT"))
        return record

    def _ship(
        self, record: AmazonOrderRecord, when: datetime, rng: random.Random, *, partial: bool
    ) -> None:
        """Mark items shipped (``partial``: the first item only, or all but one unit of a
        single item); merchant orders get a Seller Central package."""
        left = [(i.order_item_id, i.quantity - i.shipped) for i in record.items]
        left = [(item_id, quantity) for item_id, quantity in left if quantity > 0]
        if not left:
            return
        shipped = left
        if partial and len(left) > 1:
            shipped = left[:1]
        elif partial and left[0][1] > 1:
            shipped = [(left[0][0], left[0][1] - 1)]
        if record.fulfilled_by == "MERCHANT":
            reference = str(max((int(r) for r in record.packages), default=0) + 1)
            record.packages[reference] = AmazonPackage(
                package_reference_id=reference,
                carrier_code=rng.choice(("UPS", "USPS", "FedEx", "DHL")),
                carrier_name=None,
                shipping_method=None,
                tracking_number=f"1Z{rng.getrandbits(48):012X}",
                ship_date=_iso(when),
                items=tuple(shipped),
                created=when,
                updated=when,
            )
            record.status = "UNSHIPPED"
            self._recount(record)
            return
        quantities = dict(shipped)
        for item in record.items:
            item.shipped += quantities.get(item.order_item_id, 0)
        done = all(i.shipped >= i.quantity for i in record.items)
        record.status = "SHIPPED" if done else "PARTIALLY_SHIPPED"

    def _move(
        self, record: AmazonOrderRecord, status: str, when: datetime | None, rng: random.Random
    ) -> None:
        moment = self.store.moment(when)
        if status in ("SHIPPED", "PARTIALLY_SHIPPED"):
            if record.status in ("PENDING", "PENDING_AVAILABILITY"):
                record.status = "UNSHIPPED"
            self._ship(record, moment, rng, partial=status == "PARTIALLY_SHIPPED")
        else:
            record.status = status
        self.store.touch(record.id, moment)


def _render_package(package: AmazonPackage) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "packageReferenceId": package.package_reference_id,
        "createdTime": _iso(package.created),
        "packageStatus": {"status": "SHIPPED"},
        "carrier": package.carrier_name or package.carrier_code,
        "shipTime": package.ship_date,
        "trackingNumber": package.tracking_number,
        "packageItems": [{"orderItemId": i, "quantity": q} for i, q in package.items],
    }
    if package.shipping_method:
        rendered["shippingService"] = package.shipping_method
    return rendered


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
