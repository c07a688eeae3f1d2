"""The simulated shop's GraphQL resolvers: records rendered as the Admin API answers them,
access scopes, and the two fulfillment mutations with Shopify's rules (``userErrors``
rather than exceptions for a refused input). Paging and search are in :mod:`.paging`.

graphql-core's default resolver reads dict keys and calls callables with ``(info, **args)``,
so an order is a dict whose nested connections are closures: only what a query selects is
rendered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLSchema, build_schema

from orderhub.sims.shopify.generation import person
from orderhub.sims.shopify.paging import (
    MAX_PAGE,
    SORTS,
    by_created,
    connection,
    matches,
    order_filter,
)
from orderhub.sims.shopify.records import (
    FulfillmentRecord,
    LineRecord,
    ShopifyOrderRecord,
    gid,
    gid_number,
)

if TYPE_CHECKING:
    from orderhub.sims.shopify.shop import ShopifyShop

__all__ = ["MAX_PAGE", "VISIBLE_DAYS", "Resolvers", "schema"]

#: Without ``read_all_orders`` only orders created in the last 60 days are visible.
VISIBLE_DAYS = 60


@cache
def schema() -> GraphQLSchema:
    """The Admin API schema subset (``schema.graphql`` beside this module)."""
    text = resources.files(__package__).joinpath("schema.graphql").read_text(encoding="utf-8")
    return build_schema(text)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _amount(value: Decimal) -> str:
    # Shopify's Decimal scalar drops trailing zeros but keeps one decimal: "59.0", "16.5".
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def _require(sim: ShopifyShop, what: str, *scopes: str) -> None:
    if not set(scopes) & sim.scopes:
        raise GraphQLError(
            f"Access denied for {what} field. Required access: `{scopes[0]}` access scope.",
            extensions={"code": "ACCESS_DENIED", "requiredAccess": f"`{scopes[0]}` access scope."},
        )


_WRITE_FULFILLMENT = (
    "write_merchant_managed_fulfillment_orders",
    "write_assigned_fulfillment_orders",
    "write_third_party_fulfillment_orders",
    "write_fulfillments",
)


class Resolvers:
    """The root value (queries) and the mutation root of one simulated shop."""

    def __init__(self, sim: ShopifyShop) -> None:
        self.sim = sim
        self._cache: dict[Any, tuple[int, list[ShopifyOrderRecord], list[list[Any]]]] = {}

    def root(self) -> dict[str, Any]:
        return {
            "shop": lambda info: {
                "id": gid("Shop", 60001),
                "name": self.sim.shop_name,
                "myshopifyDomain": f"{self.sim.shop}.myshopify.com",
                "currencyCode": self.sim.currency,
            },
            "currentAppInstallation": lambda info: {
                "id": gid("AppInstallation", 90001),
                "accessScopes": [{"handle": s, "description": s} for s in sorted(self.sim.scopes)],
            },
            "orders": self._orders,
            "order": self._order_by_id,
            "productVariants": self._variants,
            "fulfillmentCreate": self._fulfillment_create,
            "fulfillmentTrackingInfoUpdate": self._tracking_update,
        }

    # -- queries -----------------------------------------------------------------------------

    def _visible(self, record: ShopifyOrderRecord) -> bool:
        if "read_all_orders" in self.sim.scopes:
            return True
        return record.created >= self.sim.clock.now() - timedelta(days=VISIBLE_DAYS)

    def _orders(self, info: Any, **args: Any) -> dict[str, Any]:
        _require(self.sim, "orders", "read_orders")
        sort = args.get("sortKey", "PROCESSED_AT")
        if sort not in ("UPDATED_AT", "CREATED_AT", "ID", "PROCESSED_AT"):
            raise GraphQLError(f"sortKey {sort} is not simulated")
        terms = order_filter(args.get("query"))
        store = self.sim.store
        key = (sort, terms, "read_all_orders" in self.sim.scopes, self.sim.clock.now().date())
        hit = self._cache.get(key)
        if hit is None or hit[0] != store.version:
            sort_key = SORTS.get(sort, by_created)
            records = sorted(
                (r for r in store if self._visible(r) and matches(r, terms)), key=sort_key
            )
            hit = (store.version, records, [list(sort_key(r)) for r in records])
            self._cache = {key: hit}
        return connection(hit[1], hit[2], args, self.render_order)

    def _order_by_id(self, info: Any, id: str) -> dict[str, Any] | None:
        _require(self.sim, "order", "read_orders")
        number = gid_number(id, "Order")
        record = self.sim.store.get(number) if number is not None else None
        if record is None or not self._visible(record):
            return None
        return self.render_order(record)

    def _variants(self, info: Any, **args: Any) -> dict[str, Any]:
        _require(self.sim, "productVariants", "read_products")
        variants = sorted(self.sim.variants(), key=lambda v: v.id)
        return connection(
            variants,
            [[v.id] for v in variants],
            args,
            lambda v: {
                "id": gid("ProductVariant", v.id),
                "legacyResourceId": str(v.id),
                "sku": v.sku,
                "barcode": v.barcode,
                "title": v.title,
                "displayName": v.display_name,
                "product": {
                    "id": gid("Product", v.product_id),
                    "legacyResourceId": str(v.product_id),
                    "title": v.product_title,
                    "updatedAt": "2025-11-02T09:00:00Z",
                },
            },
        )

    # -- rendering ---------------------------------------------------------------------------

    def _bag(self, record: ShopifyOrderRecord, amount: Decimal) -> dict[str, Any]:
        shown = (amount * record.rate).quantize(Decimal("0.01"))
        return {
            "shopMoney": {"amount": _amount(amount), "currencyCode": record.currency},
            "presentmentMoney": {"amount": _amount(shown), "currencyCode": record.presentment},
        }

    def _address(self, record: ShopifyOrderRecord, kind: str) -> dict[str, Any]:
        who = person(record.person)
        return {
            "id": gid("MailingAddress", record.id * 10 + (1 if kind == "ship" else 2)),
            "firstName": who["first"],
            "lastName": who["last"],
            "name": f"{who['first']} {who['last']}",
            "company": None,
            "address1": who["address1"],
            "address2": None,
            "city": who["city"],
            "province": who["province"] or None,
            "provinceCode": who["province"] or None,
            "zip": who["zip"],
            "country": who["country"],
            "countryCodeV2": who["country"],
            "phone": who["phone"],
        }

    def render_line(self, record: ShopifyOrderRecord, line: LineRecord) -> dict[str, Any]:
        variant = line.variant
        return {
            "id": gid("LineItem", line.id),
            "name": line.title
            if variant is None or variant.title == "Default Title"
            else (f"{line.title} - {variant.title}"),
            "title": line.title,
            "variantTitle": None if variant is None else variant.title,
            "sku": line.sku,
            "quantity": line.quantity,
            "currentQuantity": line.current,
            "unfulfilledQuantity": record.unfulfilled(line),
            "variant": None
            if variant is None
            else {
                "id": gid("ProductVariant", variant.id),
                "legacyResourceId": str(variant.id),
                "sku": variant.sku,
                "barcode": variant.barcode,
                "title": variant.title,
                "displayName": variant.display_name,
                "product": {"id": gid("Product", variant.product_id), "title": line.title},
            },
            "product": None
            if variant is None
            else {
                "id": gid("Product", variant.product_id),
                "legacyResourceId": str(variant.product_id),
                "title": line.title,
            },
            "originalUnitPriceSet": self._bag(record, line.unit_price),
            "originalTotalSet": self._bag(record, line.unit_price * line.quantity),
            "discountedTotalSet": self._bag(record, record.line_total(line)),
        }

    def _fulfillment(self, record: ShopifyOrderRecord, f: FulfillmentRecord) -> dict[str, Any]:
        return {
            "id": gid("Fulfillment", f.id),
            "name": f.name,
            "status": f.status,
            "createdAt": _iso(f.created),
            "updatedAt": _iso(f.updated),
            "trackingInfo": lambda info, first=None: [dict(t) for t in f.tracking][
                : first if first is not None else None
            ],
            "fulfillmentLineItems": lambda info, **args: connection(
                f.lines,
                [[fl] for fl, _line, _q in f.lines],
                args,
                lambda item: {
                    "id": gid("FulfillmentLineItem", item[0]),
                    "quantity": item[2],
                    "lineItem": self.render_line(record, record.line(item[1]))  # type: ignore[arg-type]
                    if record.line(item[1]) is not None
                    else None,
                },
            ),
        }

    def render_order(self, record: ShopifyOrderRecord) -> dict[str, Any]:
        who = person(record.person)
        order: dict[str, Any] = {
            "id": gid("Order", record.id),
            "legacyResourceId": str(record.id),
            "name": f"#{record.number}",
            "createdAt": _iso(record.created),
            "processedAt": _iso(record.created),
            "updatedAt": _iso(record.modified),
            "cancelledAt": _iso(record.cancelled_at),
            "cancelReason": record.cancel_reason,
            "closed": record.closed_at is not None,
            "closedAt": _iso(record.closed_at),
            "displayFinancialStatus": record.status,
            "displayFulfillmentStatus": record.fulfillment_status,
            "currencyCode": record.currency,
            "presentmentCurrencyCode": record.presentment,
            "email": who["email"],
            "phone": None,
            "test": record.test,
            "totalPriceSet": lambda info: self._bag(record, record.original_total),
            "currentTotalPriceSet": lambda info: self._bag(record, record.current_total),
            "totalShippingPriceSet": lambda info: self._bag(record, record.shipping),
            "shippingAddress": lambda info: self._address(record, "ship"),
            "billingAddress": lambda info: self._address(record, "bill"),
            "lineItems": lambda info, **args: connection(
                record.lines,
                [[line.id] for line in record.lines],
                args,
                lambda line: self.render_line(record, line),
            ),
            "shippingLines": lambda info, **args: connection(
                [record],
                [[record.id]],
                args,
                lambda r: {
                    "id": gid("ShippingLine", r.id),
                    "title": r.shipping_title,
                    "code": r.shipping_title.lower(),
                    "originalPriceSet": self._bag(r, r.shipping),
                },
            ),
            "fulfillments": lambda info, first=None: [
                self._fulfillment(record, f) for f in record.fulfillments
            ][: first if first is not None else None],
            "fulfillmentOrders": lambda info, **args: connection(
                record.fulfillment_orders,
                [[fo.id] for fo in record.fulfillment_orders],
                args,
                lambda fo: {
                    "id": gid("FulfillmentOrder", fo.id),
                    "orderId": gid("Order", record.id),
                    "status": fo.status,
                    "updatedAt": _iso(fo.updated),
                    "assignedLocation": {
                        "name": f"Location {fo.location_id}",
                        "location": {
                            "id": gid("Location", fo.location_id),
                            "name": f"Location {fo.location_id}",
                        },
                    },
                    "lineItems": lambda info, **a: connection(
                        fo.lines,
                        [[x.id] for x in fo.lines],
                        a,
                        lambda x: {
                            "id": gid("FulfillmentOrderLineItem", x.id),
                            "totalQuantity": x.total,
                            "remainingQuantity": x.remaining,
                            "sku": (
                                record.line(x.line_id)
                                or LineRecord(0, None, "", None, 0, Decimal(0))
                            ).sku,
                            "lineItem": self.render_line(record, record.line(x.line_id))  # type: ignore[arg-type]
                            if record.line(x.line_id) is not None
                            else None,
                        },
                    ),
                },
            ),
        }
        if record.malformed == "bad_quantity":
            order["lineItems"] = lambda info, **args: _broken_quantity(
                connection(
                    record.lines,
                    [[ln.id] for ln in record.lines],
                    args,
                    lambda line: self.render_line(record, line),
                )
            )
        elif record.malformed == "missing_updated":
            order["updatedAt"] = None
        return order

    # -- mutations ---------------------------------------------------------------------------

    def _fulfillment_create(
        self, info: Any, fulfillment: dict[str, Any], message: str | None = None
    ) -> dict[str, Any]:
        _require(self.sim, "fulfillmentCreate", *_WRITE_FULFILLMENT)
        groups = fulfillment["lineItemsByFulfillmentOrder"]
        if not groups:
            return _user_error(["fulfillment"], "Line items by fulfillment order can't be blank")
        picked = []
        record: ShopifyOrderRecord | None = None
        for index, group in enumerate(groups):
            number = gid_number(group["fulfillmentOrderId"], "FulfillmentOrder")
            found = self.sim.find_fulfillment_order(number) if number is not None else None
            if found is None:
                return _user_error(
                    ["fulfillment", "lineItemsByFulfillmentOrder", str(index)],
                    "Fulfillment order does not exist.",
                )
            owner, fo = found
            if record is not None and owner.id != record.id:
                return _user_error(["fulfillment"], "Fulfillment orders must belong to one order.")
            record = owner
            if not fo.fulfillable:
                return _user_error(
                    ["fulfillment"],
                    f"Fulfillment order {fo.id} has an unfulfillable status= {fo.status.lower()}.",
                )
            wanted = group.get("fulfillmentOrderLineItems")
            if not wanted:
                wanted = [
                    {"id": gid("FulfillmentOrderLineItem", x.id), "quantity": x.remaining}
                    for x in fo.lines
                    if x.remaining
                ]
            for item in wanted:
                line_number = gid_number(item["id"], "FulfillmentOrderLineItem")
                fo_line = next((x for x in fo.lines if x.id == line_number), None)
                if fo_line is None:
                    return _user_error(["fulfillment"], "Invalid fulfillment order line item id.")
                if not 0 < item["quantity"] <= fo_line.remaining:
                    return _user_error(
                        ["fulfillment"], "Invalid fulfillment order line item quantity requested."
                    )
                picked.append((fo, fo_line, item["quantity"]))
        assert record is not None
        if len({fo.location_id for fo, _x, _q in picked}) > 1:
            return _user_error(
                ["fulfillment"], "All fulfillment orders must be assigned to the same location."
            )
        tracking = fulfillment.get("trackingInfo") or {}
        made = self.sim.record_fulfillment(record, picked, tracking)
        return {"fulfillment": self._fulfillment(record, made), "userErrors": []}

    def _tracking_update(
        self,
        info: Any,
        fulfillmentId: str,
        trackingInfoInput: dict[str, Any],
        notifyCustomer: bool | None = None,
    ) -> dict[str, Any]:
        _require(self.sim, "fulfillmentTrackingInfoUpdate", *_WRITE_FULFILLMENT)
        number = gid_number(fulfillmentId, "Fulfillment")
        found = self.sim.find_fulfillment(number) if number is not None else None
        if found is None:
            return _user_error(["fulfillmentId"], "Fulfillment does not exist.")
        record, target = found
        if target.status == "CANCELLED":
            return _user_error(
                ["fulfillmentId"], "Cannot update tracking of a cancelled fulfillment."
            )
        self.sim.update_tracking(record, target, trackingInfoInput)
        return {"fulfillment": self._fulfillment(record, target), "userErrors": []}


def _user_error(field: list[str], message: str) -> dict[str, Any]:
    return {"fulfillment": None, "userErrors": [{"field": field, "message": message}]}


def _broken_quantity(answer: dict[str, Any]) -> dict[str, Any]:
    # A corrupt record: the line's quantity comes back as a negative number.
    for node in answer["nodes"][:1]:
        node["currentQuantity"] = -2
    return answer
