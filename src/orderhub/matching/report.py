"""Reading the matching state: the unmapped queue with suggestions, and how an order's
lines were resolved."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from orderhub.matching.index import ITEMS, MAPPINGS, Method
from orderhub.matching.resolve import FROZEN_STATUSES, LINE_COMPONENTS, RESOLUTIONS
from orderhub.matching.suggest import Suggester, Suggestion
from orderhub.store.ingest import LINES, ORDERS


def load_suggester(connection: Connection) -> Suggester:
    """A :class:`Suggester` over the whole catalog."""
    return Suggester(
        (row.sku, row.title)
        for row in connection.execute(select(ITEMS.c.sku, ITEMS.c.title).order_by(ITEMS.c.sku))
    )


@dataclass
class UnmappedGroup:
    """The unresolved lines of one channel SKU of one account (lines without a SKU are
    grouped by their channel ids): how many lines, units and orders, how many of those are
    still open, a few order numbers, why nothing matched, and suggestions."""

    channel: str
    account_id: str
    sku: str | None
    identifiers: dict[str, str]
    title: str | None
    reason: str
    lines: int = 0
    units: int = 0
    orders: int = 0
    open_orders: int = 0
    sample_orders: list[str] = field(default_factory=list)
    first_placed: datetime | None = None
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.sku:
            return self.sku
        ids = ", ".join(f"{key}={value}" for key, value in sorted(self.identifiers.items()))
        return f"(no SKU) {ids}".strip()


def unmapped(
    connection: Connection,
    *,
    account: str | None = None,
    channel: str | None = None,
    suggestions: int = 3,
    samples: int = 3,
    suggester: Suggester | None = None,
) -> list[UnmappedGroup]:
    """Every unresolved channel SKU, most orders first, with up to ``samples`` order
    numbers (newest first) and ``suggestions`` catalog items."""
    query = (
        select(
            ORDERS.c.id,
            ORDERS.c.account_id,
            ORDERS.c.channel,
            ORDERS.c.external_id,
            ORDERS.c.display_id,
            ORDERS.c.status,
            ORDERS.c.placed_at,
            LINES.c.sku,
            LINES.c.title,
            LINES.c.quantity,
            LINES.c.identifiers,
            RESOLUTIONS.c.matched,
        )
        .join(ORDERS, ORDERS.c.id == RESOLUTIONS.c.order_id)
        .join(
            LINES,
            (LINES.c.order_id == RESOLUTIONS.c.order_id)
            & (LINES.c.external_id == RESOLUTIONS.c.line_external_id),
        )
        .where(RESOLUTIONS.c.method == Method.UNRESOLVED.value)
        .order_by(ORDERS.c.placed_at.desc(), ORDERS.c.id.desc())
    )
    if account:
        query = query.where(ORDERS.c.account_id == account)
    if channel:
        query = query.where(ORDERS.c.channel == channel)
    groups: dict[tuple[Any, ...], UnmappedGroup] = {}
    order_sets: dict[tuple[Any, ...], set[int]] = {}
    open_sets: dict[tuple[Any, ...], set[int]] = {}
    titles: dict[tuple[Any, ...], Counter[str]] = {}
    for row in connection.execute(query):
        identifiers = dict(row.identifiers or {})
        ident_key = () if row.sku else tuple(sorted(identifiers.items()))
        key = (row.channel, row.account_id, row.sku, ident_key)
        group = groups.get(key)
        if group is None:
            group = groups[key] = UnmappedGroup(
                channel=row.channel,
                account_id=row.account_id,
                sku=row.sku,
                identifiers=identifiers,
                title=None,
                reason=row.matched or "",
            )
            order_sets[key], open_sets[key], titles[key] = set(), set(), Counter()
        group.lines += 1
        group.units += row.quantity
        if row.title:
            titles[key][row.title] += 1
        if row.id not in order_sets[key]:
            order_sets[key].add(row.id)
            if len(group.sample_orders) < samples:
                group.sample_orders.append(row.display_id or row.external_id)
        if row.status not in FROZEN_STATUSES:
            open_sets[key].add(row.id)
        if group.first_placed is None or row.placed_at < group.first_placed:
            group.first_placed = row.placed_at
    result = list(groups.values())
    for key, group in groups.items():
        group.orders = len(order_sets[key])
        group.open_orders = len(open_sets[key])
        common = titles[key].most_common(1)
        group.title = common[0][0] if common else None
    result.sort(key=lambda g: (-g.open_orders, -g.orders, g.channel, g.account_id, g.label))
    if suggestions > 0 and result:
        suggester = suggester or load_suggester(connection)
        for group in result:
            group.suggestions = suggester.suggest(group.sku, group.title, limit=suggestions)
    return result


@dataclass(frozen=True)
class LineExplanation:
    """How one line was resolved. ``method`` is None for a line never resolved (an order
    stored before SKU matching existed: ``orderhub skus resolve --all``)."""

    position: int
    external_id: str
    sku: str | None
    title: str | None
    quantity: int
    identifiers: dict[str, str]
    method: str | None
    matched: str | None
    mapping_id: int | None
    scope: str | None
    mapping_exists: bool
    resolved_at: datetime | None
    components: tuple[tuple[str, int, str | None], ...]


@dataclass(frozen=True)
class OrderExplanation:
    order_id: int
    reference: str
    account_id: str
    channel: str
    status: str
    awaiting_mapping: bool
    lines: tuple[LineExplanation, ...]


def explain(connection: Connection, order_id: int) -> OrderExplanation | None:
    """Every line of an order with its resolution and catalog components."""
    order = connection.execute(select(ORDERS).where(ORDERS.c.id == order_id)).one_or_none()
    if order is None:
        return None
    resolutions = {
        row.line_external_id: row
        for row in connection.execute(select(RESOLUTIONS).where(RESOLUTIONS.c.order_id == order_id))
    }
    parts: dict[str, list[tuple[str, int, str | None]]] = {}
    for row in connection.execute(
        select(LINE_COMPONENTS)
        .where(LINE_COMPONENTS.c.order_id == order_id)
        .order_by(LINE_COMPONENTS.c.line_external_id, LINE_COMPONENTS.c.position)
    ):
        parts.setdefault(row.line_external_id, []).append((row.catalog_sku, row.quantity, row.via))
    mapping_ids = {r.mapping_id for r in resolutions.values() if r.mapping_id is not None}
    existing = (
        set(
            connection.execute(
                select(MAPPINGS.c.id).where(MAPPINGS.c.id.in_(sorted(mapping_ids)))
            ).scalars()
        )
        if mapping_ids
        else set()
    )
    lines = []
    for line in connection.execute(
        select(LINES).where(LINES.c.order_id == order_id).order_by(LINES.c.position)
    ):
        resolution = resolutions.get(line.external_id)
        lines.append(
            LineExplanation(
                position=line.position,
                external_id=line.external_id,
                sku=line.sku,
                title=line.title,
                quantity=line.quantity,
                identifiers=dict(line.identifiers or {}),
                method=resolution.method if resolution else None,
                matched=resolution.matched if resolution else None,
                mapping_id=resolution.mapping_id if resolution else None,
                scope=resolution.scope if resolution else None,
                mapping_exists=bool(resolution and resolution.mapping_id in existing),
                resolved_at=resolution.resolved_at if resolution else None,
                components=tuple(parts.get(line.external_id, ())),
            )
        )
    return OrderExplanation(
        order_id=order.id,
        reference=order.display_id or order.external_id,
        account_id=order.account_id,
        channel=order.channel,
        status=order.status,
        awaiting_mapping=bool(order.awaiting_mapping),
        lines=tuple(lines),
    )
