"""A simulated WooCommerce store: the REST API v3 order endpoints, faithful to the official
documentation (``wc-v3-orders.md``, ``wc-v3-order-notes.md``, ``wc-v3-introduction.md``,
``wc-v3-authentication.md``) and to what WordPress does where the documentation is silent.

Routes (below ``/wp-json/wc/v3``):

- ``GET /orders``: list, with ``page``, ``per_page`` (1..100, default 10), ``offset``,
  ``after``/``before``/``modified_after``/``modified_before``, ``dates_are_gmt``, ``status``
  (``any`` by default, comma list or ``status[]``), ``include``, ``exclude``, ``customer``,
  ``parent``, ``order`` and ``orderby``. Answers carry ``X-WP-Total``, ``X-WP-TotalPages`` and
  an RFC 5988 ``Link`` header (``first``, ``prev``, ``next``, ``last`` by default; real stores
  send only ``prev``/``next``, pass ``link_rels`` to match one).
- ``GET``/``PUT /orders/{id}``
- ``GET``/``POST /orders/{id}/notes``, ``GET``/``DELETE /orders/{id}/notes/{note_id}``
- ``GET /products`` and ``GET /products/{id}/variations`` (``page``, ``per_page``,
  ``order``): the :data:`CATALOG` the generated orders sell, and the products added with
  :meth:`add_product`

A connection check should use ``GET /orders?per_page=1``: it needs exactly the permission
the worker needs (read orders), costs one order, and is answered by every store, whereas
``/system_status`` needs a key with ``manage_woocommerce`` rights and is slow on real stores.

Date filters behave like WordPress's date query (``WP_Date_Query`` since WordPress 5.3):

- a value without a zone is taken as written;
- a value with a zone (``Z``, ``+02:00``) is first converted to the *site* timezone;
- the resulting wall-clock time is compared with the GMT column when
  ``dates_are_gmt=true``, else with the site-time column;
- comparisons are strict (``after`` is ``>``, ``before`` is ``<``) at whole seconds.

So the one reliable form is a zone-less GMT time with ``dates_are_gmt=true``. A connector
that forgets ``dates_are_gmt`` (or sends ``...Z`` with it) gets a window shifted by the
site's UTC offset (``site_utc_offset``, +02:00 by default), which is how the real trap looks.

Authentication: HTTP Basic with the consumer key and secret, or the ``consumer_key`` and
``consumer_secret`` query parameters. Basic is accepted over plain HTTP too (the simulator
stands in for a store behind TLS; OAuth 1.0a for plain HTTP is not simulated). Errors use
WordPress's body, ``{"code", "message", "data": {"status"}}``.

WooCommerce documents no rate limit for ``wc/v3``, so none is enforced unless a test sets
one (``sim.rate_limits.set("orders.list", RateLimit(...))``); the 429 body then follows the
Store API limiter's wording.
"""

from __future__ import annotations

import hmac
import random
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any, Literal
from urllib.parse import urlencode

from orderhub.sdk.clock import Clock
from orderhub.testing.sim import (
    LiveFeed,
    OrderStore,
    Route,
    SimRecord,
    SimRequest,
    SimResponse,
    SimulatedApi,
    copy_json,
    creation_times,
    deep_merge,
    modified_later,
    page_number_slice,
    route,
    whole_seconds,
)

__all__ = [
    "CATALOG",
    "WOO_STATUSES",
    "Product",
    "SimulatedWooCommerce",
    "WooNote",
    "WooOrderRecord",
]

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
# The ``status`` list filter also takes ``any`` (every status except trash).
_LIST_STATUSES = ("any", *WOO_STATUSES)
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
_ORDERBY = ("date", "id", "include", "title", "slug")
_NOTE_TYPES = ("any", "customer", "internal")
_WP_DATE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$"
)
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
# Relative popularity of the catalog entries (the card without a SKU is rare).
_WEIGHTS = (8, 12, 9, 6, 10, 6, 4, 4, 5, 5, 5, 3, 6, 1)
_CATALOG_CUM = tuple(accumulate(_WEIGHTS))

_FIRST = (
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas",
    "Katrin", "Lukas", "Marie", "Noah", "Olivia", "Paul", "Quentin", "Rosa", "Sofia", "Tom",
    "Ulla", "Victor", "Wiebke", "Xaver", "Yara", "Zoe", "Liam", "Chloé", "Mateo", "Aoife",
)  # fmt: skip
_LAST = (
    "Müller", "Schmidt", "Dubois", "Martin", "de Vries", "Jansen", "Rossi", "Bianchi",
    "García", "López", "Murphy", "Kelly", "Novak", "Wagner", "Becker", "Hoffmann", "Laurent",
    "Bakker", "Visser", "Conti", "Fernández", "Byrne", "Peeters", "Maes", "Gruber", "Huber",
    "Weber", "Moreau", "Smit", "Ricci",
)  # fmt: skip
# (street, city, state, postcode, country, phone prefix)
_PLACES = (
    ("Lindenstraße", "Berlin", "BE", "10115", "DE", "+49 30"),
    ("Schillerweg", "Hamburg", "HH", "20095", "DE", "+49 40"),
    ("Maximilianstraße", "München", "BY", "80539", "DE", "+49 89"),
    ("Rue de Rivoli", "Paris", "75", "75001", "FR", "+33 1"),
    ("Rue Victor Hugo", "Lyon", "69", "69002", "FR", "+33 4"),
    ("Prinsengracht", "Amsterdam", "NH", "1015 DZ", "NL", "+31 20"),
    ("Coolsingel", "Rotterdam", "ZH", "3011 AD", "NL", "+31 10"),
    ("Mariahilfer Straße", "Wien", "", "1070", "AT", "+43 1"),
    ("Rue Neuve", "Bruxelles", "", "1000", "BE", "+32 2"),
    ("Grafton Street", "Dublin", "D", "D02 X285", "IE", "+353 1"),
    ("Calle Mayor", "Madrid", "M", "28013", "ES", "+34 91"),
    ("Via Roma", "Torino", "TO", "10121", "IT", "+39 011"),
)
_PAYMENTS = (
    ("stripe", "Credit Card (Stripe)", "pi_"),
    ("paypal", "PayPal", "PAY-"),
    ("bacs", "Direct bank transfer", ""),
    ("cod", "Cash on delivery", ""),
)
_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Safari/605.1.15",
)
_GENERATED_STATUSES = (
    ("processing", 50),
    ("completed", 25),
    ("on-hold", 7),
    ("pending", 7),
    ("cancelled", 4),
    ("refunded", 3),
    ("failed", 3),
    ("checkout-draft", 1),
)
_TAX_RATE = Decimal("0.20")
_FLAT_SHIPPING = Decimal("4.90")
_FREE_SHIPPING_FROM = Decimal("60.00")

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


