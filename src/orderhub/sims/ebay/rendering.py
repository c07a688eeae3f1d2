"""Records to eBay's JSON: the order with its line items, pricing, buyer and shipping step
(names drawn from the record's seed), cancellation requests and shipping fulfillments.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote

from orderhub.sims.ebay.auth import EbayAuth
from orderhub.sims.ebay.records import (
    _CENT,
    _MARKETS,
    API_PATH,
    EbayCancelRequest,
    EbayFulfillment,
    EbayOrderRecord,
    _amount,
    _ts,
)

_FIRST = (
    "Avery", "Blake", "Casey", "Dana", "Emery", "Finley", "Gray", "Harper", "Jamie", "Kendall",
    "Logan", "Morgan", "Noel", "Parker", "Quinn", "Riley", "Sage", "Taylor", "Rowan", "Skyler",
)  # fmt: skip


_LAST = (
    "Abbott", "Brennan", "Castillo", "Dorsey", "Ellison", "Fischer", "Goodwin", "Hollis",
    "Iverson", "Jensen", "Kowalski", "Lindqvist", "Moreno", "Nakamura", "Okafor", "Pereira",
)  # fmt: skip


_HANDLES = (
    "retro", "bargain", "vinyl", "maple", "pixel", "harbor", "cobalt", "tinker", "amber", "nomad",
)  # fmt: skip


_HANDLE_NOUNS = ("finds", "hunter", "fox", "collector", "deals", "owl", "shop", "nest")


class EbayRendering(EbayAuth):
    """Renders records as ``getOrder``/``getOrders`` and the fulfillment routes answer."""

    @staticmethod
    def _render_fulfillment(item: EbayFulfillment) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "fulfillmentId": item.fulfillment_id,
            "lineItems": [{"lineItemId": i, "quantity": q} for i, q in item.lines],
            "shippedDate": _ts(item.shipped),
        }
        if item.tracking_number is not None:
            rendered["shipmentTrackingNumber"] = item.tracking_number
        if item.carrier is not None:
            rendered["shippingCarrierCode"] = item.carrier
        return rendered

    # -- rendering -------------------------------------------------------------------------------

    def _render(self, record: EbayOrderRecord, base_url: str, *, listing: bool) -> dict[str, Any]:
        """The order as eBay renders it. ``listing`` (getOrders) leaves the cancel requests
        out, as eBay does."""
        rng = random.Random(record.seed)
        market = _MARKETS[record.marketplace]
        currency = market.currency
        street, city, state, postcode, country, phone = rng.choice(market.places)
        full_name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        username = (
            f"{rng.choice(_HANDLES)}{rng.choice(('_', '.', '-', ''))}"
            f"{rng.choice(_HANDLE_NOUNS)}{rng.randint(1, 999)}"
        )
        ship_to: dict[str, Any] = {
            "fullName": full_name,
            "contactAddress": {
                "addressLine1": f"{rng.randint(1, 999)} {street}",
                "city": city,
                "stateOrProvince": state,
                "postalCode": postcode,
                "countryCode": country,
            },
            "primaryPhone": {"phoneNumber": f"{phone} {rng.randint(1000000, 9999999)}"},
            "email": f"{rng.getrandbits(40):010x}@members.ebay.com",
        }
        if rng.random() < 0.2:
            ship_to["contactAddress"]["addressLine2"] = f"Apt {rng.randint(1, 40)}"
        created = record.created
        delivery_min = created + timedelta(days=3)
        delivery_max = created + timedelta(days=7)
        ship_by = created + timedelta(days=2)

        line_items: list[dict[str, Any]] = []
        subtotal = shipping_total = Decimal(0)
        for line in record.lines:
            cost = line.unit_price * line.quantity
            subtotal += cost
            shipping_total += line.shipping
            item: dict[str, Any] = {
                "lineItemId": line.line_item_id,
                "legacyItemId": line.listing.item_id,
                "title": line.listing.title,
                "lineItemCost": _amount(cost, currency),
                "quantity": line.quantity,
                "soldFormat": "FIXED_PRICE",
                "listingMarketplaceId": record.marketplace,
                "purchaseMarketplaceId": record.marketplace,
                "lineItemFulfillmentStatus": line.status,
                "total": _amount(cost + line.shipping, currency),
                "deliveryCost": {"shippingCost": _amount(line.shipping, currency)},
                "appliedPromotions": [],
                "taxes": [],
                "properties": {"buyerProtection": True},
                "lineItemFulfillmentInstructions": {
                    "minEstimatedDeliveryDate": _ts(delivery_min),
                    "maxEstimatedDeliveryDate": _ts(delivery_max),
                    "shipByDate": _ts(ship_by),
                    "guaranteedDelivery": False,
                },
                "itemLocation": {
                    "location": "Warehouse 3",
                    "countryCode": "US",
                    "postalCode": "60601",
                },
                "refunds": [],
            }
            if line.listing.sku:
                item["sku"] = line.listing.sku
            if line.listing.variation_id:
                item["legacyVariationId"] = line.listing.variation_id
                item["variationAspects"] = [
                    {"name": name, "value": value} for name, value in line.listing.aspects
                ]
            line_items.append(item)
        total = subtotal + shipping_total
        fee = (total * Decimal("0.1325")).quantize(_CENT, rounding=ROUND_HALF_UP)
        payment: dict[str, Any] = {
            "paymentMethod": "EBAY",
            "amount": _amount(total, currency),
            "paymentStatus": {"PENDING": "PENDING", "FAILED": "FAILED"}.get(
                record.payment_status, "PAID"
            ),
        }
        if record.paid is not None:
            payment["paymentDate"] = _ts(record.paid)
        refunds = [
            {
                "refundId": refund_id,
                "refundReferenceId": f"R{refund_id}",
                "refundDate": _ts(when),
                "refundStatus": "REFUNDED",
                "amount": _amount(value, currency),
            }
            for refund_id, value, when in record.refunds
        ]
        cancel: dict[str, Any] = {"cancelState": record.cancel_state, "cancelRequests": []}
        if record.cancelled is not None:
            cancel["cancelledDate"] = _ts(record.cancelled)
        if not listing:
            cancel["cancelRequests"] = [self._render_cancel(r) for r in record.cancel_requests]
        api = f"{base_url}{API_PATH}/order/{record.order_id}"
        order: dict[str, Any] = {
            "orderId": record.order_id,
            "creationDate": _ts(record.created),
            "lastModifiedDate": _ts(record.modified),
            "orderFulfillmentStatus": record.status,
            "orderPaymentStatus": record.payment_status,
            "sellerId": self.seller_id,
            "buyer": {
                "username": username,
                "taxAddress": {
                    "city": city,
                    "stateOrProvince": state,
                    "postalCode": postcode,
                    "countryCode": country,
                },
            },
            "pricingSummary": {
                "priceSubtotal": _amount(subtotal, currency),
                "deliveryCost": _amount(shipping_total, currency),
                "total": _amount(total, currency),
            },
            "cancelStatus": cancel,
            "paymentSummary": {
                "totalDueSeller": _amount(total, currency),
                "refunds": refunds,
                "payments": [payment],
            },
            "fulfillmentStartInstructions": [
                {
                    "fulfillmentInstructionsType": "SHIP_TO",
                    "minEstimatedDeliveryDate": _ts(delivery_min),
                    "maxEstimatedDeliveryDate": _ts(delivery_max),
                    "ebaySupportedFulfillment": False,
                    "shippingStep": {
                        "shipTo": ship_to,
                        "shippingCarrierCode": market.carrier,
                        "shippingServiceCode": market.service,
                    },
                }
            ],
            "fulfillmentHrefs": [
                f"{api}/shipping_fulfillment/{quote(f.fulfillment_id, safe='')}"
                for f in record.fulfillments
            ],
            "lineItems": line_items,
            "salesRecordReference": str(1000 + record.id),
            "totalFeeBasisAmount": _amount(total, currency),
            "totalMarketplaceFee": _amount(fee, currency),
        }
        if record.malformed == "no_line_items":
            order["lineItems"] = []
        elif record.malformed == "bad_total":
            order["pricingSummary"]["total"]["value"] = "twelve dollars"
        elif record.malformed == "missing_last_modified":
            del order["lastModifiedDate"]
        elif record.malformed == "unknown_payment":
            order["orderPaymentStatus"] = "AWAITING_SETTLEMENT"
        return order

    @staticmethod
    def _render_cancel(request: EbayCancelRequest) -> dict[str, Any]:
        rendered = {
            "cancelRequestId": request.request_id,
            "cancelInitiator": request.initiator,
            "cancelReason": request.reason,
            "cancelRequestState": request.state,
            "cancelRequestedDate": _ts(request.requested),
        }
        if request.completed is not None:
            rendered["cancelCompletedDate"] = _ts(request.completed)
        return rendered

    # -- helpers for tests and demos -------------------------------------------------------------

    def order(self, order_id: str) -> dict[str, Any]:
        """The order as ``getOrder`` answers it. ``KeyError`` for an unknown id."""
        with self.lock:
            record = self._require(order_id)
            return self._render(record, "https://api.ebay.com", listing=False)

    def fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        """The order's fulfillments as ``getShippingFulfillments`` lists them."""
        with self.lock:
            return [self._render_fulfillment(f) for f in self._require(order_id).fulfillments]
