"""The simulated Shopify store's HTTP side: the GraphQL Admin API endpoint and the
client-credentials token endpoint, below ``/admin``.

- ``POST /admin/oauth/access_token`` (form ``grant_type=client_credentials``, ``client_id``,
  ``client_secret``): ``{"access_token", "scope", "expires_in": 86399}``; tokens expire on
  the simulator's clock.
- ``POST /admin/api/{version}/graphql.json`` (JSON ``{"query", "variables",
  "operationName"}``, header ``X-Shopify-Access-Token``): the query is parsed, validated
  against the schema subset and executed by graphql-core, so a malformed query fails here
  as it fails on Shopify (HTTP 200 with ``errors``; the messages are graphql-core's, not
  Shopify's). Every executed answer carries ``extensions.cost``; a query whose requested
  cost the bucket cannot cover is answered ``THROTTLED`` (HTTP ``throttle_status``, 200 by
  default) without running; one above 1,000 points ``MAX_COST_EXCEEDED``. A version the
  store does not serve falls back to the oldest one it does, and the served version is in
  ``X-Shopify-API-Version``; a deprecated one carries ``X-Shopify-API-Deprecated-Reason``.
  Bad tokens get 401 ``{"errors": "[API] Invalid API key or access token ..."}``.
"""

from __future__ import annotations

