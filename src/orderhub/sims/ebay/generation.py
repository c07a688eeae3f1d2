"""Seeded, realistic eBay orders: the listings, the status mix, the helpers that add orders
and the live feed of the demo.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from typing import Any

from orderhub.sims.ebay.changes import EbayChanges, _tracking_number
from orderhub.sims.ebay.records import (
    _CENT,
    _MARKET_WEIGHTS,
    _MARKETS,
    CANCEL_STATES,
    FULFILLMENT_STATUSES,
    MARKETS,
    PAYMENT_STATUSES,
    EbayLine,
    EbayOrderRecord,
    Listing,
    MalformedKind,
)
from orderhub.testing.sim import LiveFeed, creation_times, whole_seconds

CATALOG: tuple[Listing, ...] = (
    Listing("364512345678", None, "CAM-35MM-VINTAGE", "Vintage 35mm Film Camera, tested",
            Decimal("89.00"), Decimal("9.50")),
    Listing("364598765432", "640012345671", "LED-5M-WW", "LED Strip 5m - Warm White",
            Decimal("14.99"), Decimal("0"), (("Colour", "Warm White"),)),
    Listing("364598765432", "640012345672", "LED-5M-CW", "LED Strip 5m - Cool White",
            Decimal("14.99"), Decimal("0"), (("Colour", "Cool White"),)),
    Listing("295512340001", None, None, "Lot of 10 Vintage Postcards",
            Decimal("12.50"), Decimal("2.50")),
    Listing("295587650002", "530011110001", "TEE-ORGANIC-M", "Organic Cotton T-Shirt",
            Decimal("24.00"), Decimal("4.00"), (("Size", "M"), ("Colour", "Navy"))),
    Listing("295587650002", "530011110002", "TEE-ORGANIC-L", "Organic Cotton T-Shirt",
            Decimal("24.00"), Decimal("4.00"), (("Size", "L"), ("Colour", "Navy"))),
    Listing("186612340003", None, "USBC-CABLE-2M", "USB-C Cable 2m, braided",
            Decimal("9.99"), Decimal("0")),
    Listing("186698760004", None, "CASE-IP15-CLEAR", "Clear Phone Case for iPhone 15",
            Decimal("11.49"), Decimal("0")),
    Listing("404412340005", None, "BOOK-SF-1977", "Paperback science fiction novel, 1977",
            Decimal("7.00"), Decimal("3.50")),
    Listing("404456780006", "700022220001", "RUN-W-38", "Running Shoes Women",
            Decimal("59.95"), Decimal("0"), (("EU Shoe Size", "38"),)),
    Listing("404456780006", "700022220002", "RUN-W-39", "Running Shoes Women",
            Decimal("59.95"), Decimal("0"), (("EU Shoe Size", "39"),)),
    Listing("125512340007", None, "MUG-ENAMEL-BLUE", "Enamel Camping Mug, blue",
            Decimal("16.00"), Decimal("3.90")),
)  # fmt: skip


_CATALOG_WEIGHTS = tuple(accumulate((5, 9, 7, 3, 8, 6, 10, 8, 4, 3, 3, 5)))


# (status mix of generated orders): (payment, fulfillment, cancel), weight
_GENERATED = (
    (("PAID", "NOT_STARTED", "NONE_REQUESTED"), 42),
    (("PAID", "FULFILLED", "NONE_REQUESTED"), 30),
    (("PAID", "IN_PROGRESS", "NONE_REQUESTED"), 4),
    (("PENDING", "NOT_STARTED", "NONE_REQUESTED"), 4),
    (("FAILED", "NOT_STARTED", "NONE_REQUESTED"), 1),
    (("PARTIALLY_REFUNDED", "FULFILLED", "NONE_REQUESTED"), 3),
    (("FULLY_REFUNDED", "FULFILLED", "NONE_REQUESTED"), 2),
    (("PAID", "NOT_STARTED", "IN_PROGRESS"), 6),
    (("FULLY_REFUNDED", "NOT_STARTED", "CANCELED"), 8),
)


_GENERATED_CUM = tuple(accumulate(w for _, w in _GENERATED))


class EbayGeneration(EbayChanges):
    """Adds orders by hand, in bulk from the seed, or live."""

    def add_order(
        self,
        *,
        created: datetime | None = None,
        modified: datetime | None = None,
        lines: Sequence[tuple[str | None, int]] | None = None,
        marketplace: str = "EBAY_US",
        payment_status: str = "PAID",
        fulfillment_status: str = "NOT_STARTED",
        cancel_state: str = "NONE_REQUESTED",
    ) -> dict[str, Any]:
        """Create an order and return its ``getOrder`` JSON.

        ``lines`` are ``(sku, quantity)`` pairs picked from the catalog (``None`` picks the
        listing without a SKU); without them lines are generated. ``fulfillment_status``
        ``FULFILLED`` ships every line (with a tracked fulfillment), ``IN_PROGRESS`` the
        first unit of the first line. ``cancel_state`` ``IN_PROGRESS`` adds a pending buyer
        request, ``CANCELED`` a completed one. ``modified`` defaults to ``created``
        (default: now).
        """
        if marketplace not in _MARKETS:
            raise ValueError(f"unknown marketplace {marketplace!r}")
        if payment_status not in PAYMENT_STATUSES:
            raise ValueError(f"unknown payment status {payment_status!r}")
        if fulfillment_status not in FULFILLMENT_STATUSES:
            raise ValueError(f"unknown fulfillment status {fulfillment_status!r}")
        if cancel_state not in CANCEL_STATES:
            raise ValueError(f"unknown cancel state {cancel_state!r}")
        with self.lock:
            when = self.store.moment(created)
            record = self._new_record(when, marketplace, lines, self._rng)
            self._set_state(record, payment_status, fulfillment_status, cancel_state, when)
            record.modified = whole_seconds(modified) if modified is not None else when
            self.store.changed()
            return self._render(record, "https://api.ebay.com", listing=False)

    def add_malformed_order(
        self, kind: MalformedKind = "no_line_items", **kwargs: Any
    ) -> dict[str, Any]:
        """Create an order a connector cannot normalise and return its (broken) JSON:
        ``no_line_items`` (an empty ``lineItems``), ``bad_total`` (a total that is not a
        number), ``missing_last_modified`` or ``unknown_payment`` (a payment status eBay
        does not document). It is listed like any other order."""
        if kind not in ("no_line_items", "bad_total", "missing_last_modified", "unknown_payment"):
            raise ValueError(f"unknown malformation {kind!r}")
        with self.lock:
            rendered = self.add_order(**kwargs)
            record = self._require(rendered["orderId"])
            record.malformed = kind
            self.store.changed()
            return self._render(record, "https://api.ebay.com", listing=False)

    def generate(
        self,
        n: int,
        *,
        start: datetime | None = None,
        spread: timedelta = timedelta(days=1),
        marketplaces: Sequence[str] | None = None,
    ) -> list[str]:
        """Create ``n`` realistic orders created over ``[start, start + spread)`` (default:
        the ``spread`` before now), oldest first, in the usual mix of states (most paid and
        waiting or shipped; some pending, refunded, with a cancel request or cancelled).
        Later changes never lie after now. Returns the order ids."""
        with self.lock:
            now = self.store.now()
            rng = self._rng
            ids: list[str] = []
            for created in creation_times(rng, n, start=start, spread=spread, now=now):
                market = (
                    rng.choice(marketplaces)
                    if marketplaces
                    else rng.choices(MARKETS, cum_weights=_MARKET_WEIGHTS)[0].marketplace
                )
                record = self._new_record(created, market, None, rng)
                payment, fulfillment, cancel = rng.choices(
                    [s for s, _ in _GENERATED], cum_weights=_GENERATED_CUM
                )[0]
                changed = created + timedelta(seconds=rng.randint(300, 3 * 86400))
                if changed > now:  # spread late changes over what is left, not all at now
                    changed = created + (now - created) * rng.random() if now > created else now
                changed = whole_seconds(changed)
                self._set_state(record, payment, fulfillment, cancel, changed)
                ids.append(record.order_id)
            self.store.changed()
            return ids

    def start_live(self, *, new_per_hour: float = 60.0, changes_per_hour: float = 30.0) -> LiveFeed:
        """Let orders arrive and change as simulated time passes: new orders (mostly paid),
        shipments, buyer cancel requests and the seller's answers, late payments, refunds."""
        return self.start_live_feed(
            self._live_new,
            self._live_change,
            new_per_hour=new_per_hour,
            changes_per_hour=changes_per_hour,
            seed=self.seed + 1,
        )

    def _live_new(self, rng: random.Random, when: datetime) -> None:
        market = rng.choices(MARKETS, cum_weights=_MARKET_WEIGHTS)[0].marketplace
        record = self._new_record(whole_seconds(when), market, None, rng)
        payment = "PENDING" if rng.random() < 0.08 else "PAID"
        self._set_state(record, payment, "NOT_STARTED", "NONE_REQUESTED", whole_seconds(when))
        self.store.changed()

    def _live_change(self, rng: random.Random, when: datetime) -> None:
        moment = whole_seconds(when)
        for _ in range(20):  # look for an order that can still change
            if not self._ids:
                return
            record = self.store.get(rng.choice(self._ids))
            if record is None or record.malformed or record.cancel_state == "CANCELED":
                continue
            if record.payment_status == "PENDING":
                record.payment_status = "PAID" if rng.random() < 0.85 else "FAILED"
                record.paid = moment if record.payment_status == "PAID" else None
            elif record.cancel_state == "IN_PROGRESS":
                request = next(r for r in record.cancel_requests if r.state == "REQUESTED")
                if rng.random() < 0.7:
                    self._complete_cancel(record, request, moment)
                else:
                    request.state, request.completed = "REJECTED", moment
                    record.cancel_state = "NONE_REQUESTED"
            elif record.payment_status == "PAID" and record.status != "FULFILLED":
                if rng.random() < 0.15:
                    self._new_cancel_request(record, "Buyer", "ORDER_MISTAKE", moment)
                    record.cancel_state = "IN_PROGRESS"
                else:
                    remaining = [
                        (line.line_item_id, line.quantity - line.shipped)
                        for line in record.lines
                        if line.quantity > line.shipped
                    ]
                    market = _MARKETS[record.marketplace]
                    self._add_fulfillment(
                        record,
                        remaining,
                        moment,
                        tracking=_tracking_number(rng, market.carrier),
                        carrier=market.carrier,
                        when=moment,
                    )
                    return
            elif record.payment_status == "PAID" and rng.random() < 0.1:
                self._refund(record, None, moment)
            else:
                continue
            self.store.touch(record.id, moment)
            return

    # -- internals -------------------------------------------------------------------------------

    def _order_id(self, internal: int) -> str:
        # 37 is coprime with 10**10, so distinct internal ids give distinct order ids.
        number = (1_234_567_890 + internal * 37) % 10**10
        return f"{self._prefix:02d}-{number // 100_000:05d}-{number % 100_000:05d}"

    def _new_record(
        self,
        created: datetime,
        marketplace: str,
        lines: Sequence[tuple[str | None, int]] | None,
        rng: random.Random,
    ) -> EbayOrderRecord:
        internal = self.store.next_id()
        market = _MARKETS[marketplace]
        if lines is not None:
            chosen = [(_listing_for(sku), qty) for sku, qty in lines]
        else:
            count = rng.choices((1, 2, 3), cum_weights=(70, 92, 100))[0]
            picks = rng.choices(CATALOG, cum_weights=_CATALOG_WEIGHTS, k=count)
            merged: dict[Listing, int] = {}
            for listing in picks:
                merged[listing] = (
                    merged.get(listing, 0) + rng.choices((1, 2, 3), cum_weights=(82, 96, 100))[0]
                )
            chosen = list(merged.items())
        record_lines = [
            EbayLine(
                line_item_id=str(10_000_000_000_000 + internal * 100 + index),
                listing=listing,
                quantity=quantity,
                unit_price=(listing.usd_price * market.rate).quantize(_CENT, ROUND_HALF_UP),
                shipping=(listing.usd_shipping * market.rate).quantize(_CENT, ROUND_HALF_UP),
            )
            for index, (listing, quantity) in enumerate(chosen, start=1)
        ]
        record = EbayOrderRecord(
            id=internal,
            created=created,
            modified=created,
            status="NOT_STARTED",
            order_id=self._order_id(internal),
            seed=rng.getrandbits(48),
            marketplace=marketplace,
            lines=record_lines,
        )
        self.store.add(record)
        self._by_order_id[record.order_id] = internal
        self._ids.append(internal)
        return record


def _listing_for(sku: str | None) -> Listing:
    for listing in CATALOG:
        if listing.sku == sku:
            return listing
    if sku is None:
        raise ValueError("no catalog listing without a SKU")  # pragma: no cover
    return Listing("110000000000", None, sku, f"Item {sku}", Decimal("10.00"), Decimal("2.00"))
