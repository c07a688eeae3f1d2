"""The Shopify connector: orders in and tracking out through the GraphQL Admin API.

Every call is a POST of a GraphQL document to ``/admin/api/{version}/graphql.json``. Reads
are sent as idempotent (retried after timeouts and 5xx); the two mutations are not, and a
push whose answer was lost is retried by the push runner through the idempotency check
below. Throttling is by query cost (``orderhub.sdk.GraphQLEndpoint``): the connector waits
before sending until Shopify's bucket holds the query's requested cost.

Tracking goes out per fulfillment order, after reading the order's fulfillments and
fulfillment orders (:mod:`.fulfillment` decides what to send): a retry after a lost answer
finds its fulfillment and creates nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from orderhub.sdk import (
    Capability,
    CatalogFields,
    CatalogItem,
    ClientCredentialsAuth,
    ConfigError,
    Connector,
    ConnectorError,
    GraphQLEndpoint,
    GraphQLErrors,
    HeaderTokenAuth,
    OrderDraft,
    PushOutcome,
    PushResult,
    RejectedError,
    RetryPolicy,
    ShipmentDraft,
    SyncWindow,
)

from . import queries as q
from .fulfillment import plan_push
from .mapping import gid_tail, to_draft
from .settings import ShopifySettings

TOKEN_HEADER = "X-Shopify-Access-Token"  # noqa: S105 - a header name, not a secret
REAUTHORISE_FIX = (
    "Check the account's client_id and client secret (Dev Dashboard > the app > Settings) "
    "and that the app is installed on this store."
)
LIST_ORDERS = "orders"
READ = "read"
WRITE = "write"
ERRORS = GraphQLErrors(
    channel="Shopify",
    denied={
        "ACCESS_DENIED": "Give the app the access scope named above in the Dev Dashboard "
        "(Versions > Access), release the version and approve it on the store; for buyer "
        "names and addresses also request protected customer data access, or set "
        "include_addresses = false."
    },
    refused_fix="orderhub sent a query this store's API version refuses: check api_version, "
    "and report it if it is the pinned default.",
)
#: Variants as catalog items: their own SKU and barcode, titled with the product's name.
CATALOG = CatalogFields(sku="sku", title="displayName", gtin="barcode")
#: Without read_all_orders, Shopify shows only orders created in the last 60 days.
VISIBLE = timedelta(days=60)


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ShopifyConnector(Connector[ShopifySettings]):
    """Pulls a Shopify store's orders and pushes tracking back as fulfillments."""

    name = "shopify"
    version = "0.1.0"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.FETCH_ORDERS,
            Capability.CANCELLATIONS,
            Capability.PUSH_TRACKING,
            Capability.PARTIAL_SHIPMENTS,
            Capability.CATALOG,
        }
    )
    settings_model = ShopifySettings
    # A THROTTLED answer names its exact refill time; never give up on one within a minute.
    retry_policy = RetryPolicy(max_retry_after=60.0)
    lookback = timedelta(minutes=10)
    max_window = timedelta(days=7)
    sorted_by_updated_at = True
    page_size = q.ORDERS_PER_PAGE

    def __init__(self, context: Any) -> None:
        self._api = GraphQLEndpoint(context.clock, ERRORS, path="graphql.json")
        self._warned: set[tuple[str | None, str | None]] = set()
        self._scopes: frozenset[str] | None = None
        super().__init__(context)

    # -- plumbing ----------------------------------------------------------------------------

    def base_url(self) -> str:
        return f"{self.settings.origin}/admin/api/{self.settings.api_version}/"

    def auth(self) -> httpx.Auth | None:
        s = self.settings
        if s.access_token is not None:
            # A legacy custom app's token (shpat_...): it never expires.
            return HeaderTokenAuth(s.access_token.get_secret_value(), TOKEN_HEADER, scheme=None)
        assert s.client_id and s.client_secret  # the settings model guarantees one or the other
        # A Dev Dashboard app: the client-credentials grant, tokens living 24 hours, renewed
        # ten minutes early and once more on a 401.
        return ClientCredentialsAuth(
            token_url=f"{s.origin}/admin/oauth/access_token",
            client_id=s.client_id,
            client_secret=s.client_secret.get_secret_value(),
            clock=self.clock,
            header=TOKEN_HEADER,
            scheme=None,
            margin=timedelta(minutes=10),
            default_lifetime=timedelta(hours=24),
            reauthorise_fix=REAUTHORISE_FIX,
        )

    def classify_response(self, response: httpx.Response) -> ConnectorError | None:
        self._note_version(response)
        return self._api.classify(response)

    def _note_version(self, response: httpx.Response) -> None:
        served = response.headers.get("x-shopify-api-version")
        reason = response.headers.get("x-shopify-api-deprecated-reason")
        seen = (served, reason)
        if (reason or served not in (None, self.settings.api_version)) and seen not in self._warned:
            self._warned.add(seen)
            self.log.warning(
                "shopify.api_version",
                pinned=self.settings.api_version,
                served=served,
                deprecated=reason,
                fix="Set api_version to a supported stable version (see the connector README).",
            )

    def _graphql(self, operation: str, document: str, variables: dict[str, Any]) -> Any:
        """Send one document and return its ``data``, after waiting for the cost bucket."""
        return self._api.send(
            self.http, operation, document, variables, idempotent=operation != WRITE
        )

    # -- orders ------------------------------------------------------------------------------

    def check(self) -> None:
        self._graphql(READ, q.SHOP, {})

    def _require_visible(self, start: datetime) -> None:
        if start >= self.clock.now() - VISIBLE:
            return
        if self._scopes is None:
            data = self._graphql(READ, q.SCOPES, {})
            found = data["currentAppInstallation"]["accessScopes"]
            self._scopes = frozenset(str(s.get("handle")) for s in found)
        if "read_all_orders" not in self._scopes:
            raise ConfigError(
                f"orders modified since {_when(start)} include orders older than 60 days, "
                "which Shopify shows only to apps with the read_all_orders scope",
                fix="Add read_all_orders to the app's scopes in the Dev Dashboard (Shopify "
                "asks the store to approve it), or sync from a date within the last 60 days.",
            )

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        self._require_visible(window.start)
        document = q.orders_query(self.settings.include_addresses)
        variables: dict[str, Any] = {
            "first": q.ORDERS_PER_PAGE,
            # Both ends inclusive: the overlap with the next window costs nothing (upserts).
            "query": f"updated_at:>='{_when(window.start)}' AND updated_at:<='{_when(window.end)}'",
        }
        for page in self._api.pages(
            self.http, LIST_ORDERS, document, variables, "orders", records="orders"
        ):
            for node in page["nodes"]:
                yield self._complete_lines(node)

    def _complete_lines(self, node: dict[str, Any]) -> dict[str, Any]:
        """An order with more lines than one page holds gets the rest read (same shape)."""
        rest = {"id": node["id"]}
        return self._api.complete(
            self.http, READ, q.ORDER_LINES, rest, node, connection="order.lineItems"
        )

    def to_order(self, raw: dict[str, Any]) -> OrderDraft:
        return to_draft(raw)

    def external_id(self, raw: dict[str, Any]) -> str | None:
        value = raw.get("id") if isinstance(raw, dict) else None
        return str(value).rsplit("/", 1)[-1] if value else None

    # -- tracking ----------------------------------------------------------------------------

    def push_tracking(self, shipment: ShipmentDraft) -> PushResult:
        order_gid = f"gid://shopify/Order/{shipment.order_external_id}"
        order = self._graphql(READ, q.FULFILLMENT_STATE, {"id": order_gid}).get("order")
        if order is None:
            raise RejectedError(
                f"order {shipment.order_external_id} is not on Shopify (deleted, or older "
                "than 60 days without the read_all_orders scope)"
            )
        want = {line.line_external_id: line.quantity for line in shipment.lines}
        plan = plan_push(order, want, shipment.tracking_number)
        tracking = self._tracking(shipment)
        notify = self.settings.notify_customer
        if plan.correction is not None:
            variables = {"id": plan.correction, "tracking": tracking, "notify": notify}
            fixed = self._mutate(q.TRACKING_UPDATE, variables, "fulfillmentTrackingInfoUpdate")
            return PushResult(PushOutcome.APPLIED, fixed, detail={"corrected": True})
        if plan.conflict is not None:
            raise RejectedError(
                f"order {shipment.order_external_id}: {plan.conflict}",
                code="conflict",
                fix="Look at the order's fulfillments in the Shopify admin: the units were "
                "fulfilled there already or the order was cancelled. Withdraw the shipment "
                "with `orderhub shipments cancel ID` if it should not be pushed.",
            )
        if not plan.creates:
            return PushResult(PushOutcome.ALREADY_APPLIED)
        made = [
            self._mutate(
                q.FULFILLMENT_CREATE,
                {
                    "fulfillment": {
                        "lineItemsByFulfillmentOrder": [
                            {"fulfillmentOrderId": fo, "fulfillmentOrderLineItems": items}
                        ],
                        "trackingInfo": tracking,
                        "notifyCustomer": notify,
                    }
                },
                "fulfillmentCreate",
            )
            for fo, items in plan.creates.items()
        ]
        return PushResult(PushOutcome.APPLIED, channel_reference=",".join(made))

    def _tracking(self, shipment: ShipmentDraft) -> dict[str, Any]:
        code = shipment.carrier_code
        company = shipment.carrier_name if code == "Other" and shipment.carrier_name else code
        return {"company": company, "number": shipment.tracking_number}

    def _mutate(self, document: str, variables: dict[str, Any], field: str) -> str:
        """Run a fulfillment mutation; returns the fulfillment's id. userErrors refuse it."""
        made = self._api.mutate(self.http, WRITE, document, variables, field, result="fulfillment")
        return gid_tail(made["id"], "Fulfillment", field)

    # -- catalog -----------------------------------------------------------------------------

    def fetch_products(self) -> Iterator[CatalogItem]:
        """Every product variant (``Capability.CATALOG``): SKU, barcode, variant id."""
        for page in self._api.pages(
            self.http, READ, q.VARIANTS, {}, "productVariants", count=False
        ):
            for node in page["nodes"]:
                variant = gid_tail(node["id"], "ProductVariant", "productVariants")
                product = gid_tail(node["product"]["id"], "Product", "productVariants")
                yield CATALOG.item(
                    node,
                    ref=f"variant {variant} of product {product}",
                    identifiers={"shopify_variation": variant},
                )
