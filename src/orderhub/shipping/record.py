"""Recording shipments: the one validation path for the CLI, CSV imports and the inbox.

Recording a shipment writes, in the caller's transaction, the shipment, its lines and one
push per channel order in the outbox; the push job sends it later. Everything a person can
get wrong is checked here first, with a message naming the order and the fix: an unknown
order or carrier, a tracking number that cannot be right, more units than were ordered, a
line of another order, an order the marketplace ships itself or one already cancelled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select

from orderhub.shipping.carriers import (
    TrackingNumberError,
    UnknownCarrierError,
    check_tracking,
    resolve_carrier,
)
from orderhub.shipping.requests import ShipmentError, ShipmentProblem, ShipmentRequest
from orderhub.store.ingest import LINES
from orderhub.store.queries import find_orders
from orderhub.store.tables import metadata

SHIPMENTS = metadata.tables["shipments"]
SHIPMENT_LINES = metadata.tables["shipment_lines"]
PUSHES = metadata.tables["pushes"]

#: Channel statuses that mean "do not ship this".
_NOT_SHIPPABLE = {"cancelled": "cancelled", "refunded": "refunded", "failed": "payment failed"}


@dataclass
class RecordedShipment:
    shipment_id: int
    order_id: int
    account_id: str
    order_ref: str
    carrier: str
    tracking_number: str
    lines: list[tuple[str, int]]
    already_recorded: bool = False
    push_id: int | None = None
    #: For an already recorded shipment: the order's lines no shipment covers yet
    #: (line id, SKU, units left), so the caller can say what is still to ship.
    unshipped: list[tuple[str, str | None, int]] = field(default_factory=list)


@dataclass
class _LineState:
    external_id: str
    sku: str | None
    ordered: int
    shipped: int  # recorded in earlier shipments (and earlier in this batch)


@dataclass
class _OrderState:
    row: Row[Any]
    lines: dict[str, _LineState] = field(default_factory=dict)


def find_order(
    connection: Connection, ref: str, account: str | None
) -> tuple[Row[Any] | None, str | None]:
    """The order ``ref`` names, or (None, why not). A ref that is orderhub's id of one order
    and no order's channel id picks that order even when a display number elsewhere matches."""
    rows = find_orders(connection, ref, account)
    if not rows:
        where = f" in account {account}" if account else ""
        return None, f"no order {ref!r}{where}"
    if len(rows) > 1:
        exact = [row for row in rows if str(row.id) == ref]
        if len(exact) == 1 and account is None and not any(row.external_id == ref for row in rows):
            return exact[0], None
        accounts = ", ".join(sorted({row.account_id for row in rows}))
        return None, f"{ref!r} matches orders in several accounts ({accounts})"
    return rows[0], None


def _load_state(connection: Connection, order: Row[Any]) -> _OrderState:
    state = _OrderState(order)
    for line in connection.execute(
        select(LINES.c.external_id, LINES.c.sku, LINES.c.quantity)
        .where(LINES.c.order_id == order.id)
        .order_by(LINES.c.position)
    ):
        state.lines[line.external_id] = _LineState(line.external_id, line.sku, line.quantity, 0)
    shipped = connection.execute(
        select(SHIPMENT_LINES.c.line_external_id, func.sum(SHIPMENT_LINES.c.quantity))
        .join(SHIPMENTS, SHIPMENTS.c.id == SHIPMENT_LINES.c.shipment_id)
        .where(SHIPMENTS.c.order_id == order.id)
        .group_by(SHIPMENT_LINES.c.line_external_id)
    )
    for line_id, quantity in shipped:
        if line_id in state.lines:
            state.lines[line_id].shipped = int(quantity)
    return state


def _pick_line(state: _OrderState, token: str) -> tuple[_LineState | None, str | None]:
    if token in state.lines:
        return state.lines[token], None
    by_sku = [line for line in state.lines.values() if line.sku and line.sku == token]
    if not by_sku:
        by_sku = [
            line
            for line in state.lines.values()
            if line.sku and line.sku.casefold() == token.casefold()
        ]
    if len(by_sku) == 1:
        return by_sku[0], None
    known = ", ".join(
        f"{line.sku or '-'} (line {line.external_id})" for line in state.lines.values()
    )
    if len(by_sku) > 1:
        return None, f"SKU {token!r} is on several lines of this order; name the line id ({known})"
    return None, f"{token!r} is not a line of this order (its lines: {known})"