import hmac
import json
import random
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from graphql import (
    GraphQLError,
    OperationDefinitionNode,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from graphql.language import DocumentNode, FragmentDefinitionNode

from orderhub.sdk.clock import Clock
from orderhub.testing.sim import (
    OrderStore,
    Route,
    SimRequest,
    SimResponse,
    SimulatedApi,
    creation_times,
    route,
)
from orderhub.testing.sims.shopify import generation as gen
from orderhub.testing.sims.shopify.cost import (
    MAX_SINGLE_QUERY_COST,
    PLANS,
    CostBucket,
    query_cost,
)
from orderhub.testing.sims.shopify.records import (
    FulfillmentOrderLine,
    FulfillmentOrderRecord,
    FulfillmentRecord,
    ShopifyOrderRecord,
    Variant,
)
from orderhub.testing.sims.shopify.resolvers import Resolvers, schema

__all__ = ["DEFAULT_SCOPES", "SimulatedShopify"]

DEFAULT_SCOPES = frozenset(
    {"read_orders", "read_products", "write_merchant_managed_fulfillment_orders"}
)
_BAD_TOKEN = (  # an error message, not a secret
    "[API] Invalid API key or access token (unrecognized login or wrong password)"  # noqa: S105
)
_DOCS = "https://shopify.dev/api/usage/rate-limits"


def _pick(rng: random.Random, mix: Sequence[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in mix], [weight for _, weight in mix])[0]


class SimulatedShopify(SimulatedApi):
    """A Shopify store ``{shop}.myshopify.com`` on ``clock``.

    Credentials: ``client_id``/``client_secret`` for the client-credentials grant, and/or
    ``access_token`` (a legacy custom app's never-expiring ``shpat_`` token). ``scopes`` are
    the app's granted access scopes (add ``read_all_orders`` to see orders older than 60
    days). ``plan`` picks the cost bucket (:data:`~.cost.PLANS`). ``versions`` are the API
    versions served (oldest first), ``deprecated`` those answered with a deprecation header.

    Test helpers: :meth:`add_order`, :meth:`generate`, :meth:`add_malformed_order`,
    :meth:`cancel`, :meth:`refund_line`, :meth:`remove_line`, :meth:`fulfill`,
    :meth:`set_fulfillment_order_status`, :meth:`fulfillments`, :meth:`fulfillment_orders`,
    :meth:`start_live`, plus ``bucket`` and ``tokens_issued``.
    """

    base_path = "/admin"

    def __init__(
        self,
        clock: Clock,
        *,
        shop: str = "orderhub-demo",
        client_id: str = "shopify-client-id",
        client_secret: str = "shpss_simulated",  # noqa: S107 - the simulator's test credential
        access_token: str | None = None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        plan: str = "standard",
        seed: int = 0,
        currency: str = "EUR",
        versions: Sequence[str] = ("2026-01", "2026-04", "2026-07", "2026-10"),
        deprecated: Iterable[str] = (),
        token_ttl: int = 86399,
        throttle_status: Literal[200, 429] = 200,
    ) -> None:
        super().__init__(clock)
        self.shop = shop
        self.shop_name = shop.replace("-", " ").title()
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token = access_token
        self.scopes = set(scopes)
        self.bucket = CostBucket(PLANS[plan], clock)
        self.currency = currency
        self.versions = tuple(versions)
        self.deprecated = set(deprecated)
        self.token_ttl = token_ttl
        self.throttle_status = throttle_status
        self.seed = seed
        self.store: OrderStore[ShopifyOrderRecord] = OrderStore(clock, first_id=5_100_001)
        self.tokens_issued = 0
        self.throttled = 0
        #: (operation name, throttled?) of every executed or throttled GraphQL request.
        self.answers: list[tuple[str, bool]] = []
        #: Cost points charged so far (the actual cost of every executed query).
        self.points_charged = 0
        self._tokens: dict[str, datetime] = {}
        self._rng = random.Random(seed)
        self._next = [9_000_000]  # ids of lines, fulfillment orders, fulfillments
        self._number = 1000
        self._extra_variants: list[Variant] = []
        self._documents: dict[str, tuple[DocumentNode, list[GraphQLError]]] = {}
        self._resolvers = Resolvers(self)

    # -- errors --------------------------------------------------------------------------------

    def error_response(
        self, status: int, code: str, message: str, extra: dict[str, Any] | None = None
    ) -> SimResponse:
        # Shopify's REST-style error body, which the GraphQL endpoint also uses for HTTP errors.
        return SimResponse.json(status, {"errors": message})

    # -- tokens --------------------------------------------------------------------------------

    @route("POST", "/oauth/access_token", operation="oauth.token", auth=False)
    def token(self, request: SimRequest) -> SimResponse:
        form = {key: values[0] for key, values in request.form().items() if values}
        if form.get("grant_type") != "client_credentials":
            return SimResponse.json(
                400, {"error": "unsupported_grant_type", "error_description": "grant_type"}
            )
        good_id = hmac.compare_digest(form.get("client_id", "").encode(), self.client_id.encode())
        good_secret = hmac.compare_digest(
            form.get("client_secret", "").encode(), self.client_secret.encode()
        )
        if not (good_id and good_secret):
            return SimResponse.json(
                400,
                {"error": "invalid_client", "error_description": "Client authentication failed."},
            )
        value = "shpat_" + secrets.token_hex(16)
        self._tokens[value] = self.clock.now() + timedelta(seconds=self.token_ttl)
        self.tokens_issued += 1
        return SimResponse.json(
            200,
            {
                "access_token": value,
                "scope": ",".join(sorted(self.scopes)),
                "expires_in": self.token_ttl,
            },
        )

    def expire_tokens(self) -> None:
        """Make every issued token expire now (a revocation the client cannot know)."""
        self._tokens = dict.fromkeys(self._tokens, self.clock.now())

    def authenticate(self, request: SimRequest, route: Route) -> SimResponse | None:
        token = request.headers.get("x-shopify-access-token", "")
        if self.access_token and hmac.compare_digest(token.encode(), self.access_token.encode()):
            return None
        expires = self._tokens.get(token)
        if expires is not None and self.clock.now() < expires:
            return None
        return self.error_response(401, "unauthorized", _BAD_TOKEN)

    # -- GraphQL -------------------------------------------------------------------------------

    def _document(self, text: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        cached = self._documents.get(text)
        if cached is not None:
            return cached
        try:
            document = parse(text)
        except GraphQLError as exc:
            return None, [exc]
        found = (document, list(validate(schema(), document)))
        if len(self._documents) < 256:
            self._documents[text] = found
        return found

    @route("POST", "/api/{version}/graphql.json", operation="graphql")
    def graphql(self, request: SimRequest) -> SimResponse:
        version = request.path_params["version"]
        served = version if version in self.versions else self.versions[0]
        headers = {"X-Shopify-API-Version": served}
        if served in self.deprecated:
            headers["X-Shopify-API-Deprecated-Reason"] = (
                "https://shopify.dev/docs/api/usage/versioning#deprecation-practices"
            )
        try:
            body = request.json()
        except ValueError:
            return SimResponse.json(400, {"errors": "Invalid JSON in request body."}, headers)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return SimResponse.json(
                400, {"errors": {"query": "Required parameter missing or invalid"}}, headers
            )
        answer, status = self._execute(body)
        return SimResponse.json(status, answer, headers)

    def _execute(self, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
        document, errors = self._document(body["query"])
        if document is None or errors:
            return {"errors": [e.formatted for e in errors]}, 200
        operation = get_operation_ast(document, body.get("operationName"))
        if not isinstance(operation, OperationDefinitionNode):
            return {"errors": [{"message": "An operation name is required"}]}, 200
        coerced = get_variable_values(
            schema(), operation.variable_definitions or (), body.get("variables") or {}
        )
        if isinstance(coerced, list):
            return {"errors": [e.formatted for e in coerced]}, 200
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        requested = query_cost(schema(), operation, fragments, coerced)
        name = operation.name.value if operation.name else ""
        if requested > MAX_SINGLE_QUERY_COST:
            message = (
                f"Query cost is {requested}, which exceeds the single query max cost limit "
                f"({MAX_SINGLE_QUERY_COST})."
            )
            extensions = {
                "code": "MAX_COST_EXCEEDED",
                "cost": requested,
                "maxCost": MAX_SINGLE_QUERY_COST,
            }
            return {"errors": [{"message": message, "extensions": extensions}]}, 200
        if not self.bucket.spend(requested):
            self.throttled += 1
            self.answers.append((name, True))
            cost = {
                "requestedQueryCost": requested,
                "actualQueryCost": None,
                "throttleStatus": self.bucket.status(),
            }
            error = {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": _DOCS},
            }
            return {"errors": [error], "extensions": {"cost": cost}}, self.throttle_status
        result = execute(
            schema(),
            document,
            root_value=self._resolvers.root(),
            variable_values=body.get("variables") or {},
            operation_name=body.get("operationName"),
        )
        assert not hasattr(result, "__await__")  # every resolver is synchronous
        self.answers.append((name, False))
        data = getattr(result, "data", None)
        actual = (
            query_cost(schema(), operation, fragments, coerced, data)
            if data is not None
            else requested
        )
        actual = min(actual, requested)
        self.bucket.refund(requested - actual)
        self.points_charged += actual
        answer: dict[str, Any] = {}
        errors_out = getattr(result, "errors", None)
        if errors_out:
            answer["errors"] = [e.formatted for e in errors_out]
        answer["data"] = data
        answer["extensions"] = {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(),
            }
        }
        return json.loads(json.dumps(answer, default=str)), 200

    # -- records (used by the resolvers) -------------------------------------------------------

    def _id(self) -> int:
        self._next[0] += 1
        return self._next[0]

    def variants(self) -> list[Variant]:
        return [*gen.CATALOG, *self._extra_variants]

    def add_variant(self, variant: Variant) -> None:
        """Add a catalog variant (for example one sharing another's SKU)."""
        with self.lock:
            self._extra_variants.append(variant)

    def find_fulfillment_order(
        self, number: int
    ) -> tuple[ShopifyOrderRecord, FulfillmentOrderRecord] | None:
        for record in self.store:
            for fo in record.fulfillment_orders:
                if fo.id == number:
                    return record, fo
        return None

    def find_fulfillment(self, number: int) -> tuple[ShopifyOrderRecord, FulfillmentRecord] | None:
        for record in self.store:
            for item in record.fulfillments:
                if item.id == number:
                    return record, item
        return None

    def record_fulfillment(
        self,
        record: ShopifyOrderRecord,
        picked: list[tuple[FulfillmentOrderRecord, FulfillmentOrderLine, int]],
        tracking: dict[str, Any],
    ) -> FulfillmentRecord:
        now = self.store.now()
        lines = []
        for fo, fo_line, quantity in picked:
            fo_line.remaining -= quantity
            fo.status = "IN_PROGRESS" if any(x.remaining for x in fo.lines) else "CLOSED"
            fo.updated = now
            lines.append((self._id(), fo_line.line_id, quantity))
        numbers = tracking.get("numbers") or (
            [tracking["number"]] if tracking.get("number") else []
        )
        made = FulfillmentRecord(
            id=self._id(),
            order_id=record.id,
            name=f"#{record.number}-F{len(record.fulfillments) + 1}",
            status="SUCCESS",
            created=now,
            updated=now,
            tracking=[
                {"company": tracking.get("company"), "number": n, "url": tracking.get("url")}
                for n in numbers
            ],
            lines=lines,
        )
        record.fulfillments.append(made)
        self.store.touch(record.id, now)
        return made

    def update_tracking(
        self, record: ShopifyOrderRecord, target: FulfillmentRecord, tracking: dict[str, Any]
    ) -> None:
        numbers = tracking.get("numbers") or (
            [tracking["number"]] if tracking.get("number") else []
        )
        target.tracking = [
            {"company": tracking.get("company"), "number": n, "url": tracking.get("url")}
            for n in numbers
        ]
        target.updated = self.store.now()
        self.store.touch(record.id, target.updated)

    # -- test and demo helpers -----------------------------------------------------------------

    def add_order(
        self,
        *,
        created: datetime | None = None,
        modified: datetime | None = None,
        lines: Sequence[tuple[str, int]] | None = None,
        financial: str = "PAID",
        presentment: str | None = None,
        locations: int = 1,
        discount: Decimal = Decimal("0"),
    ) -> int:
        """Create an order and return its numeric id. ``lines`` are (SKU, quantity) pairs
        (catalog SKUs get their variant and price; an empty SKU a line without one); without
        them lines are generated. ``locations`` > 1 splits the lines over that many
        fulfillment orders. ``discount`` is a share off every unit (0.1 = 10 %)."""
        with self.lock:
            rng = self._rng
            when = self.store.moment(created)
            picks = (
                [(gen.by_sku(sku) if sku else gen.CATALOG[-1], q) for sku, q in lines]
                if lines is not None
                else gen.pick_lines(rng)
            )
            shown = presentment or self.currency
            self._number += 1
            record = ShopifyOrderRecord(
                id=self.store.next_id(),
                created=when,
                modified=self.store.moment(modified) if modified else when,
                status=financial,
                number=self._number,
                currency=self.currency,
                presentment=shown,
                rate=gen.RATES.get(shown, Decimal("1")) if shown != self.currency else Decimal(1),
                lines=gen.build_lines(self._next, picks, discount),
                shipping=Decimal("4.90"),
                person=rng.getrandbits(32),
            )
            gen.split_fulfillment_orders(record, self._next, when, locations=locations)
            self.store.add(record)
            return record.id

    def generate(
        self, n: int, *, start: datetime | None = None, spread: timedelta = timedelta(days=1)
    ) -> list[int]:
        """``n`` realistic orders created over ``[start, start + spread)`` (default: the
        ``spread`` before now): mostly paid and unfulfilled, some shipped in full or in
        part, pending, refunded, edited or cancelled; a tenth in another presentment
        currency. Returns their ids."""
        with self.lock:
            rng = self._rng
            now = self.store.now()
            ids = []
            for created in creation_times(rng, n, start=start, spread=spread, now=now):
                financial = _pick(rng, gen.FINANCIAL_MIX)
                shown = _pick(rng, gen.PRESENTMENT_MIX)
                order_id = self.add_order(created=created, financial=financial, presentment=shown)
                ids.append(order_id)
                record = self.store.require(order_id)
                later = gen.later(rng, created, now)
                roll = rng.random()
                if financial in ("REFUNDED", "VOIDED"):
                    self.cancel(order_id, when=later, refund=financial == "REFUNDED")
                    record.status = financial
                elif financial == "PARTIALLY_REFUNDED":
                    self.refund_line(order_id, record.lines[0].id, 1, when=later)
                elif financial == "PAID" and roll < 0.25:
                    self.fulfill(order_id, when=later)
                elif financial == "PAID" and roll < 0.30 and record.lines[0].quantity > 1:
                    self.fulfill(order_id, {record.lines[0].id: 1}, when=later)
            return ids

    def add_malformed_order(
        self, kind: Literal["bad_quantity", "missing_updated"] = "bad_quantity", **kwargs: Any
    ) -> int:
        """An order the connector must refuse (a negative line quantity, or no
        ``updatedAt``), listed like any other. Returns its id."""
        with self.lock:
            order_id = self.add_order(**kwargs)
            self.store.require(order_id).malformed = kind
            self.store.changed()
            return order_id

    def cancel(
        self,
        order_id: int,
        *,
        when: datetime | None = None,
        refund: bool = True,
        restock: bool = True,
    ) -> None:
        """Cancel an order as the shop would: refunded (or voided), closed, its fulfillment
        orders cancelled, its lines restocked."""
        with self.lock:
            record = self.store.require(order_id)
            moment = self.store.moment(when)
            record.cancelled_at = record.closed_at = moment
            record.cancel_reason = "CUSTOMER"
            record.status = "REFUNDED" if refund else "VOIDED"
            for line in record.lines:
                line.removed = line.quantity - record.fulfilled(line.id)
            record.refunded = record.shipping if refund else Decimal(0)
            record.restocked = restock
            for fo in record.fulfillment_orders:
                if fo.status != "CLOSED":
                    fo.status = "CANCELLED"
                    fo.updated = moment
            self.store.touch(order_id, moment)

    def refund_line(
        self, order_id: int, line_id: int, quantity: int, *, when: datetime | None = None
    ) -> None:
        """Refund (and restock) ``quantity`` units of a line: ``currentQuantity`` drops, the
        order becomes partially refunded (or refunded when nothing is left)."""
        with self.lock:
            record = self.store.require(order_id)
            self._take_units(record, line_id, quantity)
            left = sum(line.current for line in record.lines)
            record.status = "PARTIALLY_REFUNDED" if left else "REFUNDED"
            self.store.touch(order_id, self.store.moment(when))

    def remove_line(self, order_id: int, line_id: int, *, when: datetime | None = None) -> None:
        """Edit the order to remove a line (an order edit): ``currentQuantity`` 0."""
        with self.lock:
            record = self.store.require(order_id)
            line = record.line(line_id)
            assert line is not None
            self._take_units(record, line_id, line.current)
            self.store.touch(order_id, self.store.moment(when))

    def _take_units(self, record: ShopifyOrderRecord, line_id: int, quantity: int) -> None:
        line = record.line(line_id)
        if line is None:
            raise KeyError(f"order {record.id} has no line {line_id}")
        line.removed += quantity
        for fo in record.fulfillment_orders:
            for x in fo.lines:
                if x.line_id == line_id:
                    taken = min(x.remaining, quantity)
                    x.remaining -= taken
                    x.total -= taken
                    quantity -= taken
            if fo.fulfillable and not any(x.remaining for x in fo.lines):
                fo.status = "CLOSED"

    def fulfill(
        self,
        order_id: int,
        lines: dict[int, int] | None = None,
        *,
        tracking: str | None = None,
        company: str = "DHL Express",
        when: datetime | None = None,
    ) -> None:
        """Ship ``lines`` ({line id: units}; default all remaining) from the shop's admin."""
        with self.lock:
            record = self.store.require(order_id)
            picked = []
            for fo in record.fulfillment_orders:
                if not fo.fulfillable:
                    continue
                for x in fo.lines:
                    want = (
                        x.remaining if lines is None else min(x.remaining, lines.get(x.line_id, 0))
                    )
                    if want:
                        picked.append((fo, x, want))
            number = tracking or f"JD0146{self._rng.randint(10**9, 10**10 - 1)}"
            self.record_fulfillment(record, picked, {"company": company, "number": number})
            if when is not None:
                self.store.touch(order_id, self.store.moment(when))

    def set_fulfillment_order_status(self, order_id: int, status: str) -> None:
        """Put every fulfillment order of an order in ``status`` (``ON_HOLD``, ``CLOSED``...)."""
        with self.lock:
            record = self.store.require(order_id)
            for fo in record.fulfillment_orders:
                fo.status = status
            self.store.touch(order_id)

    def fulfillments(self, order_id: int) -> list[dict[str, Any]]:
        """The order's fulfillments: id, status, tracking numbers and {line id: units}."""
        with self.lock:
            record = self.store.require(order_id)
            return [
                {
                    "id": f.id,
                    "status": f.status,
                    "tracking": [t["number"] for t in f.tracking],
                    "companies": [t["company"] for t in f.tracking],
                    "lines": {line: q for _fl, line, q in f.lines},
                }
                for f in record.fulfillments
            ]

    def fulfillment_orders(self, order_id: int) -> list[FulfillmentOrderRecord]:
        with self.lock:
            return list(self.store.require(order_id).fulfillment_orders)

    def line_ids(self, order_id: int) -> list[int]:
        with self.lock:
            return [line.id for line in self.store.require(order_id).lines]

    def start_live(self, *, new_per_hour: float = 60.0, changes_per_hour: float = 30.0) -> Any:
        """New paid orders arrive and open ones get shipped, refunded or cancelled as time
        passes (for the demo)."""

        def on_new(rng: random.Random, when: datetime) -> None:
            self.add_order(created=when, financial=rng.choice(("PAID", "PAID", "PENDING")))

        def on_change(rng: random.Random, when: datetime) -> None:
            open_ids = [
                r.id
                for r in self.store
                if r.status in ("PAID", "PENDING") and r.cancelled_at is None
            ]
            if not open_ids:
                return
            record = self.store.require(rng.choice(open_ids))
            if record.status == "PENDING":
                record.status = "PAID"
                self.store.touch(record.id, when)
            elif rng.random() < 0.1:
                self.cancel(record.id, when=when)
            elif record.fulfillment_status == "UNFULFILLED":
                self.fulfill(record.id, when=when)

        return self.start_live_feed(
            on_new,
            on_change,
            new_per_hour=new_per_hour,
            changes_per_hour=changes_per_hour,
            seed=self.seed + 1,
        )
