"""A small, realistic store for the console's tests, browser tests and screenshots:
three accounts (one that needs attention, one whose last run failed, one healthy), orders
that matched, orders awaiting a mapping (one with a clear suggestion, one a bundle), a
quarantined record, and a shipment whose push failed. Written through the store's own
functions (``ingest_page``, ``resolve_orders``, ``record_shipments``), never by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select, update

from orderhub.matching import CatalogRecord, apply_catalog, resolve_orders
from orderhub.sdk.drafts import Address, LineDraft, OrderDraft, OrderStatus
from orderhub.shipping.record import PUSHES, record_shipments
from orderhub.shipping.requests import ShipmentRequest
from orderhub.store import runs
from orderhub.store.ingest import (
    ORDERS,
    QUARANTINE,
    CursorMove,
    IncomingOrder,
    IncomingQuarantine,
    canonical_json,
    ingest_page,
)

BUYER_EMAIL = "jane.buyer@example.com"
BUYER_NAME = "Jane Buyer"
CATALOG = (
    ("BLUE-TEE-M", "Blue tee, medium"),
    ("MUG-WHITE", "White mug"),
    ("CAP-BLACK", "Black cap"),
    ("COASTER", "Cork coaster"),
)


@dataclass
class SeededStore:
    now: datetime
    #: display number -> orderhub id
    orders: dict[str, int] = field(default_factory=dict)
    quarantine_id: int = 0
    failed_push_id: int = 0
    failed_run_id: int = 0


def _line(external_id: str, sku: str | None, quantity: int, title: str) -> LineDraft:
    return LineDraft(
        external_id=external_id,
        quantity=quantity,
        sku=sku,
        title=title,
        unit_price=Decimal("12.50"),
        total=Decimal("12.50") * quantity,
    )


def _order(
    number: str,
    lines: list[LineDraft],
    *,
    placed: datetime,
    status: OrderStatus = OrderStatus.UNSHIPPED,
    external_id: str | None = None,
) -> IncomingOrder:
    address = Address(
        name=BUYER_NAME,
        line1="1 High Street",
        city="Leeds",
        postal_code="LS1 1AA",
        country="GB",
        email=BUYER_EMAIL,
    )
    draft = OrderDraft(
        external_id=external_id or number,
        display_id=f"#{number}" if external_id is None else None,
        status=status,
        channel_status=status.value,
        placed_at=placed,
        updated_at=placed + timedelta(minutes=5),
        currency="GBP",
        total=sum((line.total or Decimal(0) for line in lines), Decimal(0)),
        lines=tuple(lines),
        buyer=address,
        ship_to=address,
    )
    raw = {"id": draft.external_id, "billing": {"email": BUYER_EMAIL}, "lines": len(lines)}
    text, digest = canonical_json(raw)
    return IncomingOrder(draft=draft, raw=text, content_hash=digest)


def _page(
    engine: Engine,
    account: str,
    channel: str,
    orders: list[IncomingOrder],
    now: datetime,
    *,
    quarantined: tuple[IncomingQuarantine, ...] = (),
) -> dict[str, int]:
    with engine.begin() as connection:
        ingest_page(
            connection,
            account_id=account,
            channel=channel,
            orders=orders,
            quarantined=quarantined,
            now=now,
            cursor=CursorMove("orders", now - timedelta(minutes=4)),
        )
        rows = connection.execute(
            select(ORDERS.c.id, ORDERS.c.external_id, ORDERS.c.display_id).where(
                ORDERS.c.account_id == account
            )
        ).all()
        resolve_orders(
            connection,
            account_id=account,
            channel=channel,
            order_ids=[row.id for row in rows],
            now=now,
        )
    return {(row.display_id or row.external_id).lstrip("#"): row.id for row in rows}


def _run(
    engine: Engine,
    account: str,
    channel: str,
    now: datetime,
    *,
    failed: bool = False,
) -> int:
    with engine.begin() as connection:
        run_id = runs.start_run(
            connection,
            account_id=account,
            channel=channel,
            stream="orders",
            trigger="schedule",
            now=now - timedelta(minutes=3),
            window_start=None,
            window_end=None,
        )
        values: dict[str, object] = {"finished_at": now - timedelta(minutes=2)}
        if failed:
            values.update(
                outcome="failed",
                error_kind="unavailable",
                error="eBay answered 503 Service Unavailable three times",
                fix="Nothing to do if it passes; the next run retries from the cursor.",
            )
        else:
            values["outcome"] = "succeeded"
        runs.update_run(connection, run_id, values)
    return run_id


def seed_store(engine: Engine, now: datetime) -> SeededStore:
    seeded = SeededStore(now=now)
    placed = now - timedelta(hours=2)
    with engine.begin() as connection:
        apply_catalog(
            connection,
            [CatalogRecord(sku, title) for sku, title in CATALOG],
            source="test",
            now=now,
        )
    _run(engine, "shop", "woocommerce", now - timedelta(hours=3))
    bad_raw, bad_hash = canonical_json({"id": 1099, "line_items": [{"quantity": "two"}]})
    seeded.orders.update(
        _page(
            engine,
            "shop",
            "woocommerce",
            [
                _order("1001", [_line("11", "BLUE-TEE-M", 3, "Blue tee M")], placed=placed),
                _order(
                    "1002",
                    [
                        _line("21", "MUG-WHITE", 2, "White mug"),
                        _line("22", "CAP-BLACK", 1, "Black cap"),
                    ],
                    placed=placed,
                ),
                _order("1003", [_line("31", "TEE-BLUE-M", 1, "Tee blue medium")], placed=placed),
                _order("1004", [_line("41", "GIFTSET", 1, "Gift set")], placed=placed),
            ],
            now,
            quarantined=(
                IncomingQuarantine(
                    "1099", "line 1: quantity 'two' is not a whole number", bad_raw, bad_hash
                ),
            ),
        )
    )
    seeded.failed_run_id = _run(engine, "ebay-us", "ebay", now, failed=True)
    seeded.orders.update(
        _page(
            engine,
            "ebay-us",
            "ebay",
            [
                _order(
                    "12-34567-89012",
                    [_line("E1", "CAP-BLACK", 1, "Black cap")],
                    placed=now - timedelta(days=1),
                    external_id="12-34567-89012",
                )
            ],
            now,
        )
    )
    _run(engine, "amazon-eu", "amazon", now - timedelta(hours=6))
    seeded.orders.update(
        _page(
            engine,
            "amazon-eu",
            "amazon",
            [
                _order(
                    "405-1234567-1234567",
                    [_line("A1", "MUG-WHITE", 1, "White mug")],
                    placed=now - timedelta(days=2),
                    status=OrderStatus.SHIPPED,
                    external_id="405-1234567-1234567",
                )
            ],
            now,
        )
    )
    with engine.begin() as connection:
        runs.set_attention(
            connection,
            "amazon-eu",
            reason="the refresh token was revoked (invalid_grant)",
            fix="Authorise orderhub again in Seller Central and set the new refresh token.",
            now=now,
        )
        recorded = record_shipments(
            connection,
            [ShipmentRequest(order="12-34567-89012", carrier="UPS", tracking="1Z999AA10123456784")],
            source="cli",
            now=now,
        )
        push_id = recorded[0].push_id
        assert push_id is not None
        connection.execute(
            update(PUSHES)
            .where(PUSHES.c.id == push_id)
            .values(
                status="failed",
                attempts=3,
                last_error="eBay refused the carrier code",
                last_error_kind="rejected",
                fix="Set [carriers.ebay] UPS to the code eBay expects, then retry.",
            )
        )
        seeded.failed_push_id = push_id
        seeded.quarantine_id = int(
            connection.execute(select(QUARANTINE.c.id).where(QUARANTINE.c.account_id == "shop"))
            .scalars()
            .one()
        )
    return seeded
