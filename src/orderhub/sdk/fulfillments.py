"""The check-then-create push of channels without an idempotency key: finding the shipment
among the channel's existing fulfillments (the "already applied" answer), refusing units
the channel already shows shipped by another route, and looking again after a 409. The
pieces every push uses (:func:`~orderhub.sdk.check_shipment`,
:func:`~orderhub.sdk.find_by_tracking`, ...) are in :mod:`orderhub.sdk.push`.

:func:`push_checked` is the whole push of a channel without an idempotency key whose
fulfillments list their lines and tracking numbers; the connector gives the channel's
calls (list the order's fulfillments, read its lines, create one) and the shape of its
fulfillment records (:class:`FulfillmentShape`)::

    return push_checked(
        shipment, label="eBay account x", channel="eBay", console="Seller Hub",
        carriers="USPS, UPS, FedEx", shape=FulfillmentShape(...),
        existing=lambda: self._fulfillments(order_id),
        ordered=lambda: self._ordered_lines(order_id),
        create=lambda tracking: self._create(shipment, tracking),
    )

The smaller pieces (:func:`units_shipped`, :func:`ordered_lines`, :func:`over_shipped`,
:func:`over_shipped_refusal`) serve connectors whose push differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from orderhub.sdk.drafts import PushOutcome, PushResult, ShipmentDraft, ShipmentLine
from orderhub.sdk.errors import RejectedError
from orderhub.sdk.push import check_shipment, find_by_tracking

__all__ = [
    "CheckedPush",
    "FulfillmentShape",
    "id_from_location",
    "ordered_lines",
    "over_shipped",
    "over_shipped_refusal",
    "push_checked",
    "units_shipped",
]

#: ``{line id: (units shipped, tracking numbers)}``, from :func:`units_shipped`.
Shipped = dict[str, tuple[int, list[str]]]


def units_shipped(
    records: Iterable[Mapping[str, Any]],
    *,
    lines: str,
    line_id: str,
    quantity: str = "quantity",
    tracking: Sequence[str] = (),
) -> Shipped:
    """``{line id: (units shipped, tracking numbers)}`` over every fulfillment record: each
    lists its lines at ``lines`` (objects with ``line_id`` and ``quantity``), and its
    tracking number at the first of ``tracking`` that is set. Entries that are not a
    string id with a positive integer quantity are left out."""
    shipped: Shipped = {}
    for record in records:
        number = next((record[k] for k in tracking if record.get(k)), None)
        references = record.get(lines)
        for reference in references if isinstance(references, list) else []:
            if not isinstance(reference, Mapping):
                continue
            line, count = reference.get(line_id), reference.get(quantity)
            if not isinstance(line, str) or isinstance(count, bool):
                continue
            if not isinstance(count, int) or count < 1:
                continue
            done, numbers = shipped.get(line, (0, []))
            if isinstance(number, str) and number not in numbers:
                numbers = [*numbers, number]
            shipped[line] = (done + count, numbers)
    return shipped


def ordered_lines(
    items: Any, *, line_id: str = "lineItemId", quantity: str = "quantity", sku: str = "sku"
) -> dict[str, tuple[int, str | None]]:
    """``{line id: (quantity ordered, SKU)}`` of an order's line list (anything that is not
    a list of objects with a string id and an integer quantity is left out)."""
    found: dict[str, tuple[int, str | None]] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        line, count, code = item.get(line_id), item.get(quantity), item.get(sku)
        if isinstance(line, str) and isinstance(count, int) and not isinstance(count, bool):
            found[line] = (count, code if isinstance(code, str) and code else None)
    return found


def over_shipped(
    lines: Iterable[ShipmentLine],
    ordered: Mapping[str, tuple[int, str | None]],
    shipped: Shipped,
    *,
    channel: str,
) -> list[str]:
    """One sentence for each of ``lines`` that asks for more units than the channel still
    has unshipped (``ordered`` minus ``shipped``). Lines the order does not have are left
    to the channel, which names them in its own refusal."""
    problems = []
    for line in lines:
        if line.line_external_id not in shipped or line.line_external_id not in ordered:
            continue
        quantity, sku = ordered[line.line_external_id]
        done, numbers = shipped[line.line_external_id]
        left = max(0, quantity - done)
        if line.quantity <= left:
            continue
        what = f"line item {line.line_external_id}" + (f" (SKU {sku})" if sku else "")
        under = ", ".join(numbers) if numbers else "no tracking number"
        problems.append(
            f"{what}: this shipment sends {line.quantity} unit(s), but {channel} already shows "
            f"{done} of its {quantity} unit(s) shipped (tracking {under}), so only {left} "
            "can still ship"
        )
    return problems


def over_shipped_refusal(
    where: str, problems: Sequence[str], *, channel: str, console: str
) -> RejectedError:
    """The refusal of a shipment :func:`over_shipped` found problems with (code
    ``already_shipped``). ``where`` names account and order, ``console`` the channel's
    seller interface (``"Seller Hub"``)."""
    return RejectedError(
        f"{where}: {'; '.join(problems)}. Those units were shipped by another route "
        f"({console}, another tool or {channel} itself), so {channel} would refuse this "
        "shipment; not sent",
        fix=(
            f"Check the order in {console}. If those units really went out, withdraw this "
            "shipment (`orderhub shipments cancel ID`) and record what is still unshipped; "
            f"if {channel}'s record is wrong, correct the fulfillment in {console} first, "
            "then queue the push again (`orderhub pushes retry`)."
        ),
        code="already_shipped",
    )


def id_from_location(location: str | None, collection: str) -> str | None:
    """The id a ``Location`` header gives for a resource created in ``collection``: the last
    path segment of ``.../{collection}/{id}`` (percent-decoded), or None."""
    if not location:
        return None
    path = urlsplit(location).path.rstrip("/")
    head, _, last = path.rpartition("/")
    if not last or not head.endswith(f"/{collection}"):
        return None
    return unquote(last)


@dataclass(frozen=True)
class FulfillmentShape:
    """Where a channel's fulfillment records keep what :func:`push_checked` reads: the list
    of shipped lines (``lines``, objects with ``line_id`` and ``quantity``), the tracking
    number (the first of ``tracking`` that is set) and the record's id (``reference``)."""

    lines: str
    line_id: str
    tracking: tuple[str, ...]
    reference: str
    quantity: str = "quantity"


