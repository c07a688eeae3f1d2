"""What a tracking push has to send, decided from the order's fulfillments and fulfillment
orders as Shopify reports them (pure: no I/O).

- Units already fulfilled under this tracking number are done: a retry after a lost answer,
  or a push repeated, creates nothing (Shopify has no idempotency key for fulfillmentCreate).
- The rest is taken from the open (``OPEN``, ``IN_PROGRESS``) fulfillment orders holding
  the lines, one ``fulfillmentCreate`` per fulfillment order (they may be at different
  locations, which one fulfillment cannot mix).
- Units no open fulfillment order holds any more are a conflict (fulfilled elsewhere,
  cancelled, on hold), except when exactly these lines were fulfilled under another number:
  that is a correction of the tracking number, sent with ``fulfillmentTrackingInfoUpdate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orderhub.sdk import RejectedError

from . import queries as q
from .mapping import gid_tail

_OPEN = ("OPEN", "IN_PROGRESS")
_DEAD = ("CANCELLED", "ERROR", "FAILURE")


@dataclass
class PushPlan:
    """Fulfillment order line items to fulfil per fulfillment order; or the fulfillment
    whose tracking to correct; or why nothing can be sent. All empty: already applied."""

    creates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    correction: str | None = None
    conflict: str | None = None


def plan_push(order: dict[str, Any], want: dict[str, int], tracking: str) -> PushPlan:
    """``want``: units per line id of the shipment; ``order``: the FULFILLMENT_STATE answer."""
    done, other = _fulfilled(order, tracking)
    rest = {line: n - done.get(line, 0) for line, n in want.items() if n > done.get(line, 0)}
    if not rest:
        return PushPlan()
    creates, conflict = _allocate(order, rest)
    if conflict is None:
        return PushPlan(creates=creates)
    if not done and want in other.values():
        return PushPlan(correction=next(f for f, lines in other.items() if lines == want))
    return PushPlan(conflict=conflict)


def _fulfilled(
    order: dict[str, Any], tracking: str
) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """Units per line already fulfilled under ``tracking``, and the lines of every other
    live fulfillment by its id."""
    items = order.get("fulfillments") or []
    if len(items) >= q.MAX_FULFILLMENTS:
        raise RejectedError(
            f"the order has {len(items)}+ fulfillments; orderhub reads at most "
            f"{q.MAX_FULFILLMENTS - 1}, so it cannot tell what is there"
        )
    done: dict[str, int] = {}
    other: dict[str, dict[str, int]] = {}
    for item in items:
        if item.get("status") in ("CANCELLED", "ERROR", "FAILURE"):
            continue
        lines: dict[str, int] = {}
        for node in item["fulfillmentLineItems"]["nodes"]:
            line = gid_tail(node["lineItem"]["id"], "LineItem", "fulfillment")
            lines[line] = lines.get(line, 0) + int(node.get("quantity") or 0)
        if any(t.get("number") == tracking for t in item.get("trackingInfo") or []):
            for line, n in lines.items():
                done[line] = done.get(line, 0) + n
        else:
            other[item["id"]] = lines
    return done, other


def _allocate(
    order: dict[str, Any], rest: dict[str, int]
) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """Fulfillment order line items covering ``rest``, grouped by fulfillment order, or why
    they cannot be covered."""
    groups: dict[str, list[dict[str, Any]]] = {}
    states: dict[str, set[str]] = {}
    needed = dict(rest)
    for fo in order["fulfillmentOrders"]["nodes"]:
        for item in fo["lineItems"]["nodes"]:
            line = gid_tail(item["lineItem"]["id"], "LineItem", "fulfillmentOrder")
            if line not in needed:
                continue
            states.setdefault(line, set()).add(str(fo["status"]).lower())
            take = min(needed[line], int(item.get("remainingQuantity") or 0))
            if fo["status"] in _OPEN and take > 0:
                groups.setdefault(fo["id"], []).append({"id": item["id"], "quantity": take})
                needed[line] -= take
    short = {line: n for line, n in needed.items() if n > 0}
    if not short:
        return groups, None
    reasons = [
        f"line {line} has {n} unit(s) no open fulfillment order holds (its fulfillment "
        f"orders are {', '.join(sorted(states.get(line, {'missing'})))})"
        for line, n in sorted(short.items())
    ]
    return groups, "; ".join(reasons)
