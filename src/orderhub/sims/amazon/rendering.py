"""Records to Amazon's JSON: the Orders API 2026-01-01 order with its datasets, the v0
order and money, and the packages. Buyer names and addresses are drawn from the record's
seed when rendered, one generator per dataset.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from orderhub.sims.amazon.auth import AmazonAuth
from orderhub.sims.amazon.records import (
    _V0_STATUS,
    ALL_DATASETS,
    MARKETPLACES,
    AmazonItem,
    AmazonOrderRecord,
    AmazonPackage,
    _package_key,
)
from orderhub.sims.common import utc_seconds as _iso
from orderhub.testing.sim import copy_json, deep_merge

_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY"})


# Sales tax is added on top of the price in North America; elsewhere prices include VAT.
_TAX_ON_TOP = {"US": Decimal("0.0725"), "CA": Decimal("0.13")}


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


class AmazonRendering(AmazonAuth):
    """Renders records as ``searchOrders``/``getOrder`` and the v0 operations answer."""

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

    def order(self, order_id: str, included: Iterable[str] = ALL_DATASETS) -> dict[str, Any]:
        """The order's current JSON, as ``getOrder`` renders it with ``included`` datasets
        (all by default). ``KeyError`` for an unknown order."""
        with self.lock:
            return self._render(self.record(order_id), frozenset(included))

    def packages(self, order_id: str) -> list[dict[str, Any]]:
        """The order's packages as the ``PACKAGES`` dataset renders them (one entry per
        ``packageReferenceId``), ordered by reference."""
        with self.lock:
            record = self.record(order_id)
            return [_render_package(p) for p in sorted(record.packages.values(), key=_package_key)]


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
