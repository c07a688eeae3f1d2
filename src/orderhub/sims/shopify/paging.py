"""Cursor paging and the ``orders`` search syntax of the simulated Shopify store: opaque
cursors over a sort key, ``first``/``after`` connections, and ``updated_at:>=...`` terms.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError

from orderhub.sims.shopify.records import ShopifyOrderRecord

MAX_PAGE = 250
_TERM = re.compile(r"""(\w+):(>=|<=|>|<)?('[^']*'|"[^"]*"|\S+)""")


def _cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def _uncursor(value: str) -> list[Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(value.encode()))
    except (ValueError, TypeError) as exc:
        raise GraphQLError("Invalid cursor for current pagination sort.") from exc
    if not isinstance(decoded, list):
        raise GraphQLError("Invalid cursor for current pagination sort.")
    return decoded


def connection(
    items: Sequence[Any],
    keys: Sequence[list[Any]],
    args: dict[str, Any],
    render: Callable[[Any], Any],
) -> dict[str, Any]:
    """A Relay connection over ``items`` (sorted by ``keys``), with ``first``/``after`` or
    ``last``/``before`` as Shopify pages them (one of first and last is required, at most
    250 each)."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE:
            raise GraphQLError(f"The {name} argument must be between 0 and {MAX_PAGE}.")
    lo, hi = 0, len(items)
    if args.get("after"):
        lo = bisect.bisect_right(keys, _uncursor(args["after"]))
    if args.get("before"):
        hi = bisect.bisect_left(keys, _uncursor(args["before"]))
    if args.get("reverse"):
        raise GraphQLError("reverse is not simulated")
    if first is not None:
        start, stop = lo, min(hi, lo + first)
    else:
        start, stop = max(lo, hi - int(last or 0)), hi
    chosen = [render(item) for item in items[start:stop]]
    cursors = [_cursor(key) for key in keys[start:stop]]
    return {
        "nodes": chosen,
        "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, chosen, strict=True)],
        "pageInfo": {
            "hasNextPage": stop < hi,
            "hasPreviousPage": start > lo,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def _search_time(raw: str) -> datetime:
    text = raw.strip("'\"")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise GraphQLError(f"Invalid search value: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def order_filter(query: str | None) -> tuple[tuple[str, str, datetime], ...]:
    """The ``updated_at`` / ``created_at`` comparisons of an ``orders`` search query (terms
    joined by ``AND`` or spaces). Other terms are ignored, as Shopify ignores fields it does
    not filter on."""
    found = []
    for name, op, value in _TERM.findall(query or ""):
        if name in ("updated_at", "created_at"):
            found.append((name, op or "=", _search_time(value)))
    return tuple(found)


def matches(record: ShopifyOrderRecord, terms: tuple[tuple[str, str, datetime], ...]) -> bool:
    for name, op, value in terms:
        have = record.modified if name == "updated_at" else record.created
        if not {
            ">=": have >= value,
            "<=": have <= value,
            ">": have > value,
            "<": have < value,
            "=": have == value,
        }[op]:
            return False
    return True


def by_updated(record: ShopifyOrderRecord) -> tuple[Any, ...]:
    return (record.modified.timestamp(), record.id)


def by_created(record: ShopifyOrderRecord) -> tuple[Any, ...]:
    return (record.created.timestamp(), record.id)


def by_id(record: ShopifyOrderRecord) -> tuple[Any, ...]:
    return (record.id,)


SORTS = {"UPDATED_AT": by_updated, "ID": by_id}
