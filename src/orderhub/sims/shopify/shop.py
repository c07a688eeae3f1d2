"""The simulated Shopify store's state and what the GraphQL resolvers ask of it: the
constructor, variants, fulfillment orders and fulfillments.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from graphql import GraphQLError
from graphql.language import DocumentNode

from orderhub.sdk.clock import Clock
from orderhub.sims.shopify import generation as gen
from orderhub.sims.shopify.cost import PLANS, CostBucket
from orderhub.sims.shopify.records import (
    FulfillmentOrderLine,
    FulfillmentOrderRecord,
    FulfillmentRecord,
    ShopifyOrderRecord,
    Variant,
)
from orderhub.sims.shopify.resolvers import Resolvers
from orderhub.testing.sim import OrderStore, SimResponse, SimulatedApi

DEFAULT_SCOPES = frozenset(
    {"read_orders", "read_products", "write_merchant_managed_fulfillment_orders"}
)


class ShopifyShop(SimulatedApi):
    """The store's state and the operations the resolvers call."""

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