def push_checked(
    shipment: ShipmentDraft,
    *,
    label: str,
    channel: str,
    console: str,
    carriers: str,
    shape: FulfillmentShape,
    existing: Callable[[], list[dict[str, Any]]],
    ordered: Callable[[], Mapping[str, tuple[int, str | None]]],
    create: Callable[[str], PushResult],
    rejected: Callable[[RejectedError], RejectedError] = lambda exc: exc,
) -> PushResult:
    """Push ``shipment`` to a channel without an idempotency key, so that a retry after a
    lost answer never ships twice:

    1. :func:`check_shipment` (nothing is sent when it fails);
    2. ``existing()`` lists the order's fulfillments; one with the same tracking number
       (without case, spaces and dashes) is ``ALREADY_APPLIED``;
    3. when a line of the shipment is already in a fulfillment, ``ordered()`` (the order's
       ``{line id: (quantity, SKU)}``) says whether the units are still unshipped; units
       the channel shows shipped by another route are refused with
       :func:`over_shipped_refusal` (code ``already_shipped``) before sending;
    4. ``create(tracking)`` sends the fulfillment (never retried blindly) and gives the
       result. A 409 answer looks again: a fulfillment with the tracking number that has
       appeared meanwhile is ``ALREADY_APPLIED``; any other refusal goes through
       ``rejected`` (which explains the channel's error codes) and is raised.
    """
    tracking = check_shipment(shipment, channel, label=label, carriers=carriers)
    fulfillments = existing()
    found = find_by_tracking(fulfillments, tracking, *shape.tracking)
    if found is not None:
        return PushResult(
            PushOutcome.ALREADY_APPLIED,
            channel_reference=str(found.get(shape.reference) or tracking),
            detail={"tracking_number": tracking, "line_items": found.get(shape.lines)},
        )
    shipped = units_shipped(
        fulfillments,
        lines=shape.lines,
        line_id=shape.line_id,
        quantity=shape.quantity,
        tracking=shape.tracking,
    )
    if any(line.line_external_id in shipped for line in shipment.lines):
        problems = over_shipped(shipment.lines, ordered(), shipped, channel=channel)
        if problems:
            where = f"{label}, order {shipment.order_external_id}"
            raise over_shipped_refusal(where, problems, channel=channel, console=console)
    try:
        return create(tracking)
    except RejectedError as exc:
        if exc.status == 409:
            # A conflict may mean a concurrent or earlier create went through.
            again = find_by_tracking(existing(), tracking, *shape.tracking)
            if again is not None:
                return PushResult(
                    PushOutcome.ALREADY_APPLIED,
                    channel_reference=str(again.get(shape.reference) or tracking),
                    detail={"tracking_number": tracking, "after": "409 Conflict"},
                )
        raise rejected(exc) from None


class CheckedPush:
    """A connector mixin whose ``push_tracking`` is :func:`push_checked`: list before
    creating, refuse units already shipped elsewhere, look again after a 409. Put it before
    :class:`~orderhub.sdk.Connector` (``class ShopConnector(CheckedPush, Connector[S])``),
    declare the class attributes and implement the four calls; messages name
    ``"<channel_title> account <account id>"``."""

    #: The channel's name in messages (``"eBay"``), its seller interface (``"Seller Hub"``),
    #: examples of its carrier codes (``"USPS, UPS, FedEx"``) and its fulfillments' shape.
    channel_title: ClassVar[str]
    console: ClassVar[str]
    carrier_examples: ClassVar[str]
    fulfillment_shape: ClassVar[FulfillmentShape]
    account_id: str

    def push_tracking(self, shipment: ShipmentDraft) -> PushResult:
        """Push ``shipment`` with :func:`push_checked` (its steps say what happens when)."""
        order_id = shipment.order_external_id
        return push_checked(
            shipment,
            label=f"{self.channel_title} account {self.account_id}",
            channel=self.channel_title,
            console=self.console,
            carriers=self.carrier_examples,
            shape=self.fulfillment_shape,
            existing=lambda: self.list_fulfillments(order_id),
            ordered=lambda: self.order_lines(order_id),
            create=lambda tracking: self.create_fulfillment(shipment, tracking),
            rejected=lambda exc: self.explain_refusal(shipment, exc),
        )

    def list_fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        """The order's fulfillment records on the channel."""
        raise NotImplementedError

    def order_lines(self, order_id: str) -> Mapping[str, tuple[int, str | None]]:
        """The order's ``{line id: (quantity, SKU)}`` (see :func:`ordered_lines`); empty
        when it cannot be read (the channel then checks the quantities itself)."""
        raise NotImplementedError

    def create_fulfillment(self, shipment: ShipmentDraft, tracking: str) -> PushResult:
        """Send the fulfillment (tracking number already normalised) and tell the result;
        raise the channel's refusal as :class:`RejectedError`."""
        raise NotImplementedError

    def explain_refusal(self, shipment: ShipmentDraft, exc: RejectedError) -> RejectedError:
        """The channel's refusal of the create in the seller's words (default: as it is);
        see :func:`explain_rejection`."""
        return exc
