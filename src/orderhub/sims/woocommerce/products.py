"""The product routes of the simulated WooCommerce store (catalog import and SKU matching)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from orderhub.sims.woocommerce.base import _as_int
from orderhub.sims.woocommerce.notes import WooNotes
from orderhub.sims.woocommerce.records import CATALOG
from orderhub.testing.sim import SimRequest, SimResponse, copy_json, page_number_slice, route


class WooProducts(WooNotes):
    """``/products`` and ``/products/{id}/variations``, paged like WordPress."""

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
