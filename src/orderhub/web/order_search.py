"""The order list's query: search, filters and keyset paging.

Paging is by the key (``channel_updated_at``, ``id``), newest change first, through the
indexes ``ix_orders_updated_id`` and ``ix_orders_account_updated_id``: page 2,000 of a
store of millions costs what page 1 costs, because no page counts or skips the rows before
it. The cursor is the key of the last row shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, select, tuple_, union

from orderhub.store.ingest import LINES, ORDERS
from orderhub.store.queries import ORDER_SUMMARY

PAGE_SIZE = 50


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class OrderFilter:
    query: str = ""
    account: str | None = None
    channel: str | None = None
    status: str | None = None
    awaiting: bool = False
    placed_from: date | None = None
    placed_to: date | None = None


def encode_cursor(updated_at: datetime, order_id: int) -> str:
    micros = int(updated_at.astimezone(UTC).timestamp() * 1_000_000)
    return f"{micros}.{order_id}"


def decode_cursor(text: str) -> tuple[datetime, int]:
    micros, sep, order_id = text.partition(".")
    if not sep or not micros.lstrip("-").isdecimal() or not order_id.isdecimal():
        raise BadCursor(text)
    try:
        moment = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
    except (OverflowError, ValueError, OSError):
        raise BadCursor(text) from None
    return moment, int(order_id)


def _columns() -> Select[Any]:
    return select(*ORDER_SUMMARY, ORDERS.c.awaiting_mapping)


def search_conditions(text: str) -> Any:
    """An order whose channel id or number is ``text`` (a leading # ignored), whose
    orderhub id it is, or with a line of that SKU.

    One ``id IN (... UNION ...)`` rather than ORs over the order row: each branch is an
    index lookup (``ix_orders_external_id``, ``ix_orders_display_id``,
    ``ix_order_lines_sku``), where an OR with a correlated EXISTS scans every order."""
    needle = text.strip()
    bare = needle.lstrip("#") or needle
    candidates = sorted({needle, bare, f"#{bare}"})
    branches = [
        select(ORDERS.c.id).where(ORDERS.c.external_id.in_(candidates)),
        select(ORDERS.c.id).where(ORDERS.c.display_id.in_(candidates)),
        select(LINES.c.order_id).where(LINES.c.sku == needle),
    ]
    if bare.isdecimal() and len(bare) < 18:
        branches.append(select(ORDERS.c.id).where(ORDERS.c.id == int(bare)))
    return ORDERS.c.id.in_(union(*branches))


def search_orders(
    connection: Connection,
    filters: OrderFilter,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[Any], str | None]:
    """One page of orders and the cursor of the next page (None on the last)."""
    query = _columns()
    if filters.query.strip():
        query = query.where(search_conditions(filters.query))
    if filters.account:
        query = query.where(ORDERS.c.account_id == filters.account)
    if filters.channel:
        query = query.where(ORDERS.c.channel == filters.channel)
    if filters.status:
        query = query.where(ORDERS.c.status == filters.status)
    if filters.awaiting:
        query = query.where(ORDERS.c.awaiting_mapping)
    if filters.placed_from:
        start = datetime.combine(filters.placed_from, datetime.min.time(), UTC)
        query = query.where(ORDERS.c.placed_at >= start)
    if filters.placed_to:
        end = datetime.combine(filters.placed_to, datetime.min.time(), UTC) + timedelta(days=1)
        query = query.where(ORDERS.c.placed_at < end)
    if after is not None:
        query = query.where(
            tuple_(ORDERS.c.channel_updated_at, ORDERS.c.id) < tuple_(after[0], after[1])
        )
    query = query.order_by(ORDERS.c.channel_updated_at.desc(), ORDERS.c.id.desc()).limit(limit + 1)
    rows = list(connection.execute(query))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.channel_updated_at, last.id)


def facets(
    configured: dict[str, str], accounts: list[str], installed: list[str]
) -> dict[str, list[str]]:
    """The accounts and channels the filters offer: the configured accounts (``configured``
    maps each to its connector) and ``accounts`` the store synced, and the ``installed``
    connectors. Nothing here reads the orders table (a DISTINCT over it would scan it)."""
    return {
        "accounts": sorted(set(configured) | set(accounts)),
        "channels": sorted(set(configured.values()) | set(installed)),
    }
