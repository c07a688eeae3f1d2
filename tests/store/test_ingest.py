"""The store's write path on real SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from orderhub.sdk import Address, LineDraft, OrderDraft, OrderStatus
from orderhub.store.ingest import (
    CURSORS,
    EVENTS,
    LINES,
    ORDERS,
    QUARANTINE,
    CursorMove,
    IncomingOrder,
    IncomingQuarantine,
    canonical_json,
    ingest_page,
    read_cursor,
)
from orderhub.store.statements import json_text

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def draft(
    external_id: str,
    *,
    status: OrderStatus = OrderStatus.UNSHIPPED,
    minutes: int = 0,
    lines: int = 2,
    note: str = "",
) -> tuple[OrderDraft, dict[str, object]]:
    raw = {
        "id": external_id,
        "status": status.value,
        "minutes": minutes,
        "lines": lines,
        "note": note,
    }
    order = OrderDraft(
        external_id=external_id,
        status=status,
        channel_status=status.value,
        placed_at=T0,
        updated_at=T0 + timedelta(minutes=minutes),
        currency="EUR",
        total=Decimal("12.50") * lines,
        lines=tuple(
            LineDraft(
                external_id=f"{external_id}-{n}",
                quantity=n,
                sku=f"SKU-{n}",
                unit_price=Decimal("12.50"),
                total=Decimal("12.50") * n,
                identifiers={"product_id": str(n)},
            )
            for n in range(1, lines + 1)
        ),
        ship_to=Address(name="Ada Buyer", city="Lyon", country="FR"),
    )
    return order, raw


def incoming(order: OrderDraft, raw: dict[str, object]) -> IncomingOrder:
    text, digest = canonical_json(raw)
    return IncomingOrder(draft=order, raw=text, content_hash=digest)


def ingest(engine: Engine, items: list[IncomingOrder], **kwargs: object):
    with engine.begin() as connection:
        return ingest_page(
            connection,
            account_id="shop",
            channel="woocommerce",
            orders=items,
            now=datetime.now(UTC),
            **kwargs,
        )  # type: ignore[arg-type]


def write_one(connection: Connection, item: IncomingOrder) -> None:
    """One order through the page writer, in the caller's transaction."""
    ingest_page(connection, account_id="shop", channel="woocommerce", orders=[item], now=T0)


def copy_through_sqlalchemy(
    connection: Connection, external_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Write a copy of a stored order and its one line, as order ``orm``, through
    SQLAlchemy's own column types; the rows read back, as copied."""
    row = dict(
        connection.execute(select(ORDERS).where(ORDERS.c.external_id == external_id)).one()._mapping
    )
    line = dict(connection.execute(select(LINES)).one()._mapping)
    del row["id"], line["id"]
    connection.execute(ORDERS.insert(), {**row, "external_id": "orm"})
    orm_id = connection.execute(
        select(ORDERS.c.id).where(ORDERS.c.external_id == "orm")
    ).scalar_one()
    connection.execute(LINES.insert(), {**line, "order_id": orm_id})
    return row, line


def count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_first_write_stores_orders_lines_and_created_events(store_engine: Engine) -> None:
    counts = ingest(store_engine, [incoming(*draft("1")), incoming(*draft("2", lines=3))])
    assert (counts.created, counts.updated, counts.unchanged) == (2, 0, 0)
    assert count(store_engine, ORDERS) == 2
    assert count(store_engine, LINES) == 5
    with store_engine.connect() as connection:
        order = connection.execute(select(ORDERS).where(ORDERS.c.external_id == "2")).one()
        kinds = connection.execute(select(EVENTS.c.kind)).scalars().all()
    assert order.total == Decimal("37.50")
    assert order.placed_at == T0 and order.placed_at.tzinfo is not None
    assert order.ship_to == {"name": "Ada Buyer", "city": "Lyon", "country": "FR"}
    assert sorted(kinds) == ["created", "created"]


def test_unchanged_orders_cost_no_write(store_engine: Engine) -> None:
    ingest(store_engine, [incoming(*draft("1"))])
    with store_engine.connect() as connection:
        before = connection.execute(select(ORDERS.c.last_changed_at)).scalar_one()
    counts = ingest(store_engine, [incoming(*draft("1"))])
    assert (counts.created, counts.updated, counts.unchanged) == (0, 0, 1)
    with store_engine.connect() as connection:
        after = connection.execute(select(ORDERS.c.last_changed_at)).scalar_one()
    assert after == before
    assert count(store_engine, EVENTS) == 1


def test_status_change_updates_the_order_and_records_an_event(store_engine: Engine) -> None:
    ingest(store_engine, [incoming(*draft("1"))])
    counts = ingest(
        store_engine, [incoming(*draft("1", status=OrderStatus.CANCELLED, minutes=5, lines=1))]
    )
    assert (counts.created, counts.updated) == (0, 1)
    with store_engine.connect() as connection:
        order = connection.execute(select(ORDERS)).one()
        events = connection.execute(select(EVENTS).order_by(EVENTS.c.id)).all()
        lines = connection.execute(select(LINES.c.external_id)).scalars().all()
    assert order.status == "cancelled"
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        ("created", None, "unshipped"),
        ("status_changed", "unshipped", "cancelled"),
    ]
    assert events[1].occurred_at == T0 + timedelta(minutes=5)
    assert lines == ["1-1"], "lines are replaced by the new version's lines"


