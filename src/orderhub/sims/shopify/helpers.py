"""Test and demo helpers of the simulated Shopify store: add, generate, cancel, refund,
remove and fulfil orders, and the live feed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from orderhub.sims.shopify import generation as gen
from orderhub.sims.shopify.records import ShopifyOrderRecord
from orderhub.sims.shopify.shop import ShopifyShop
from orderhub.testing.sim import creation_times


def _pick(rng: random.Random, mix: Sequence[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in mix], [weight for _, weight in mix])[0]


class ShopifyHelpers(ShopifyShop):
    """Adds and changes orders the way a merchant or buyer would."""

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
