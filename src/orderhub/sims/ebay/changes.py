"""How an eBay order changes after it is placed: shipped, paid, refunded, cancellation
requested, approved or rejected, as the seller or buyer would do it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from orderhub.sims.ebay.records import (
    _CENT,
    _MARKETS,
    EbayCancelRequest,
    EbayOrderRecord,
    _fulfillment_status,
)
from orderhub.sims.ebay.shipping import EbayShipping
from orderhub.testing.sim import whole_seconds


class EbayChanges(EbayShipping):
    """Test and demo helpers that move orders through eBay's states."""

    def ship(
        self,
        order_id: str,
        *,
        tracking_number: str | None = None,
        carrier: str | None = None,
        lines: Sequence[tuple[str, int]] | None = None,
        when: datetime | None = None,
    ) -> dict[str, Any]:
        """The seller ships (in Seller Hub, not through the API): a fulfillment for
        ``lines`` (default: everything unshipped) with a generated tracking number unless
        one is given. Returns the fulfillment."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            chosen = (
                list(lines)
                if lines is not None
                else [
                    (line.line_item_id, line.quantity - line.shipped)
                    for line in record.lines
                    if line.quantity > line.shipped
                ]
            )
            if not chosen:
                raise ValueError(f"order {order_id} has nothing left to ship")
            market = _MARKETS[record.marketplace]
            number = tracking_number or _tracking_number(self._rng, carrier or market.carrier)
            fulfillment = self._add_fulfillment(
                record,
                chosen,
                moment,
                tracking=number,
                carrier=carrier or market.carrier,
                when=moment,
            )
            return self._render_fulfillment(fulfillment)

    def request_cancel(self, order_id: str, *, when: datetime | None = None) -> dict[str, Any]:
        """The buyer asks to cancel: ``cancelState`` becomes ``IN_PROGRESS``."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            self._new_cancel_request(record, "Buyer", "ORDER_MISTAKE", moment)
            record.cancel_state = "IN_PROGRESS"
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def approve_cancel(self, order_id: str, *, when: datetime | None = None) -> dict[str, Any]:
        """The seller accepts the open cancel request: the order is ``CANCELED`` and a paid
        order is refunded in full."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            open_requests = [r for r in record.cancel_requests if r.state == "REQUESTED"]
            if not open_requests:
                raise ValueError(f"order {order_id} has no open cancel request")
            self._complete_cancel(record, open_requests[-1], moment)
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def reject_cancel(self, order_id: str, *, when: datetime | None = None) -> dict[str, Any]:
        """The seller refuses the open cancel request (``cancelState`` back to
        ``NONE_REQUESTED``; the request stays, ``REJECTED``)."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            for request in record.cancel_requests:
                if request.state == "REQUESTED":
                    request.state = "REJECTED"
                    request.completed = moment
            record.cancel_state = "NONE_REQUESTED"
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def cancel(self, order_id: str, *, when: datetime | None = None) -> dict[str, Any]:
        """The seller cancels the order (out of stock): ``CANCELED`` at once, refunded."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            request = self._new_cancel_request(record, "Seller", "OUT_OF_STOCK", moment)
            self._complete_cancel(record, request, moment)
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def mark_paid(self, order_id: str, *, when: datetime | None = None) -> dict[str, Any]:
        """A pending payment arrives."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            record.payment_status = "PAID"
            record.paid = moment
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def refund(
        self, order_id: str, amount: Decimal | None = None, *, when: datetime | None = None
    ) -> dict[str, Any]:
        """Refund ``amount`` (default: everything not yet refunded)."""
        with self.lock:
            record = self._require(order_id)
            moment = self.store.moment(when)
            self._refund(record, amount, moment)
            self.store.touch(record.id, moment)
            return self.order(order_id)

    def _set_state(
        self,
        record: EbayOrderRecord,
        payment: str,
        fulfillment: str,
        cancel: str,
        changed: datetime,
    ) -> None:
        """Bring a new record into a state, as if the changes had happened at ``changed``."""
        created = record.created
        unpaid = payment in ("PENDING", "FAILED")
        if not unpaid:
            record.paid = created + timedelta(seconds=5)
        record.payment_status = payment if unpaid else "PAID"
        market = _MARKETS[record.marketplace]
        rng = random.Random(record.seed ^ 0x5EED)
        if fulfillment == "FULFILLED":
            everything = [(line.line_item_id, line.quantity) for line in record.lines]
            self._add_fulfillment(
                record,
                everything,
                changed,
                tracking=_tracking_number(rng, market.carrier),
                carrier=market.carrier,
                when=changed,
            )
        elif fulfillment == "IN_PROGRESS":
            first = record.lines[0]
            self._add_fulfillment(
                record,
                [(first.line_item_id, 1)],
                changed,
                tracking=_tracking_number(rng, market.carrier),
                carrier=market.carrier,
                when=changed,
            )
            if record.status == "FULFILLED":  # a one-unit order: add a unit left to ship
                first.quantity += 1
                record.status = _fulfillment_status(record)
        if cancel == "IN_PROGRESS":
            self._new_cancel_request(record, "Buyer", "ORDER_MISTAKE", changed)
            record.cancel_state = "IN_PROGRESS"
        elif cancel == "CANCELED":
            request = self._new_cancel_request(record, "Buyer", "ORDER_MISTAKE", created)
            self._complete_cancel(record, request, changed)
        if payment == "FULLY_REFUNDED" and record.payment_status != "FULLY_REFUNDED":
            self._refund(record, None, changed)
        elif payment == "PARTIALLY_REFUNDED":
            total = sum((line.unit_price * line.quantity for line in record.lines), Decimal(0))
            self._refund(record, (total / 4).quantize(_CENT), changed)
        record.modified = whole_seconds(changed)

    def _new_cancel_request(
        self, record: EbayOrderRecord, initiator: str, reason: str, when: datetime
    ) -> EbayCancelRequest:
        with self._helper_lock:
            self._next_request_id += 1
            request_id = str(self._next_request_id)
        request = EbayCancelRequest(
            request_id=request_id,
            initiator=initiator,
            reason=reason,
            state="REQUESTED",
            requested=when,
        )
        record.cancel_requests.append(request)
        return request

    def _complete_cancel(
        self, record: EbayOrderRecord, request: EbayCancelRequest, when: datetime
    ) -> None:
        request.state = "COMPLETED"
        request.completed = when
        record.cancel_state = "CANCELED"
        record.cancelled = when
        if record.payment_status in ("PAID", "PARTIALLY_REFUNDED"):
            self._refund(record, None, when)

    def _refund(self, record: EbayOrderRecord, amount: Decimal | None, when: datetime) -> None:
        total = sum(
            (line.unit_price * line.quantity + line.shipping for line in record.lines), Decimal(0)
        )
        refunded = sum((value for _, value, _ in record.refunds), Decimal(0))
        value = total - refunded if amount is None else min(amount, total - refunded)
        if value <= 0:
            return
        with self._helper_lock:
            self._next_request_id += 1
            refund_id = str(self._next_request_id)
        record.refunds.append((refund_id, value, when))
        refunded += value
        record.payment_status = "FULLY_REFUNDED" if refunded >= total else "PARTIALLY_REFUNDED"


def _tracking_number(rng: random.Random, carrier: str) -> str:
    if carrier == "UPS":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    if carrier == "RoyalMail":
        return "RN" + f"{rng.randint(0, 10**9 - 1):09d}" + "GB"
    return "9400" + "".join(str(rng.randint(0, 9)) for _ in range(18))
