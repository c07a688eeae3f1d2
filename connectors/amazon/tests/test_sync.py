"""The Amazon connector through the real sync engine and the real store (SQLite and
PostgreSQL): everything stored once, nothing rewritten, Amazon's changes arrive."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import Engine, func, select

from orderhub.sims.amazon import SimulatedAmazon
from orderhub.store.ingest import EVENTS, LINES, ORDERS, QUARANTINE
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock

from .conftest import CA, US, ConnectorFactory


def stored(engine: Engine) -> dict[str, tuple[str, str, bool, str | None]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                ORDERS.c.external_id,
                ORDERS.c.status,
                ORDERS.c.channel_status,
                ORDERS.c.fulfilled_by_channel,
                ORDERS.c.marketplace,
            )
        ).all()
    return {r.external_id: (r.status, r.channel_status, r.fulfilled_by_channel, r.marketplace)
            for r in rows}  # fmt: skip


def test_first_run_stores_every_order_and_a_second_run_writes_nothing(
    store_engine: Engine,
    sim: SimulatedAmazon,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    ids = sim.generate(340, start=clock.now() - timedelta(days=12), spread=timedelta(days=10))
    connector = make_connector()

    first = PullRunner(store_engine, connector).run()
    assert first.outcome == "succeeded"
    assert first.counts.created == 340 and first.fetched == 340
    rows = stored(store_engine)
    assert set(rows) == set(ids)
    for order_id, (status, channel_status, fba, marketplace) in rows.items():
        record = sim.record(order_id)
        assert channel_status == record.status
        assert status == (
            "pending" if channel_status == "PENDING_AVAILABILITY" else channel_status.lower()
        )
        assert fba is (record.fulfilled_by == "AMAZON")
        assert marketplace == record.marketplace_id
    assert {row[3] for row in rows.values()} == {US, CA}

    clock.advance(300)
    with store_engine.connect() as connection:
        changed_before = connection.execute(select(func.max(ORDERS.c.last_changed_at))).scalar()
    second = PullRunner(store_engine, connector).run()
    assert second.outcome == "succeeded"
    assert (second.counts.created, second.counts.updated) == (0, 0)
    with store_engine.connect() as connection:
        changed_after = connection.execute(select(func.max(ORDERS.c.last_changed_at))).scalar()
    assert changed_after == changed_before


def test_an_order_cancelled_on_amazon_is_updated(
    store_engine: Engine,
    sim: SimulatedAmazon,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    order = sim.add_order(status="UNSHIPPED", created=clock.now() - timedelta(hours=3))
    connector = make_connector()
    PullRunner(store_engine, connector).run()
    assert stored(store_engine)[order["orderId"]][0] == "unshipped"

    clock.advance(60)
    sim.cancel_order(order["orderId"])
    clock.advance(180)  # past the two-minute horizon
    result = PullRunner(store_engine, connector).run()

    assert result.counts.updated == 1
    assert stored(store_engine)[order["orderId"]][:2] == ("cancelled", "CANCELLED")
    with store_engine.connect() as connection:
        events = connection.execute(select(EVENTS).order_by(EVENTS.c.id)).all()
    assert [(e.kind, e.from_status, e.to_status, e.channel_status) for e in events] == [
        ("created", None, "unshipped", "UNSHIPPED"),
        ("status_changed", "unshipped", "cancelled", "CANCELLED"),
    ]


def test_a_change_inside_the_last_two_minutes_waits_for_the_next_run(
    store_engine: Engine,
    sim: SimulatedAmazon,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    connector = make_connector()
    PullRunner(store_engine, connector).run()
    order = sim.add_order(status="PENDING")  # placed just now
    assert PullRunner(store_engine, connector).run().counts.created == 0
    clock.advance(300)
    assert PullRunner(store_engine, connector).run().counts.created == 1
    assert order["orderId"] in stored(store_engine)


def test_items_without_seller_sku_are_stored_and_malformed_orders_quarantined(
    store_engine: Engine,
    sim: SimulatedAmazon,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    mixed = sim.add_order(
        items=[(None, 1), ("MUG-WHITE-11OZ", 2)], created=clock.now() - timedelta(hours=4)
    )
    bad = sim.add_malformed_order(
        "missing_fulfillment_status", created=clock.now() - timedelta(hours=3)
    )
    result = PullRunner(store_engine, make_connector()).run()

    assert result.outcome == "succeeded"
    assert set(stored(store_engine)) == {mixed["orderId"]}
    with store_engine.connect() as connection:
        lines = connection.execute(select(LINES).order_by(LINES.c.position)).all()
        quarantined = connection.execute(select(QUARANTINE)).one()
    assert [(line.sku, line.identifiers["asin"], line.quantity) for line in lines] == [
        (None, mixed["orderItems"][0]["product"]["asin"], 1),
        ("MUG-WHITE-11OZ", "B0C1MUG001", 2),
    ]
    assert quarantined.external_id == bad["orderId"]
    assert "fulfillment.fulfillmentStatus" in quarantined.reason
    assert result.counts.quarantined == 1


def test_a_sync_through_a_real_socket_with_both_hosts_overridden(
    sqlite_engine: Engine,
    sim: SimulatedAmazon,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    ids = sim.generate(150, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    with sim.serve() as server:
        connector = make_connector(
            transport=httpx.HTTPTransport(),
            api_base_url=server.base_url,
            token_url=f"{server.base_url}/auth/o2/token",
        )
        result = PullRunner(sqlite_engine, connector).run()
    assert result.outcome == "succeeded" and result.counts.created == 150
    assert set(stored(sqlite_engine)) == set(ids)
    assert [r.path for r in sim.requests][:2] == ["/auth/o2/token", "/orders/2026-01-01/orders"]