def test_content_change_without_status_change_is_an_update_event(store_engine: Engine) -> None:
    ingest(store_engine, [incoming(*draft("1"))])
    ingest(store_engine, [incoming(*draft("1", minutes=1, note="gift wrap"))])
    with store_engine.connect() as connection:
        kinds = connection.execute(select(EVENTS.c.kind).order_by(EVENTS.c.id)).scalars().all()
    assert kinds == ["created", "updated"]


def test_an_older_snapshot_never_overwrites_a_newer_one(store_engine: Engine) -> None:
    ingest(store_engine, [incoming(*draft("1", status=OrderStatus.SHIPPED, minutes=10))])
    counts = ingest(store_engine, [incoming(*draft("1", minutes=2))])
    assert counts.updated == 0 and counts.unchanged == 1
    with store_engine.connect() as connection:
        assert connection.execute(select(ORDERS.c.status)).scalar_one() == "shipped"


def test_duplicate_within_a_page_keeps_the_newest(store_engine: Engine) -> None:
    old = incoming(*draft("1", minutes=1))
    new = incoming(*draft("1", status=OrderStatus.SHIPPED, minutes=3))
    counts = ingest(store_engine, [new, old])
    assert (counts.created, counts.unchanged) == (1, 1)
    with store_engine.connect() as connection:
        assert connection.execute(select(ORDERS.c.status)).scalar_one() == "shipped"


def test_orders_are_keyed_per_account(store_engine: Engine) -> None:
    item = incoming(*draft("1"))
    ingest(store_engine, [item])
    with store_engine.begin() as connection:
        ingest_page(
            connection,
            account_id="other",
            channel="woocommerce",
            orders=[item],
            now=datetime.now(UTC),
        )
    assert count(store_engine, ORDERS) == 2


def test_quarantine_is_deduplicated_and_resolved_when_the_order_reads_cleanly(
    store_engine: Engine,
) -> None:
    text, digest = canonical_json({"id": "9", "broken": True})
    bad = IncomingQuarantine(
        external_id="9", reason="quantity is not an integer", raw=text, payload_hash=digest
    )
    ingest(store_engine, [], quarantined=[bad])
    ingest(store_engine, [], quarantined=[bad])
    with store_engine.connect() as connection:
        row = connection.execute(select(QUARANTINE)).one()
    assert row.seen_count == 2 and row.resolved_at is None and row.raw == text
    ingest(store_engine, [incoming(*draft("9"))])
    with store_engine.connect() as connection:
        assert connection.execute(select(QUARANTINE.c.resolved_at)).scalar_one() is not None