@dataclass(frozen=True)
class _ListQuery:
    """The normalised filter part of a list request (the cache key of the store)."""

    statuses: frozenset[str] | None
    after: datetime | None
    before: datetime | None
    modified_after: datetime | None
    modified_before: datetime | None
    include: tuple[int, ...]
    exclude: frozenset[int]
    customer: int | None
    parent: frozenset[int]
    orderby: str
    descending: bool


def _money(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _wall(value: datetime | None) -> str | None:
    """WooCommerce's date format: ``YYYY-MM-DDTHH:MM:SS`` without a zone."""
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S")


def _wp_list(items: Sequence[str]) -> str:
    """WordPress's ``%l`` list format: ``a, b, and c``."""
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + ", and " + items[-1]


def _as_int(text: str) -> int | None:
    """WordPress's integer check (``rest_is_integer``): digits, or an integral number."""
    try:
        number = float(text)
    except ValueError:
        return None
    if not number.is_integer():  # also refuses NaN and infinity
        return None
    return int(number)


def _as_bool(value: Any) -> bool | None:
    """WordPress's boolean check (``rest_is_boolean``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value in (0, 1) and bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return None


class SimulatedWooCommerce(SimulatedApi):
    """A WooCommerce store at ``/wp-json/wc/v3``.

    ``consumer_key``/``consumer_secret`` are the accepted credentials and ``permissions``
    their access level (``read``, ``write`` or ``read_write``). ``seed`` makes generated
    orders reproducible. ``site_utc_offset`` is the store's timezone (fixed, no DST),
    ``currency`` its currency. ``store_url`` is the site address used in the ``_links`` of
    orders returned by the helpers (answers to requests link to the URL the client used).

    Test helpers: :meth:`add_order`, :meth:`modify_order`, :meth:`set_status`,
    :meth:`generate`, :meth:`add_malformed_order`, :meth:`add_note`, :meth:`order`,
    :meth:`notes`, :meth:`repeat_next_link`, :meth:`start_live`. All are thread-safe.
    """

    base_path = "/wp-json/wc/v3"

    def __init__(
        self,
        clock: Clock,
        *,
        consumer_key: str = "ck_test",
        consumer_secret: str = "cs_test",  # noqa: S107 - the simulator's test credential
        seed: int = 0,
        site_utc_offset: timedelta = timedelta(hours=2),
        currency: str = "EUR",
        permissions: Literal["read", "write", "read_write"] = "read_write",
        link_rels: Sequence[str] = ("first", "prev", "next", "last"),
        wc_version: str = "8.5.2",
        store_url: str = "https://shop.example",
    ) -> None:
        super().__init__(clock)
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.permissions = permissions
        self.site_tz = timezone(site_utc_offset)
        self.currency = currency
        self.link_rels = tuple(link_rels)
        self.wc_version = wc_version
        self.store_url = store_url.rstrip("/")
        self.seed = seed
        self.store: OrderStore[WooOrderRecord] = OrderStore(clock, first_id=1001)
        self._rng = random.Random(seed)
        self._notes: dict[int, list[WooNote]] = {}
        self._next_note_id = 501
        self._repeat_link = 0
        self._ids: list[int] = []  # every order id, for the live feed's random picks
        self._helper_lock = threading.RLock()
        self._extra_products: list[dict[str, Any]] = []

    # -- errors --------------------------------------------------------------------------------

    def error_response(
        self, status: int, code: str, message: str, extra: dict[str, Any] | None = None
    ) -> SimResponse:
        data: dict[str, Any] = {"status": status}
        data.update(extra or {})
        return SimResponse.json(status, {"code": code, "message": message, "data": data})

    def no_route(self, request: SimRequest) -> SimResponse:
        return self.error_response(
            404, "rest_no_route", "No route was found matching the URL and request method"
        )

    def status_error(self, status: int) -> SimResponse:
        if status == 429:
            return self.error_response(
                429,
                "rate_limit_exceeded",
                "Too many requests. Please wait a moment before trying again.",
            )
        if status == 500:
            return self.error_response(
                500, "internal_server_error", "There has been a critical error on this website."
            )
        return super().status_error(status)

    def throttle_response(
        self, request: SimRequest, operation: str, retry_after: float
    ) -> SimResponse:
        seconds = max(1, int(retry_after + 0.999))
        response = self.error_response(
            429,
            "rate_limit_exceeded",
            f"Too many requests. Please wait {seconds} seconds before trying again.",
        )
        response.headers["Retry-After"] = str(seconds)
        return response

    def _invalid_params(self, problems: dict[str, str]) -> SimResponse:
        return self.error_response(
            400,
            "rest_invalid_param",
            "Invalid parameter(s): " + ", ".join(problems),
            {"params": problems},
        )

    # -- authentication ------------------------------------------------------------------------

    def authenticate(self, request: SimRequest, route: Route) -> SimResponse | None:
        """Refuse wrong credentials at once (as WooCommerce's authentication filter does);
        requests without credentials go on and are refused by the route's permission check
        (after parameter validation, as in WordPress)."""
        credentials = request.basic_auth()
        if credentials is None:
            key, secret = request.param("consumer_key"), request.param("consumer_secret")
            if key and secret:
                credentials = (key, secret)
        request.context["user"] = None
        if credentials is None or not credentials[0] or not credentials[1]:
            return None
        key, secret = credentials
        if not hmac.compare_digest(key.encode(), self.consumer_key.encode()):
            return self._auth_error("Consumer key is invalid.")
        if not hmac.compare_digest(secret.encode(), self.consumer_secret.encode()):
            return self._auth_error("Consumer secret is invalid.")
        writing = request.method in ("POST", "PUT", "PATCH", "DELETE")
        if writing and "write" not in self.permissions:
            return self._auth_error("The API key provided does not have write permissions.")
        if not writing and "read" not in self.permissions:
            return self._auth_error("The API key provided does not have read permissions.")
        request.context["user"] = "api-key"
        return None

    def _auth_error(self, message: str) -> SimResponse:
        return self.error_response(401, "woocommerce_rest_authentication_error", message)

    def _denied(self, request: SimRequest, code: str, message: str) -> SimResponse | None:
        if request.context.get("user") is None:
            return self.error_response(401, code, message)
        return None

    # -- list ----------------------------------------------------------------------------------

    @route("GET", "/orders", operation="orders.list")
    def list_orders(self, request: SimRequest) -> SimResponse:
        """``GET /orders``."""
        parsed = self._parse_list(request)
        if isinstance(parsed, SimResponse):
            return parsed
        query, page_number, per_page, offset = parsed
        denied = self._denied(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
        )
        if denied is not None:
            return denied
        matches = self._query(query)
        page = page_number_slice(matches, max(page_number, 1), per_page)
        items = matches[offset : offset + per_page] if offset is not None else page.items
        body = [self._render(record, request.base_url) for record in items]
        headers = {
            "X-WP-Total": str(page.total),
            "X-WP-TotalPages": str(page.total_pages),
        }
        link = self._link_header(request, page_number, page.total_pages)
        if link:
            headers["Link"] = link
        return SimResponse.json(200, body, headers=headers)

    def _parse_list(
        self, request: SimRequest
    ) -> SimResponse | tuple[_ListQuery, int, int, int | None]:
        problems: dict[str, str] = {}

        def integer(name: str, default: int | None, low: int | None, high: int | None) -> Any:
            raw = request.param(name)
            if raw is None:
                return default
            value = _as_int(raw)
            if value is None:
                problems[name] = f"{name} is not of type integer."
            elif high is not None and low is not None and not low <= value <= high:
                problems[name] = f"{name} must be between {low} (inclusive) and {high} (inclusive)"
            elif low is not None and value < low:
                problems[name] = f"{name} must be greater than or equal to {low}"
            return value

        page = integer("page", 1, 1, None)
        per_page = integer("per_page", 10, 1, 100)
        offset = integer("offset", None, None, None)

        gmt = False
        if request.has_param("dates_are_gmt"):
            flag = _as_bool(request.param("dates_are_gmt", ""))
            if flag is None:
                problems["dates_are_gmt"] = "dates_are_gmt is not of type boolean."
            else:
                gmt = flag
        dates: dict[str, datetime | None] = {}
        for name in ("after", "before", "modified_after", "modified_before"):
            raw = request.param(name)
            if raw is None:
                dates[name] = None
                continue
            wall = self._wall_clock(raw)
            if wall is None:
                problems[name] = "Invalid date."
                dates[name] = None
            else:
                # The wall-clock value is compared with the GMT or the site-time column; as
                # a UTC instant that is the value itself, or the value minus the offset.
                offset_td = timedelta(0) if gmt else self.site_tz.utcoffset(None)
                dates[name] = wall.replace(tzinfo=UTC) - offset_td

        statuses: frozenset[str] | None = None
        raw_statuses = self._list_param(request, "status")
        if raw_statuses:
            for index, value in enumerate(raw_statuses):
                if value not in _LIST_STATUSES:
                    problems[f"status[{index}]"] = (
                        f"status[{index}] is not one of {_wp_list(_LIST_STATUSES)}."
                    )
            if "any" not in raw_statuses:
                statuses = frozenset(raw_statuses)
        id_lists: dict[str, list[int]] = {}
        for name in ("include", "exclude", "parent"):
            values: list[int] = []
            for index, value in enumerate(self._list_param(request, name)):
                number = _as_int(value)
                if number is None:
                    problems[f"{name}[{index}]"] = f"{name}[{index}] is not of type integer."
                else:
                    values.append(number)
            id_lists[name] = values
        customer = integer("customer", None, None, None)
        orderby = request.param("orderby", "date") or "date"
        if orderby not in _ORDERBY:
            problems["orderby"] = f"orderby is not one of {_wp_list(_ORDERBY)}."
        order = request.param("order", "desc") or "desc"
        if order not in ("asc", "desc"):
            problems["order"] = "order is not one of asc and desc."
        if problems:
            return self._invalid_params(problems)
        query = _ListQuery(
            statuses=statuses,
            after=dates["after"],
            before=dates["before"],
            modified_after=dates["modified_after"],
            modified_before=dates["modified_before"],
            include=tuple(id_lists["include"]),
            exclude=frozenset(id_lists["exclude"]),
            customer=customer,
            parent=frozenset(id_lists["parent"]),
            orderby=orderby,
            descending=order == "desc",
        )
        return query, page, per_page, offset

    @staticmethod
    def _list_param(request: SimRequest, name: str) -> list[str]:
        """A WordPress array parameter: ``a,b`` or ``name[]=a&name[]=b``."""
        values: list[str] = []
        for raw in request.params(name):
            values.extend(part.strip() for part in raw.split(",") if part.strip())
        return values

    def _wall_clock(self, raw: str) -> datetime | None:
        """The naive site-or-GMT wall-clock time WordPress compares, or None if invalid."""
        found = _WP_DATE.match(raw.strip())
        if found is None:
            return None
        year, month, day, hour, minute, second = (int(found.group(i)) for i in range(1, 7))
        try:
            value = datetime(year, month, day, hour, minute, second)  # noqa: DTZ001
        except ValueError:
            return None
        if found.group(7):  # Z: converted to the site timezone before comparing
            return value.replace(tzinfo=UTC).astimezone(self.site_tz).replace(tzinfo=None)
        if found.group(8):
            sign = 1 if found.group(8) == "+" else -1
            shift = timedelta(hours=int(found.group(9)), minutes=int(found.group(10) or 0))
            zone = timezone(sign * shift)
            return value.replace(tzinfo=zone).astimezone(self.site_tz).replace(tzinfo=None)
        return value

    def _query(self, query: _ListQuery) -> list[WooOrderRecord]:
        def keep(record: WooOrderRecord) -> bool:
            if query.statuses is None:
                if record.status == "trash":
                    return False
            elif record.status not in query.statuses:
                return False
            if query.after is not None and not record.created > query.after:
                return False
            if query.before is not None and not record.created < query.before:
                return False
            if query.modified_after is not None and not record.modified > query.modified_after:
                return False
            if query.modified_before is not None and not record.modified < query.modified_before:
                return False
            if query.include and record.id not in query.include:
                return False
            if record.id in query.exclude:
                return False
            if query.customer is not None and record.customer_id != query.customer:
                return False
            return not query.parent or 0 in query.parent

        sort_key: Callable[[WooOrderRecord], tuple[object, ...]]
        if query.orderby == "id":
            sort_key = _by_id
        elif query.orderby == "include":
            position = {order_id: index for index, order_id in enumerate(query.include)}
            sort_key = lambda r: (position.get(r.id, len(position)), r.id)  # noqa: E731
        else:  # date; title and slug sort like date (an order's title is its date)
            sort_key = _by_created
        descending = query.descending and query.orderby != "include"
        return self.store.query(query, keep, sort_key, reverse=descending)

    def _link_header(self, request: SimRequest, page: int, total_pages: int) -> str:
        with self._helper_lock:
            repeat = self._repeat_link > 0 and page < total_pages
            if repeat:
                self._repeat_link -= 1
        base = request.base_url + request.path

        def url(number: int) -> str:
            params = {k: list(v) for k, v in request.query.items() if k != "page"}
            params["page"] = [str(number)]
            return f"{base}?{urlencode(params, doseq=True)}"

        links: list[tuple[str, int]] = []
        if "first" in self.link_rels and total_pages > 0:
            links.append(("first", 1))
        if "prev" in self.link_rels and page > 1:
            links.append(("prev", min(page - 1, total_pages)))
        if "next" in self.link_rels and page < total_pages:
            links.append(("next", page if repeat else page + 1))
        if "last" in self.link_rels and total_pages > 0:
            links.append(("last", total_pages))
        return ", ".join(f'<{url(number)}>; rel="{rel}"' for rel, number in links)

    # -- single orders -------------------------------------------------------------------------

    @route("GET", "/orders/{id:int}", operation="orders.get")
    def get_order(self, request: SimRequest) -> SimResponse:
        """``GET /orders/{id}``."""
        denied = self._denied(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."
        )
        if denied is not None:
            return denied
        record = self.store.get(int(request.path_params["id"]))
        if record is None:
            return self.error_response(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return SimResponse.json(200, self._render(record, request.base_url))

    @route("PUT", "/orders/{id:int}", operation="orders.update")
    @route("POST", "/orders/{id:int}", operation="orders.update")
    @route("PATCH", "/orders/{id:int}", operation="orders.update")
    def update_order(self, request: SimRequest) -> SimResponse:
        """``PUT /orders/{id}``: ``status``, ``set_paid``, ``customer_note``,
        ``transaction_id``, ``billing``, ``shipping`` and ``meta_data`` are applied; other
        fields are ignored. ``date_modified`` moves only when something changed."""
        payload = self._json_body(request)
        if isinstance(payload, SimResponse):
            return payload
        if "status" in payload and payload["status"] not in WOO_STATUSES:
            return self._invalid_params(
                {"status": f"status is not one of {_wp_list(WOO_STATUSES)}."}
            )
        denied = self._denied(
            request,
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        )
        if denied is not None:
            return denied
        order_id = int(request.path_params["id"])
        record = self.store.get(order_id)
        if record is None:
            return self.error_response(400, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        changes: dict[str, Any] = {}
        for key in ("customer_note", "transaction_id", "billing", "shipping"):
            if key in payload:
                changes[key] = payload[key]
        if isinstance(payload.get("meta_data"), list):
            changes["meta_data"] = self._merged_meta(record, payload["meta_data"])
        status = payload.get("status")
        if _as_bool(payload.get("set_paid", False)) and status is None:
            status = "processing"
        self._apply(record, status=status, changes=changes, when=None)
        return SimResponse.json(200, self._render(record, request.base_url))

    def _merged_meta(self, record: WooOrderRecord, updates: list[Any]) -> list[dict[str, Any]]:
        current: list[dict[str, Any]] = list(self._render(record, "")["meta_data"])
        for item in updates:
            if not isinstance(item, dict) or "key" not in item:
                continue
            for existing in current:
                if existing["key"] == item["key"]:
                    existing["value"] = item.get("value")
                    break
            else:
                current.append(
                    {
                        "id": record.id * 100 + 80 + len(current),
                        "key": item["key"],
                        "value": item.get("value"),
                    }
                )
        return current

    def _json_body(self, request: SimRequest) -> dict[str, Any] | SimResponse:
        if not request.body.strip():
            return {}
        try:
            payload = request.json()
        except ValueError:
            return self.error_response(400, "rest_invalid_json", "Invalid JSON body passed.")
        if not isinstance(payload, dict):
            return self.error_response(400, "rest_invalid_json", "Invalid JSON body passed.")
        return payload

    # -- notes ---------------------------------------------------------------------------------

    @route("GET", "/orders/{id:int}/notes", operation="notes.list")
    def list_notes(self, request: SimRequest) -> SimResponse:
        """``GET /orders/{id}/notes`` (newest first; ``type`` any, customer or internal)."""
        note_type = request.param("type", "any") or "any"
        if note_type not in _NOTE_TYPES:
            return self._invalid_params({"type": f"type is not one of {_wp_list(_NOTE_TYPES)}."})
        denied = self._denied(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
        )
        if denied is not None:
            return denied
        order_id = int(request.path_params["id"])
        if order_id not in self.store:
            return self.error_response(
                404, "woocommerce_rest_order_invalid_id", "Invalid order ID."
            )
        notes = [
            n
            for n in self._notes.get(order_id, [])
            if note_type == "any" or n.customer_note == (note_type == "customer")
        ]
        notes.sort(key=lambda n: (n.created, n.id), reverse=True)
        return SimResponse.json(200, [self._render_note(n, request.base_url) for n in notes])

    @route("POST", "/orders/{id:int}/notes", operation="notes.create")
    def create_note(self, request: SimRequest) -> SimResponse:
        """``POST /orders/{id}/notes``: 201 with the note and a ``Location`` header."""
        payload = self._json_body(request)
        if isinstance(payload, SimResponse):
            return payload
        if not isinstance(payload.get("note"), str) or not payload["note"]:
            return self.error_response(
                400,
                "rest_missing_callback_param",
                "Missing parameter(s): note",
                {"params": ["note"]},
            )
        customer_note = _as_bool(payload.get("customer_note", False))
        if customer_note is None:
            return self._invalid_params({"customer_note": "customer_note is not of type boolean."})
        denied = self._denied(
            request,
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        )
        if denied is not None:
            return denied
        order_id = int(request.path_params["id"])
        if order_id not in self.store:
            return self.error_response(
                404, "woocommerce_rest_order_invalid_id", "Invalid order ID."
            )
        by_user = _as_bool(payload.get("added_by_user", False)) is True
        note = self._add_note(
            order_id, payload["note"], customer_note, "shop-manager" if by_user else "system", None
        )
        location = f"{request.base_url}{self.base_path}/orders/{order_id}/notes/{note.id}"
        return SimResponse.json(
            201, self._render_note(note, request.base_url), {"Location": location}
        )

    @route("GET", "/orders/{id:int}/notes/{note_id:int}", operation="notes.get")
    def get_note(self, request: SimRequest) -> SimResponse:
        """``GET /orders/{id}/notes/{note_id}``."""
        denied = self._denied(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."
        )
        if denied is not None:
            return denied
        found = self._find_note(request)
        if isinstance(found, SimResponse):
            return found
        return SimResponse.json(200, self._render_note(found, request.base_url))

    @route("DELETE", "/orders/{id:int}/notes/{note_id:int}", operation="notes.delete")
    def delete_note(self, request: SimRequest) -> SimResponse:
        """``DELETE /orders/{id}/notes/{note_id}?force=true`` (``force`` is required)."""
        denied = self._denied(
            request,
            "woocommerce_rest_cannot_delete",
            "Sorry, you are not allowed to delete this resource.",
        )
        if denied is not None:
            return denied
        found = self._find_note(request)
        if isinstance(found, SimResponse):
            return found
        if _as_bool(request.param("force", "false")) is not True:
            return self.error_response(
                501,
                "woocommerce_rest_trash_not_supported",
                "The resource does not support trashing.",
            )
        self._notes[found.order_id].remove(found)
        return SimResponse.json(200, self._render_note(found, request.base_url))

    def _find_note(self, request: SimRequest) -> WooNote | SimResponse:
        order_id = int(request.path_params["id"])
        if order_id not in self.store:
            return self.error_response(
                404, "woocommerce_rest_order_invalid_id", "Invalid order ID."
            )
        note_id = int(request.path_params["note_id"])
        for note in self._notes.get(order_id, []):
            if note.id == note_id:
                return note
        return self.error_response(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")

    def _add_note(
        self, order_id: int, text: str, customer_note: bool, author: str, when: datetime | None
    ) -> WooNote:
        with self._helper_lock:
            note = WooNote(
                id=self._next_note_id,
                order_id=order_id,
                author=author,
                created=self.store.moment(when),
                note=text,
                customer_note=customer_note,
            )
            self._next_note_id += 1
            self._notes.setdefault(order_id, []).append(note)
            return note

    def _render_note(self, note: WooNote, base_url: str) -> dict[str, Any]:
        root = f"{base_url}{self.base_path}/orders/{note.order_id}"
        return {
            "id": note.id,
            "author": note.author,
            "date_created": _wall(note.created.astimezone(self.site_tz)),
            "date_created_gmt": _wall(note.created),
            "note": note.note,
            "customer_note": note.customer_note,
            "_links": {
                "self": [{"href": f"{root}/notes/{note.id}"}],
                "collection": [{"href": f"{root}/notes"}],
                "up": [{"href": root}],
            },
        }

    # -- products ------------------------------------------------------------------------------

    @route("GET", "/products", operation="products.list")
    def list_products(self, request: SimRequest) -> SimResponse:
        """``GET /products``: simple and variable products, by id."""
        return self._product_page(request, self._product_list())

    @route("GET", "/products/{id:int}/variations", operation="variations.list")
    def list_variations(self, request: SimRequest) -> SimResponse:
        """``GET /products/{id}/variations``."""
        product_id = int(request.path_params["id"])
        if not any(p["id"] == product_id for p in self._product_list()):
            return self.error_response(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        variations = [
            self._render_variation(product)
            for product in CATALOG
            if product.product_id == product_id and product.variation_id
        ]
        return self._product_page(request, variations)

    def _product_page(self, request: SimRequest, items: list[dict[str, Any]]) -> SimResponse:
        problems: dict[str, str] = {}
        page, per_page = (
            _as_int(request.param("page") or "1"),
            _as_int(request.param("per_page") or "10"),
        )
        if page is None or page < 1:
            problems["page"] = "page must be greater than or equal to 1"
        if per_page is None or not 1 <= per_page <= 100:
            problems["per_page"] = "per_page must be between 1 (inclusive) and 100 (inclusive)"
        if problems or page is None or per_page is None:
            return self._invalid_params(problems)
        denied = self._denied(
            request, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
        )
        if denied is not None:
            return denied
        ordered = sorted(items, key=lambda item: int(item["id"]))
        if (request.param("order") or "desc") == "desc":
            ordered.reverse()
        chunk = page_number_slice(ordered, page, per_page)
        headers = {"X-WP-Total": str(chunk.total), "X-WP-TotalPages": str(chunk.total_pages)}
        return SimResponse.json(200, chunk.items, headers=headers)

    def add_product(
        self, name: str, sku: str, *, gtin: str = "", price: Decimal = Decimal("10.00")
    ) -> dict[str, Any]:
        """Add a simple product to the shop's product list and return its JSON. Orders
        are not affected (use ``add_order(lines=[(sku, quantity)])`` to sell it)."""
        with self._helper_lock:
            product_id = 5000 + len(self._extra_products)
            product = self._product_json(
                product_id, name, sku, kind="simple", price=price, gtin=gtin
            )
            self._extra_products.append(product)
            rendered: dict[str, Any] = copy_json(product)
            return rendered

    def _product_list(self) -> list[dict[str, Any]]:
        products: dict[int, dict[str, Any]] = {}
        for item in CATALOG:
            if item.product_id in products:
                products[item.product_id]["variations"].append(item.variation_id)
            elif item.variation_id:
                base = item.name.split(" - ")[0]
                parent_sku = item.sku.rsplit("-", 1)[0]
                products[item.product_id] = self._product_json(
                    item.product_id,
                    base,
                    parent_sku,
                    kind="variable",
                    price=item.price,
                    variations=[item.variation_id],
                )
            else:
                products[item.product_id] = self._product_json(
                    item.product_id, item.name, item.sku, kind="simple", price=item.price
                )
        with self._helper_lock:
            return list(products.values()) + [copy_json(p) for p in self._extra_products]

    def _product_json(
        self,
        product_id: int,
        name: str,
        sku: str,
        *,
        kind: str,
        price: Decimal,
        gtin: str = "",
        variations: list[int] | None = None,
    ) -> dict[str, Any]:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        stamp = "2026-01-05T10:00:00"
        return {
            "id": product_id,
            "name": name.replace("&", "&amp;"),  # WordPress stores names HTML-escaped
            "slug": slug,
            "permalink": f"{self.store_url}/product/{slug}/",
            "date_created": stamp,
            "date_created_gmt": stamp,
            "date_modified": stamp,
            "date_modified_gmt": stamp,
            "type": kind,
            "status": "publish",
            "sku": sku,
            "global_unique_id": gtin,
            "price": _money(price),
            "regular_price": _money(price),
            "sale_price": "",
            "variations": list(variations or ()),
            "meta_data": [],
        }

    def _render_variation(self, product: Product) -> dict[str, Any]:
        return {
            "id": product.variation_id,
            "sku": product.sku,
            "global_unique_id": "",
            "price": _money(product.price),
            "regular_price": _money(product.price),
            "status": "publish",
            "attributes": [
                {"id": 1, "name": name.removeprefix("pa_").title(), "option": value.upper()}
                for name, value in product.attributes
            ],
            "meta_data": [],
        }

    # -- rendering -----------------------------------------------------------------------------

    def _render(self, record: WooOrderRecord, base_url: str) -> dict[str, Any]:
        """The order's JSON, shaped like the documentation's order object."""
        rng = random.Random(record.seed)
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        street, city, state, postcode, country, phone = rng.choice(_PLACES)
        house = rng.randint(1, 180)
        email = f"{first}.{last}{rng.randint(1, 99)}@example.com".lower().replace(" ", "")
        billing = {
            "first_name": first,
            "last_name": last,
            "company": rng.choice(("", "", "", "Atelier Nord", "Kite & Co")),
            "address_1": f"{street} {house}",
            "address_2": rng.choice(("", "", "", "2. OG", "Apt 4")),
            "city": city,
            "state": state,
            "postcode": postcode,
            "country": country,
            "email": email,
            "phone": f"{phone} {rng.randint(1000000, 9999999)}",
        }
        shipping = {k: v for k, v in billing.items() if k not in ("email", "phone")}
        if rng.random() < 0.15:  # ships to someone else
            street2, city2, state2, postcode2, country2, _ = rng.choice(_PLACES)
            shipping.update(
                first_name=rng.choice(_FIRST),
                address_1=f"{street2} {rng.randint(1, 90)}",
                city=city2,
                state=state2,
                postcode=postcode2,
                country=country2,
            )
        payment_method, payment_title, txn_prefix = rng.choice(_PAYMENTS)
        coupon = rng.random() < 0.1
        if record.lines is not None:
            chosen = [(_product_for(sku), qty) for sku, qty in record.lines]
        else:
            count = rng.choices((1, 2, 3, 4), cum_weights=(50, 80, 95, 100))[0]
            picks = rng.choices(CATALOG, cum_weights=_CATALOG_CUM, k=count)
            seen: dict[Product, int] = {}
            for product in picks:
                seen[product] = (
                    seen.get(product, 0) + rng.choices((1, 2, 3), cum_weights=(80, 95, 100))[0]
                )
            chosen = list(seen.items())

        line_items: list[dict[str, Any]] = []
        subtotal_sum = total_sum = subtotal_tax_sum = total_tax_sum = Decimal(0)
        for index, (product, quantity) in enumerate(chosen):
            subtotal = product.price * quantity
            total = (subtotal * Decimal("0.9")).quantize(_CENT) if coupon else subtotal
            subtotal_tax = (subtotal * _TAX_RATE).quantize(_CENT, rounding=ROUND_HALF_UP)
            total_tax = (total * _TAX_RATE).quantize(_CENT, rounding=ROUND_HALF_UP)
            subtotal_sum += subtotal
            total_sum += total
            subtotal_tax_sum += subtotal_tax
            total_tax_sum += total_tax
            price = float(product.price)
            line_items.append(
                {
                    "id": record.id * 100 + index + 1,
                    "name": product.name,
                    "product_id": product.product_id,
                    "variation_id": product.variation_id,
                    "quantity": quantity,
                    "tax_class": "",
                    "subtotal": _money(subtotal),
                    "subtotal_tax": _money(subtotal_tax),
                    "total": _money(total),
                    "total_tax": _money(total_tax),
                    "taxes": [
                        {"id": 1, "total": _money(total_tax), "subtotal": _money(subtotal_tax)}
                    ],
                    "meta_data": [
                        {"id": record.id * 100 + 50 + index * 5 + n, "key": key, "value": value}
                        for n, (key, value) in enumerate(product.attributes)
                    ],
                    "sku": product.sku,
                    # A JSON number, as in the documentation's example (integral prices
                    # appear without decimals).
                    "price": int(price) if price.is_integer() else price,
                }
            )
        shipping_total = Decimal(0) if total_sum >= _FREE_SHIPPING_FROM else _FLAT_SHIPPING
        shipping_tax = (shipping_total * _TAX_RATE).quantize(_CENT, rounding=ROUND_HALF_UP)
        cart_tax = total_tax_sum
        grand_total = total_sum + shipping_total + cart_tax + shipping_tax
        discount = subtotal_sum - total_sum
        discount_tax = subtotal_tax_sum - total_tax_sum
        created_local = record.created.astimezone(self.site_tz)
        modified_local = record.modified.astimezone(self.site_tz)
        base = f"{base_url}{self.base_path}/orders"
        links: dict[str, Any] = {
            "self": [{"href": f"{base}/{record.id}"}],
            "collection": [{"href": base}],
        }
        if record.customer_id:
            links["customer"] = [
                {"href": f"{base_url}{self.base_path}/customers/{record.customer_id}"}
            ]
        refunds: list[dict[str, Any]] = []
        if record.status == "refunded":
            refunds.append(
                {
                    "id": record.id + 1_000_000,
                    "reason": "Customer changed their mind",
                    "total": "-" + _money(grand_total),
                }
            )
        order: dict[str, Any] = {
            "id": record.id,
            "parent_id": 0,
            "number": str(record.id),
            "order_key": f"wc_order_{rng.getrandbits(52):013x}",
            "created_via": "checkout",
            "version": self.wc_version,
            "status": record.status,
            "currency": record.currency,
            "date_created": _wall(created_local),
            "date_created_gmt": _wall(record.created),
            "date_modified": _wall(modified_local),
            "date_modified_gmt": _wall(record.modified),
            "discount_total": _money(discount),
            "discount_tax": _money(discount_tax),
            "shipping_total": _money(shipping_total),
            "shipping_tax": _money(shipping_tax),
            "cart_tax": _money(cart_tax),
            "total": _money(grand_total),
            "total_tax": _money(cart_tax + shipping_tax),
            "prices_include_tax": False,
            "customer_id": record.customer_id,
            "customer_ip_address": f"203.0.113.{rng.randint(1, 254)}",
            "customer_user_agent": rng.choice(_AGENTS),
            "customer_note": rng.choice(
                ("",) * 8 + ("Please leave at the door.", "Gift, no invoice please.")
            ),
            "billing": billing,
            "shipping": shipping,
            "payment_method": payment_method,
            "payment_method_title": payment_title,
            "transaction_id": f"{txn_prefix}{rng.getrandbits(64):016x}"
            if txn_prefix and record.paid
            else "",
            "date_paid": _wall(record.paid.astimezone(self.site_tz)) if record.paid else None,
            "date_paid_gmt": _wall(record.paid),
            "date_completed": _wall(record.completed.astimezone(self.site_tz))
            if record.completed
            else None,
            "date_completed_gmt": _wall(record.completed),
            "cart_hash": f"{rng.getrandbits(128):032x}",
            "meta_data": [
                {
                    "id": record.id * 100 + 90,
                    "key": "_wc_order_attribution_source_type",
                    "value": rng.choice(("typein", "organic", "referral")),
                },
            ],
            "line_items": line_items,
            "tax_lines": [
                {
                    "id": record.id * 100 + 40,
                    "rate_code": "VAT-1",
                    "rate_id": 1,
                    "label": "VAT",
                    "compound": False,
                    "tax_total": _money(cart_tax),
                    "shipping_tax_total": _money(shipping_tax),
                    "meta_data": [],
                }
            ],
            "shipping_lines": [
                {
                    "id": record.id * 100 + 30,
                    "method_title": "Free shipping" if shipping_total == 0 else "Flat rate",
                    "method_id": "free_shipping" if shipping_total == 0 else "flat_rate",
                    "total": _money(shipping_total),
                    "total_tax": _money(shipping_tax),
                    "taxes": [{"id": 1, "total": _money(shipping_tax), "subtotal": ""}]
                    if shipping_tax
                    else [],
                    "meta_data": [],
                }
            ],
            "fee_lines": [],
            "coupon_lines": (
                [
                    {
                        "id": record.id * 100 + 20,
                        "code": "welcome10",
                        "discount": _money(discount),
                        "discount_tax": _money(discount_tax),
                        "meta_data": [],
                    }
                ]
                if coupon
                else []
            ),
            "refunds": refunds,
            "_links": links,
        }
        if record.overrides:
            deep_merge(order, copy_json(record.overrides))
        if record.malformed == "bad_quantity" and order["line_items"]:
            order["line_items"][0]["quantity"] = "two"
        elif record.malformed == "missing_modified":
            del order["date_modified_gmt"]
            del order["date_modified"]
        elif record.malformed == "bad_total":
            order["total"] = "twelve euros"
        return order

    # -- test and demo helpers -----------------------------------------------------------------

    def order(self, order_id: int) -> dict[str, Any]:
        """The order's current JSON (as ``GET /orders/{id}`` would answer). ``KeyError`` if
        there is no such order."""
        with self.lock:
            return self._render(self.store.require(order_id), self.store_url)

    def notes(self, order_id: int) -> list[dict[str, Any]]:
        """The order's notes, oldest first, as the API renders them."""
        with self.lock:
            return [self._render_note(n, self.store_url) for n in self._notes.get(order_id, [])]

    def add_order(
        self,
        *,
        status: str = "processing",
        created: datetime | None = None,
        modified: datetime | None = None,
        lines: Sequence[tuple[str, int]] | None = None,
        currency: str | None = None,
        customer_id: int | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """Create an order and return its JSON.

        ``created`` defaults to now and ``modified`` to ``created``. ``lines`` are
        ``(sku, quantity)`` pairs (catalog SKUs get their catalog name and price, unknown
        ones a made-up product at 10.00); without them the lines are generated. Other
        keyword arguments are merged over the rendered JSON (nested dicts merge, lists and
        scalars replace), e.g. ``billing={"country": "US"}``. Ids, status and dates cannot be
        overridden that way (``ValueError``): they drive filtering.
        """
        forbidden = {"id", "status"} | {k for k in overrides if k.startswith("date_")}
        clash = forbidden & overrides.keys()
        if clash:
            raise ValueError(f"use the keyword arguments, not overrides, for {sorted(clash)}")
        if status not in WOO_STATUSES:
            raise ValueError(f"unknown WooCommerce status {status!r}")
        with self.lock:
            record = self._new_record(
                status=status,
                created=created,
                modified=modified,
                lines=tuple(lines) if lines is not None else None,
                currency=currency,
                customer_id=customer_id,
                rng=self._rng,
            )
            record.overrides = overrides or None
            self.store.add(record)
            self._ids.append(record.id)
            return self._render(record, self.store_url)

    def add_malformed_order(
        self, kind: MalformedKind = "bad_quantity", **kwargs: Any
    ) -> dict[str, Any]:
        """Create an order a connector cannot normalise, and return its (broken) JSON.

        ``bad_quantity``: the first line's ``quantity`` is ``"two"``. ``missing_modified``:
        no ``date_modified``/``date_modified_gmt``. ``bad_total``: ``total`` is not a number.
        The order is still valid JSON and is listed like any other.
        """
        if kind not in ("bad_quantity", "missing_modified", "bad_total"):
            raise ValueError(f"unknown malformation {kind!r}")
        with self.lock:
            rendered = self.add_order(**kwargs)
            record = self.store.require(rendered["id"])
            record.malformed = kind
            self.store.changed()
            return self._render(record, self.store_url)

    def modify_order(
        self, order_id: int, *, when: datetime | None = None, **changes: Any
    ) -> dict[str, Any]:
        """Change an order the way a shop manager would, and bump its ``date_modified`` to
        ``when`` (default: now). ``status=...`` goes through :meth:`set_status`; other keys
        are merged over the JSON like :meth:`add_order`'s overrides. Returns the new JSON.
        ``KeyError`` for an unknown order."""
        with self.lock:
            record = self.store.require(order_id)
            status = changes.pop("status", None)
            if status is not None and status not in WOO_STATUSES:
                raise ValueError(f"unknown WooCommerce status {status!r}")
            self._apply(record, status=status, changes=changes, when=when, force=True)
            return self._render(record, self.store_url)

    def set_status(
        self, order_id: int, status: str, *, when: datetime | None = None
    ) -> dict[str, Any]:
        """Move an order to ``status`` (as the shop would: payment and completion dates are
        set, a system note records the change, ``date_modified`` moves). Returns the JSON."""
        return self.modify_order(order_id, status=status, when=when)

    def add_note(
        self, order_id: int, note: str, *, customer_note: bool = False, when: datetime | None = None
    ) -> dict[str, Any]:
        """Add a note to an order directly (for example an existing tracking note), as the
        shop's own staff would. Does not change ``date_modified`` (neither does WooCommerce).
        ``KeyError`` for an unknown order."""
        with self.lock:
            self.store.require(order_id)
            return self._render_note(
                self._add_note(order_id, note, customer_note, "shop-manager", when),
                self.store_url,
            )

    def generate(
        self,
        n: int,
        *,
        start: datetime | None = None,
        spread: timedelta = timedelta(days=1),
        currencies: Sequence[str] | None = None,
        statuses: Sequence[tuple[str, int]] | None = None,
    ) -> list[int]:
        """Create ``n`` realistic orders with creation times spread over ``[start, start +
        spread)`` (default: the ``spread`` before now), in id order. About a third are
        modified again later (never after now). ``currencies`` (default: the store's) and
        ``statuses`` (``(status, weight)`` pairs) set the mix. Returns the new ids. Fast
        enough for 100,000 orders: only compact records are stored."""
        with self.lock:
            now = self.store.now()
            rng = self._rng
            times = creation_times(rng, n, start=start, spread=spread, now=now)
            status_names = [s for s, _ in (statuses or _GENERATED_STATUSES)]
            status_cum = list(accumulate(w for _, w in (statuses or _GENERATED_STATUSES)))
            ids: list[int] = []
            for created in times:
                modified = modified_later(rng, created, now, within=timedelta(hours=6))
                record = self._new_record(
                    status=rng.choices(status_names, cum_weights=status_cum)[0],
                    created=created,
                    modified=modified,
                    lines=None,
                    currency=rng.choice(currencies) if currencies else None,
                    customer_id=None,
                    rng=rng,
                )
                self.store.add(record)
                self._ids.append(record.id)
                ids.append(record.id)
            return ids

    def repeat_next_link(self, times: int = 1) -> None:
        """Make the next ``times`` list answers that have a next page point their ``next``
        link at the page just served (a pagination loop, for loop-detection tests)."""
        with self._helper_lock:
            self._repeat_link += times

    def start_live(self, *, new_per_hour: float = 60.0, changes_per_hour: float = 30.0) -> LiveFeed:
        """Let orders arrive and change as simulated time passes (see
        :class:`~orderhub.testing.sim.store.LiveFeed`): new orders come in as pending,
        processing or on-hold; open orders get paid, completed, cancelled or refunded."""
        return self.start_live_feed(
            self._live_new,
            self._live_change,
            new_per_hour=new_per_hour,
            changes_per_hour=changes_per_hour,
            seed=self.seed + 1,
        )

    def _live_new(self, rng: random.Random, when: datetime) -> None:
        status = rng.choices(("processing", "pending", "on-hold"), (75, 15, 10))[0]
        record = self._new_record(
            status=status,
            created=when,
            modified=when,
            lines=None,
            currency=None,
            customer_id=None,
            rng=rng,
        )
        self.store.add(record)
        self._ids.append(record.id)

    def _live_change(self, rng: random.Random, when: datetime) -> None:
        moves = {
            "pending": (("processing", 70), ("cancelled", 20), ("failed", 10)),
            "on-hold": (("processing", 90), ("cancelled", 10)),
            "processing": (("completed", 95), ("refunded", 5)),
        }
        # Look for an open order; give up quietly if there is none.
        record = self.store.pick(rng, self._ids, lambda r: r.status in moves)
        if record is None:
            return
        options = moves[record.status]
        target = rng.choices([s for s, _ in options], [w for _, w in options])[0]
        self._apply(record, status=target, changes={}, when=when)

    # -- internals -----------------------------------------------------------------------------

    def _new_record(
        self,
        *,
        status: str,
        created: datetime | None,
        modified: datetime | None,
        lines: tuple[tuple[str, int], ...] | None,
        currency: str | None,
        customer_id: int | None,
        rng: random.Random,
    ) -> WooOrderRecord:
        created_at = self.store.moment(created)
        modified_at = whole_seconds(modified) if modified is not None else created_at
        paid = (
            created_at + timedelta(seconds=rng.randint(2, 40)) if status in _PAID_STATUSES else None
        )
        if paid is not None and paid > modified_at:
            paid = modified_at
        completed = modified_at if status in ("completed", "refunded") else None
        if customer_id is None:
            customer_id = rng.randint(2, 5000) if rng.random() < 0.6 else 0
        return WooOrderRecord(
            id=self.store.next_id(),
            created=created_at,
            modified=modified_at,
            status=status,
            seed=rng.getrandbits(48),
            currency=currency or self.currency,
            customer_id=customer_id,
            lines=lines,
            paid=paid,
            completed=completed,
        )

    def _apply(
        self,
        record: WooOrderRecord,
        *,
        status: str | None,
        changes: dict[str, Any],
        when: datetime | None,
        force: bool = False,
    ) -> None:
        """Apply a change; bump ``date_modified`` when something changed (or ``force``)."""
        moment = self.store.moment(when)
        changed = False
        if status is not None and status != record.status:
            old = record.status
            record.status = status
            if status in _PAID_STATUSES and record.paid is None:
                record.paid = moment
            if status == "completed":
                record.completed = moment
            if status != "trash" and old != "trash":
                self._add_note(
                    record.id,
                    f"Order status changed from {_STATUS_LABELS[old]} to {_STATUS_LABELS[status]}.",
                    False,
                    "system",
                    moment,
                )
            changed = True
        if changes:
            current = self._render(record, "")
            before = {k: current.get(k) for k in changes}
            merged: dict[str, Any] = copy_json(record.overrides or {})
            deep_merge(merged, copy_json(changes))
            record.overrides = merged
            after = self._render(record, "")
            changed = changed or any(after.get(k) != before[k] for k in changes)
        if changed or force:
            self.store.touch(record.id, moment)


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