def record_shipments(
    connection: Connection,
    requests: Sequence[ShipmentRequest],
    *,
    source: str,
    now: datetime,
) -> list[RecordedShipment]:
    """Validate every request, then record them all, or raise :class:`ShipmentError` with
    every problem and record nothing. Runs in the caller's transaction."""
    problems: list[ShipmentProblem] = []
    states: dict[int, _OrderState] = {}
    planned: list[tuple[ShipmentRequest, _OrderState, str, str, list[tuple[str, int]]]] = []
    recorded: list[RecordedShipment] = []

    for request in requests:

        def problem(message: str, fix: str, request: ShipmentRequest = request) -> None:
            problems.append(ShipmentProblem(request.label, message, fix))

        order, why = find_order(connection, request.order.strip(), request.account)
        if order is None:
            problem(
                f"{why}.",
                "Use orderhub's id, the channel's order id or the order number from "
                "`orderhub orders list`; add the account when several accounts have it.",
            )
            continue
        ref = order.display_id or order.external_id
        if order.fulfilled_by_channel:
            problem(
                f"order {ref} ({order.account_id}) is fulfilled by the marketplace itself "
                "(e.g. Amazon FBA); it ships and tells the buyer on its own.",
                "Do not record shipments for it.",
            )
            continue
        if order.status in _NOT_SHIPPABLE:
            problem(
                f"order {ref} ({order.account_id}) is {_NOT_SHIPPABLE[order.status]} on the "
                "channel.",
                "Do not ship it; if it has already gone, contact the buyer through the channel.",
            )
            continue
        try:
            carrier = resolve_carrier(request.carrier)
        except UnknownCarrierError as exc:
            problem(
                str(exc).split(" Known carriers")[0],
                "Use a carrier from the list in "
                "`orderhub ship --help`, or Other with --carrier-name.",
            )
            continue
        if carrier.key == "other" and not (request.carrier_name or "").strip():
            problem(
                "carrier Other needs the carrier's name.",
                "Add --carrier-name (CSV column "
                "carrier_name) with the name the buyer will recognise.",
            )
            continue
        try:
            tracking = check_tracking(carrier, request.tracking)
        except TrackingNumberError as exc:
            problem(f"order {ref}: {exc}.", "Copy the tracking number from the label again.")
            continue

        state = states.get(order.id) or _load_state(connection, order)
        states[order.id] = state
        existing = connection.execute(
            select(SHIPMENTS.c.id).where(
                SHIPMENTS.c.order_id == order.id, SHIPMENTS.c.tracking_number == tracking
            )
        ).scalar_one_or_none()
        if existing is not None:
            covered = [
                (str(row.line_external_id), int(row.quantity))
                for row in connection.execute(
                    select(SHIPMENT_LINES.c.line_external_id, SHIPMENT_LINES.c.quantity)
                    .where(SHIPMENT_LINES.c.shipment_id == existing)
                    .order_by(SHIPMENT_LINES.c.id)
                )
            ]
            recorded.append(
                RecordedShipment(
                    existing,
                    order.id,
                    order.account_id,
                    ref,
                    carrier.key,
                    tracking,
                    covered,
                    already_recorded=True,
                    unshipped=[
                        (line.external_id, line.sku, line.ordered - line.shipped)
                        for line in state.lines.values()
                        if line.ordered > line.shipped
                    ],
                )
            )
            continue

        picked: list[tuple[str, int]] = []
        if request.lines is None:
            picked = [
                (line.external_id, line.ordered - line.shipped)
                for line in state.lines.values()
                if line.ordered > line.shipped
            ]
            if not picked:
                problem(
                    f"every line of order {ref} is already recorded as shipped.",
                    "Check `orderhub orders show` for the shipments recorded.",
                )
                continue
        else:
            bad = False
            wanted: dict[str, int] = defaultdict(int)
            for token, asked in request.lines:
                line, why_not = _pick_line(state, token)
                if line is None:
                    problem(f"order {ref}: {why_not}.", "Name a SKU or line id of this order.")
                    bad = True
                    continue
                quantity = asked
                if quantity is None:
                    quantity = line.ordered - line.shipped - wanted[line.external_id]
                    if quantity <= 0:
                        problem(
                            f"order {ref}: every unit of {token!r} is already recorded as shipped.",
                            "Check `orderhub orders show` for the shipments.",
                        )
                        bad = True
                        continue
                elif quantity <= 0:
                    problem(
                        f"order {ref}: quantity {quantity} for {token!r} is not positive.",
                        "Give a whole number of units shipped, at least 1.",
                    )
                    bad = True
                    continue
                wanted[line.external_id] += quantity
            for line_id, quantity in wanted.items():
                line = state.lines[line_id]
                left = line.ordered - line.shipped
                if quantity > left:
                    problem(
                        f"order {ref}: {quantity} × {line.sku or line_id} is more than the "
                        f"{left} left to ship (ordered {line.ordered}, recorded {line.shipped}).",
                        "Ship at most what is left; check `orderhub orders show`.",
                    )
                    bad = True
            if bad:
                continue
            picked = list(wanted.items())
        for line_id, quantity in picked:
            state.lines[line_id].shipped += quantity
        planned.append((request, state, carrier.key, tracking, picked))

    if problems:
        raise ShipmentError(problems)

    for request, state, carrier_key, tracking, picked in planned:
        order = state.row
        shipment_id = int(
            connection.execute(
                SHIPMENTS.insert()
                .values(
                    order_id=order.id,
                    account_id=order.account_id,
                    carrier=carrier_key,
                    carrier_name=(request.carrier_name or "").strip() or None,
                    tracking_number=tracking,
                    shipped_at=request.shipped_at or now,
                    source=source,
                    created_at=now,
                )
                .returning(SHIPMENTS.c.id)
            ).scalar_one()
        )
        connection.execute(
            SHIPMENT_LINES.insert(),
            [
                {"shipment_id": shipment_id, "line_external_id": line_id, "quantity": quantity}
                for line_id, quantity in picked
            ],
        )
        push_id = int(
            connection.execute(
                PUSHES.insert()
                .values(
                    shipment_id=shipment_id,
                    account_id=order.account_id,
                    channel=order.channel,
                    order_id=order.id,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
                .returning(PUSHES.c.id)
            ).scalar_one()
        )
        recorded.append(
            RecordedShipment(
                shipment_id,
                order.id,
                order.account_id,
                order.display_id or order.external_id,
                carrier_key,
                tracking,
                picked,
                push_id=push_id,
            )
        )
    return recorded