def test_a_quarantined_record_keeps_its_first_sighting_and_counts_the_next(
    store_engine: Engine,
) -> None:
    text_, digest = canonical_json({"id": "9", "broken": True})
    bad = IncomingQuarantine(external_id="9", reason="first", raw=text_, payload_hash=digest)
    later = replace(bad, reason="second")
    for when, record, run_id in ((T0, bad, 1), (T0 + timedelta(hours=1), later, 2)):
        with store_engine.begin() as connection:
            ingest_page(
                connection,
                account_id="shop",
                channel="woocommerce",
                orders=[],
                quarantined=[record],
                now=when,
                run_id=run_id,
            )
    with store_engine.connect() as connection:
        row = connection.execute(select(QUARANTINE)).one()
    assert (row.first_seen_at, row.last_seen_at) == (T0, T0 + timedelta(hours=1))
    assert (row.seen_count, row.reason, row.run_id, row.channel) == (2, "second", 2, "woocommerce")
    assert row.external_id == "9" and row.resolved_at is None


def test_a_page_the_database_refuses_writes_nothing_and_names_no_buyer_data(
    store_engine: Engine,
) -> None:
    # Two lines with one id break the lines' unique key: on PostgreSQL the refusal comes
    # back after the statements sent behind it, and fails the transaction all the same.
    good = incoming(*draft("1"))
    order, raw = draft("2")
    twice = replace(order, lines=(order.lines[0], order.lines[0]))
    with pytest.raises(IntegrityError) as refused:
        ingest(
            store_engine,
            [good, incoming(twice, raw)],
            quarantined=[IncomingQuarantine("9", "unreadable", "{}", "h" * 32)],
            cursor=CursorMove("orders", T0),
        )
    assert "Ada Buyer" not in str(refused.value)
    for table in (ORDERS, LINES, EVENTS, QUARANTINE, CURSORS):
        assert count(store_engine, table) == 0
    # The connection it ran on is fit for the next page.
    counts = ingest(store_engine, [good])
    assert counts.created == 1 and count(store_engine, LINES) == 2


@pytest.mark.postgres
def test_an_order_another_writer_stored_meanwhile_still_gets_its_lines(
    store_engine: Engine,
) -> None:
    # On PostgreSQL the new orders' ids come back with their upsert, which answers none
    # for an order stored meanwhile exactly as it is: its id is then read instead.
    if store_engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: no other can store the order meanwhile")
    item = incoming(*draft("1"))
    results: list[Any] = []
    with store_engine.connect() as other:
        other.begin()
        write_one(other, item)
        other.execute(LINES.delete())
        other.execute(EVENTS.delete())
        writer = threading.Thread(target=lambda: results.append(ingest(store_engine, [item])))
        writer.start()
        # The writer found no order, so its upsert waits for this uncommitted one.
        deadline = time.monotonic() + 30
        while not _waits_for_a_lock(store_engine) and time.monotonic() < deadline:
            time.sleep(0.02)
        other.commit()
        writer.join(30)
    assert results and results[0].created == 1
    assert count(store_engine, ORDERS) == 1 and count(store_engine, LINES) == 2


def _waits_for_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar_one()
    return bool(waiting)


def test_cursor_moves_with_the_page_and_never_backwards(store_engine: Engine) -> None:
    ingest(store_engine, [incoming(*draft("1"))], cursor=CursorMove("orders", T0))
    ingest(store_engine, [], cursor=CursorMove("orders", T0 - timedelta(hours=1)))
    with store_engine.connect() as connection:
        assert read_cursor(connection, "shop", "orders") == T0
    ingest(store_engine, [], cursor=CursorMove("orders", T0 + timedelta(hours=1)))
    with store_engine.connect() as connection:
        assert read_cursor(connection, "shop", "orders") == T0 + timedelta(hours=1)
    assert count(store_engine, CURSORS) == 1


def test_a_failed_transaction_leaves_neither_orders_nor_cursor(store_engine: Engine) -> None:
    try:
        with store_engine.begin() as connection:
            ingest_page(
                connection,
                account_id="shop",
                channel="woocommerce",
                orders=[incoming(*draft("1"))],
                now=datetime.now(UTC),
                cursor=CursorMove("orders", T0),
            )
            raise RuntimeError("killed before commit")
    except RuntimeError:
        pass
    assert count(store_engine, ORDERS) == 0
    with store_engine.connect() as connection:
        assert read_cursor(connection, "shop", "orders") is None


def test_money_and_times_round_trip_exactly(store_engine: Engine) -> None:
    order, raw = draft("1")
    odd = replace(order, total=Decimal("1234567.8912"), currency="JPY")
    ingest(store_engine, [incoming(odd, raw)])
    with store_engine.connect() as connection:
        row = connection.execute(select(ORDERS)).one()
    assert row.total == Decimal("1234567.8912")
    assert row.channel_updated_at == order.updated_at


