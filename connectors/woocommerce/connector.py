"""The WooCommerce connector: orders in through REST API v3.

Paging note: WooCommerce pages by page number. If an order inside the window is modified
while we page, it leaves the ``modified_before`` filter and every later order shifts one
place towards the front, so one order would be skipped. The connector pages by ascending
id and compares ``X-WP-Total`` on every page with the first; when it changed, it reads the
window again (upserts make the second read free of duplicates).

Page numbers leave nothing for the SDK's loop detection to see (every request asks for a new
page), so the connector watches the answers instead: a page that lists exactly the orders of
an earlier page (a page cache or CDN that ignores the ``page`` parameter) stops the read with
:class:`PaginationLoopError` rather than report the same orders while the others are missed.

Tracking goes back as a customer note on the order ("Shipped with UPS, tracking number
..."), which WooCommerce e-mails to the buyer, and the order is marked ``completed`` once
every unit has shipped. Notes are append-only, so the connector reads the order's notes
first and treats a note already carrying the tracking number as already applied: a retry
after a lost answer never adds a second note.

``status=any`` leaves out trashed orders, so each window is read a second time with
``status=trash`` (usually one empty page): an order the shop moves to the trash then reaches
the store as cancelled instead of staying "to ship".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from orderhub.sdk import (
    BasicAuth,
    Capability,
    CatalogFields,
    CatalogItem,
    Connector,
    Listing,
    OrderDraft,
    PageNumberPaginator,
    PushResult,
    QueryAuth,
    RateLimit,
    ShipmentDraft,
    SyncWindow,
    find_by_tracking,
    push_result,
    texts_at,
    tracking_note,
)

from .mapping import to_draft
from .settings import WooCommerceSettings

PAGE_SIZE = 100  # the most WooCommerce lists per page


def _pages() -> PageNumberPaginator:
    return PageNumberPaginator(per_page=PAGE_SIZE)


# Ascending ids: a page never moves under the reader when a newer order arrives.
_BY_ID = {"orderby": "id", "order": "asc"}
_ORDERS = Listing(
    "list_orders",
    "orders",
    _pages,
    # With dates_are_gmt=true WooCommerce compares against the *_gmt columns.
    params={**_BY_ID, "dates_are_gmt": "true"},
    total_header="X-WP-Total",
    # A shop cache that ignores query strings answers every page with page 1.
    loop_fix="Exclude /wp-json/ from the shop's page cache or CDN (a cache that ignores "
    "query strings answers every page with page 1).",
)
_PRODUCTS = Listing("list_products", "products", _pages, params=_BY_ID)


def _wc_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class WooCommerceConnector(Connector[WooCommerceSettings]):
    """Pulls a WooCommerce shop's orders and pushes tracking back as customer notes
    (REST API v3, HTTP Basic auth with API keys)."""

    name = "woocommerce"
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
    settings_model = WooCommerceSettings
    # WooCommerce core documents no limit, but shared hosts and WAFs throttle bursts:
    # stay polite by default.
    default_rate_limit = RateLimit(rate=5.0, burst=10)
    # A partial shipment is a note; only "completed" shows on the order's status.
    reflects_partial_shipments = False
    page_size = PAGE_SIZE

    def auth(self) -> httpx.Auth:
        key = self.settings.consumer_key.get_secret_value()
        secret = self.settings.consumer_secret.get_secret_value()
        if self.settings.auth_in_query:
            return QueryAuth({"consumer_key": key, "consumer_secret": secret})
        return BasicAuth(key, secret)

    def check(self) -> None:
        self.http.get_json(_ORDERS.operation, _ORDERS.url, params={"per_page": 1})

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        params = {
            # WooCommerce compares in whole seconds and strictly: start one second early so
            # an order modified in the same second as the window's start is not skipped
            # (the overlap costs nothing: upserts are idempotent).
            "modified_after": _wc_time(window.start - timedelta(seconds=1)),
            "modified_before": _wc_time(window.end),
        }
        # "any" means every status except trash (WordPress's post_status=any), and WooCommerce
        # stops at "any" when it is listed with others: trash needs a read of its own.
        for status in ("any", "trash"):
            yield from _ORDERS.window(self.http, {**params, "status": status}, log=self.log)

    def push_tracking(self, shipment: ShipmentDraft) -> PushResult:
        order = f"orders/{shipment.order_external_id}"
        notes = self.http.get_json("list_notes", f"{order}/notes", params={"type": "any"})
        already = find_by_tracking(notes, shipment.tracking_number, "note", in_text=True)
        if already is None:
            # A customer note is e-mailed to the buyer: that is how they learn it.
            note = {"note": tracking_note(shipment), "customer_note": True}
            self.http.send_json("create_note", "POST", f"{order}/notes", json=note)
        if shipment.completes_order:
            # Setting a status is idempotent; it sends the "Order completed" e-mail once.
            done = {"status": "completed"}
            self.http.send_json("update_order", "PUT", order, json=done, idempotent=True)
        return push_result(already is not None)

    def to_order(self, raw: dict[str, Any]) -> OrderDraft:
        return to_draft(raw, self.settings.status_map)

    def fetch_products(self) -> Iterator[CatalogItem]:
        """Yield one catalog record per sellable item of the shop (``Capability.CATALOG``):
        each simple product, and each variation of a variable product (read from
        ``/products/{id}/variations``). Grouped and external products are not sold by the
        shop itself and are left out. Trashed products are not listed by WooCommerce."""
        for product in _PRODUCTS.all(self.http):
            kind = product.get("type")
            if kind == "variable":
                variations = _PRODUCTS.all(
                    self.http, url=f"products/{product.get('id')}/variations"
                )
                yield from (_variation_record(product, each) for each in variations)
            elif kind not in ("grouped", "external"):
                yield _product_record(product)


# global_unique_id (GTIN, UPC, EAN or ISBN) exists since WooCommerce 9.2; WordPress keeps
# product names HTML-escaped ("Salt &amp; Pepper").
_CATALOG = CatalogFields(gtin="global_unique_id", html_titles=True)


def _product_record(product: dict[str, Any]) -> CatalogItem:
    product_id = str(product.get("id", ""))
    return _CATALOG.item(
        product, ref=f"product {product_id}", identifiers={"woo_product": product_id}
    )


def _variation_record(parent: dict[str, Any], variation: dict[str, Any]) -> CatalogItem:
    parent_id, variation_id = str(parent.get("id", "")), str(variation.get("id", ""))
    return _CATALOG.variant(
        parent,
        variation,
        ref=f"variation {variation_id} of product {parent_id}",
        identifiers={"woo_variation": variation_id},
        options=texts_at(variation.get("attributes"), "option"),
        parent_title=f"product {parent_id}",
    )
