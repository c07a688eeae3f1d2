"""The pull runner with the eBay connector against the simulated eBay and the real store
(SQLite and PostgreSQL): everything stored once, nothing rewritten, cancellations reach the
store with their details, a malformed order is quarantined."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from sqlalchemy import Engine, func, select

from orderhub.sdk import ShipmentDraft, ShipmentLine
from orderhub.sims.ebay import SimulatedEbay
from orderhub.store.ingest import EVENTS, LINES, ORDERS, QUARANTINE
from orderhub.store.runs import RUNS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock

from .conftest import ACCOUNT, ConnectorFactory


def stored(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(select(ORDERS.c.external_id, ORDERS.c.status)).all()
    return {row.external_id: row.status for row in rows}


def test_first_run_stores_every_order_and_a_second_run_writes_nothing(
    store_engine: Engine, sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    ids = sim.generate(430, start=clock.now() - timedelta(days=12), spread=timedelta(days=10))
    clock.advance(120)
    connector = make_connector()

    first = PullRunner(store_engine, connector).run()
    assert first.outcome == "succeeded", first.error
    assert set(stored(store_engine)) == set(ids)
    assert first.counts.created == 430
    with store_engine.connect() as connection:
        lines = connection.execute(select(func.count()).select_from(LINES)).scalar_one()
        with_item_ids = connection.execute(
            select(func.count()).select_from(LINES).where(LINES.c.identifiers.is_not(None))
        ).scalar_one()
    assert lines >= 430 and with_item_ids == lines

    clock.advance(600)
    with store_engine.connect() as connection:
        changed_before = connection.execute(select(func.max(ORDERS.c.last_changed_at))).scalar()
    second = PullRunner(store_engine, connector).run()
    assert second.outcome == "succeeded"
    assert (second.counts.created, second.counts.updated) == (0, 0)
    with store_engine.connect() as connection:
        changed_after = connection.execute(select(func.max(ORDERS.c.last_changed_at))).scalar()
        runs = connection.execute(select(RUNS).order_by(RUNS.c.id)).all()
    assert changed_after == changed_before
    assert [run.outcome for run in runs] == ["succeeded", "succeeded"]
    assert runs[0].channel == "ebay" and runs[0].pages >= 3


def test_a_cancellation_updates_the_order_and_adds_an_event(
    store_engine: Engine, sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    order_id = sim.add_order(created=clock.now() - timedelta(hours=3))["orderId"]
    clock.advance(120)
    connector = make_connector()
    PullRunner(store_engine, connector).run()
    assert stored(store_engine) == {order_id: "unshipped"}

    sim.request_cancel(order_id)
    clock.advance(120)
    PullRunner(store_engine, connector).run()
    assert stored(store_engine) == {order_id: "on_hold"}

    sim.approve_cancel(order_id)
    clock.advance(120)
    result = PullRunner(store_engine, connector).run()
    assert result.counts.updated == 1
    assert stored(store_engine) == {order_id: "cancelled"}
    with store_engine.connect() as connection:
        events = connection.execute(select(EVENTS).order_by(EVENTS.c.id)).all()
        raw = json.loads(connection.execute(select(ORDERS.c.raw)).scalar_one())
    assert [(e.kind, e.from_status, e.to_status, e.channel_status) for e in events] == [
        ("created", None, "unshipped", "PAID/NOT_STARTED"),
        ("status_changed", "unshipped", "on_hold", "PAID/NOT_STARTED/CANCEL_IN_PROGRESS"),
        ("status_changed", "on_hold", "cancelled", "FULLY_REFUNDED/NOT_STARTED/CANCELED"),
    ]
    # The stored payload keeps the cancel request that only getOrder returns.
    (request,) = raw["cancelStatus"]["cancelRequests"]
    assert request["cancelRequestState"] == "COMPLETED" and request["cancelInitiator"] == "Buyer"


def test_an_order_without_line_items_is_quarantined_and_the_others_are_stored(
    store_engine: Engine, sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    good = sim.generate(25, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    bad = sim.add_malformed_order("no_line_items", created=clock.now() - timedelta(hours=5))
    clock.advance(120)
    result = PullRunner(store_engine, make_connector()).run()

    assert result.outcome == "succeeded" and result.counts.quarantined == 1
    assert set(stored(store_engine)) == set(good)
    with store_engine.connect() as connection:
        record = connection.execute(select(QUARANTINE)).one()
    assert record.external_id == bad["orderId"] and record.account_id == ACCOUNT
    assert "lineItems" in record.reason and "no line items" in record.reason
    assert json.loads(record.raw)["orderId"] == bad["orderId"], "the raw payload is kept whole"


def test_a_sync_and_a_push_over_a_real_socket(
    sqlite_engine: Engine, sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    ids = sim.generate(230, start=clock.now() - timedelta(days=4), spread=timedelta(days=3))
    clock.advance(120)
    with sim.serve() as server:
        connector = make_connector(
            transport=httpx.HTTPTransport(),
            api_base_url=server.base_url,
            token_url=f"{server.base_url}/identity/v1/oauth2/token",
        )
        result = PullRunner(sqlite_engine, connector).run()
        assert result.outcome == "succeeded", result.error
        assert set(stored(sqlite_engine)) == set(ids)

        order = next(
            sim.order(i) for i in ids if sim.order(i)["orderFulfillmentStatus"] == "NOT_STARTED"
        )
        line = order["lineItems"][0]
        pushed = connector.push_tracking(
            ShipmentDraft(
                order_external_id=order["orderId"],
                reference="socket-1",
                carrier_code="USPS",
                tracking_number="9400 1000 0000 0000 0042",
                shipped_at=clock.now(),
                lines=(ShipmentLine(line["lineItemId"], line["quantity"]),),
            )
        )
    assert pushed.channel_reference == "94001000000000000042"
    assert pushed.detail["location"].startswith(server.base_url)