def test_rows_written_as_plain_sql_are_what_sqlalchemy_writes(store_engine: Engine) -> None:
    # The page writer binds driver-ready values itself (orderhub.store.statements): an
    # order written by SQLAlchemy's own types must be indistinguishable from one it wrote.
    order, raw = draft("plain", lines=1)
    bare = replace(
        order,
        buyer=None,
        ship_to=Address(name="Ana", city="Lisboa"),
        lines=(replace(order.lines[0], identifiers={}, unit_price=None),),
    )
    text, digest = canonical_json(raw)
    with store_engine.begin() as connection:
        write_one(connection, IncomingOrder(bare, text, digest))
        # The same order through SQLAlchemy's column types, under another id.
        row, line = copy_through_sqlalchemy(connection, "plain")
        stored = {
            external_id: (tuple(order_row[2:]), tuple(line_row[2:]))
            for external_id in ("plain", "orm")
            for order_row in connection.exec_driver_sql(
                "SELECT id, external_id, channel, status, total, placed_at, "
                "channel_updated_at, buyer, ship_to, first_seen_at FROM orders "
                f"WHERE external_id = '{external_id}'"
            )
            for line_row in connection.exec_driver_sql(
                "SELECT id, order_id, sku, quantity, unit_price, total, identifiers "
                f"FROM order_lines WHERE order_id = {order_row[0]}"
            )
        }
    assert stored["plain"] == stored["orm"]
    assert row["buyer"] is None and line["identifiers"] is None and line["unit_price"] is None
    assert row["ship_to"] == {"name": "Ana", "city": "Lisboa"}
    assert row["placed_at"] == T0 and row["total"] == Decimal("12.50")


ODD_TEXT = 'Zoë "Q" \\ \u2028 \U0001f600 <&>'


def test_json_columns_hold_the_text_sqlalchemy_writes(store_engine: Engine) -> None:
    # Addresses and line ids are written as JSON text by the page writer itself; the
    # stored text (escapes, separators, key order) is what SQLAlchemy's JSON type writes.
    order, raw = draft("json", lines=1)
    odd = replace(
        order,
        buyer=Address(name=ODD_TEXT, country="PT", email="a@example.com"),
        ship_to=Address(city=ODD_TEXT),
        lines=(replace(order.lines[0], identifiers={"gtin": ODD_TEXT, "product_id": "7"}),),
    )
    text, digest = canonical_json(raw)
    columns = "CAST(buyer AS TEXT), CAST(ship_to AS TEXT)"
    with store_engine.begin() as connection:
        write_one(connection, IncomingOrder(odd, text, digest))
        row, line = copy_through_sqlalchemy(connection, odd.external_id)
        stored = connection.exec_driver_sql(
            f"SELECT {columns}, CAST(identifiers AS TEXT) FROM orders"
            " JOIN order_lines ON order_lines.order_id = orders.id ORDER BY orders.id"
        ).all()
    assert stored[0] == stored[1]
    assert row["buyer"] == {"name": ODD_TEXT, "country": "PT", "email": "a@example.com"}
    assert line["identifiers"] == {"gtin": ODD_TEXT, "product_id": "7"}


def test_json_text_is_json_dumps() -> None:
    for value in (
        None,
        {},
        {"a": ODD_TEXT, ODD_TEXT: "b"},
        {"n": 1},
        {1: "x"},
        {"a": None},
        {"a": {"b": "c"}},
        [ODD_TEXT],
        OrderStatus.SHIPPED,
        {OrderStatus.SHIPPED: OrderStatus.PENDING},
    ):
        assert json_text(value) == json.dumps(value), value


def test_an_address_is_stored_as_json_dumps_writes_its_parts() -> None:
    from orderhub.store.ingest import _address

    for address in (
        None,
        Address(),
        Address(name=ODD_TEXT, line2="2", email="a@example.com"),
        Address(city=12345),  # type: ignore[arg-type]  # a part that is not text
    ):
        assert json_text(_address(address)) == json.dumps(_address(address)), address
