"""Helpers for the SKU matching tests: orders written the way the sync engine writes them
(``ingest_page`` then SKU matching in one transaction), catalog items and mappings
on the real store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from orderhub.matching import (
    CatalogCounts,
    CatalogRecord,
    MappingRequest,
    MappingResult,
    MatchingConfig,
    ResolveCounts,
    apply_catalog,
    resolve_orders,
    set_mappings,
)
from orderhub.matching.resolve import LINE_COMPONENTS, RESOLUTIONS
from orderhub.sdk import LineDraft, OrderDraft, OrderStatus
from orderhub.store.ingest import ORDERS, IncomingOrder, canonical_json, ingest_page
from orderhub.sync.page import write_page

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ACCOUNT = "shop"
CHANNEL = "woocommerce"


def line(
    external_id: str, sku: str | None = None, quantity: int = 1, **identifiers: str
) -> LineDraft:
    return LineDraft(
        external_id=external_id,
        quantity=quantity,
        sku=sku,
        title=f"item {sku or external_id}",
        unit_price=Decimal("10.00"),
        total=Decimal("10.00") * quantity,
        identifiers=dict(identifiers),
    )


def order(
    external_id: str,
    *lines: LineDraft,
    status: OrderStatus = OrderStatus.UNSHIPPED,
    minutes: int = 0,
) -> OrderDraft:
    return OrderDraft(
        external_id=external_id,
        status=status,
        channel_status=status.value,
        placed_at=T0,
        updated_at=T0 + timedelta(minutes=minutes),
        currency="EUR",
        total=sum((item.total or Decimal(0) for item in lines), Decimal(0)),
        lines=tuple(lines),
    )


def incoming(draft: OrderDraft) -> IncomingOrder:
    # The raw payload mirrors the draft, so any change to the draft is a changed order.
    raw = {
        "id": draft.external_id,
        "status": draft.status.value,
        "updated": draft.updated_at.isoformat(),
        "lines": [
            [item.external_id, item.sku, item.quantity, sorted(item.identifiers.items())]
            for item in draft.lines
        ],
    }
    text, digest = canonical_json(raw)
    return IncomingOrder(draft=draft, raw=text, content_hash=digest)


def sync_page(
    engine: Engine,
    orders: Sequence[OrderDraft],
    *,
    account: str = ACCOUNT,
    channel: str = CHANNEL,
    config: MatchingConfig | None = None,
    now: datetime = T0,
    reread: bool = False,
) -> ResolveCounts:
    """What the sync engine does with a page (:func:`write_page`): ingest, then resolve,
    in one transaction.

    ``reread`` ingests, then resolves with :func:`resolve_orders` from what the store holds
    instead of the sync engine's :func:`resolve_written` from what the page writer holds."""
    with engine.begin() as connection:
        if not reread:
            return write_page(
                connection,
                account_id=account,
                channel=channel,
                orders=[incoming(draft) for draft in orders],
                now=now,
                config=config,
            )[1]
        ingest_page(
            connection,
            account_id=account,
            channel=channel,
            orders=[incoming(draft) for draft in orders],
            now=now,
        )
        ids = list(
            connection.execute(
                select(ORDERS.c.id).where(
                    ORDERS.c.account_id == account,
                    ORDERS.c.external_id.in_([draft.external_id for draft in orders]),
                )
            ).scalars()
        )
        return resolve_orders(
            connection,
            account_id=account,
            channel=channel,
            order_ids=ids,
            now=now,
            config=config,
        )


def catalog(
    engine: Engine, *items: str | CatalogRecord, config: MatchingConfig | None = None
) -> CatalogCounts:
    records = [item if isinstance(item, CatalogRecord) else CatalogRecord(item) for item in items]
    with engine.begin() as connection:
        return apply_catalog(connection, records, source="test", now=T0, config=config)


def mapping(
    engine: Engine,
    external_sku: str,
    *components: tuple[str, int],
    account: str | None = None,
    channel: str | None = None,
    actor: str = "cli",
    config: MatchingConfig | None = None,
    now: datetime = T0,
) -> MappingResult:
    request = MappingRequest(external_sku, tuple(components), account, channel)
    with engine.begin() as connection:
        return set_mappings(connection, [request], actor=actor, now=now, config=config)


@dataclass(frozen=True)
class Stored:
    method: str
    matched: str | None
    mapping_id: int | None
    scope: str | None
    resolved_at: datetime
    components: tuple[tuple[str, int, str | None], ...]


def resolutions(engine: Engine, external_id: str, account: str = ACCOUNT) -> dict[str, Stored]:
    """The stored resolution of each line of an order, by line id."""
    with engine.connect() as connection:
        order_id = connection.execute(
            select(ORDERS.c.id).where(
                ORDERS.c.account_id == account, ORDERS.c.external_id == external_id
            )
        ).scalar_one()
        parts: dict[str, list[tuple[str, int, str | None]]] = {}
        for row in connection.execute(
            select(LINE_COMPONENTS)
            .where(LINE_COMPONENTS.c.order_id == order_id)
            .order_by(LINE_COMPONENTS.c.position)
        ):
            parts.setdefault(row.line_external_id, []).append(
                (row.catalog_sku, row.quantity, row.via)
            )
        return {
            row.line_external_id: Stored(
                row.method,
                row.matched,
                row.mapping_id,
                row.scope,
                row.resolved_at,
                tuple(parts.get(row.line_external_id, ())),
            )
            for row in connection.execute(
                select(RESOLUTIONS).where(RESOLUTIONS.c.order_id == order_id)
            )
        }


def awaiting(engine: Engine, external_id: str, account: str = ACCOUNT) -> bool:
    with engine.connect() as connection:
        value: Any = connection.execute(
            select(ORDERS.c.awaiting_mapping).where(
                ORDERS.c.account_id == account, ORDERS.c.external_id == external_id
            )
        ).scalar_one()
    return bool(value)


def order_id(engine: Engine, external_id: str, account: str = ACCOUNT) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(ORDERS.c.id).where(
                    ORDERS.c.account_id == account, ORDERS.c.external_id == external_id
                )
            ).scalar_one()
        )
