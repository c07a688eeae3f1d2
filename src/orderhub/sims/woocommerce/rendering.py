"""Records to WooCommerce's JSON: the order (its lines, billing and shipping addresses,
totals, taxes and meta drawn from the record's seed when rendered), notes, products and
variations.
"""

from __future__ import annotations

import random
import re
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any

from orderhub.sims.common import cents as _money
from orderhub.sims.woocommerce.auth import WooAuth
from orderhub.sims.woocommerce.records import (
    _CENT,
    CATALOG,
    Product,
    WooNote,
    WooOrderRecord,
    _product_for,
    _wall,
)
from orderhub.testing.sim import copy_json, deep_merge

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


_TAX_RATE = Decimal("0.20")


_FLAT_SHIPPING = Decimal("4.90")


_FREE_SHIPPING_FROM = Decimal("60.00")


class WooRendering(WooAuth):
    """Renders records as the ``wc/v3`` routes answer."""

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
