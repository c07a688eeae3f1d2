"""Retention on SQLite and PostgreSQL: after the period, buyer data is gone from the
columns and the raw payloads of shipped, cancelled and refunded orders; the orders, their
lines, money and events stay; history rows beyond the period go, the latest runs stay."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from orderhub.store import runs
from orderhub.store.ingest import EVENTS, LINES, ORDERS
from orderhub.store.retention import ERASED_MARK, FINAL_STATUSES, RetentionConfig, purge
from orderhub.store.runs import RUNS
from orderhub.testing import FakeClock

from .test_hostile_records import CHANNELS, pull


def _pii(address: dict[str, Any] | None) -> list[str]:
    if not address:
        return []
    keys = ("name", "company", "line1", "line2", "phone", "email")
    values = [str(address[key]) for key in keys if address.get(key)]
    # A name may be built from parts (first and last name): check each word as well.
    return values + [word for word in str(address.get("name") or "").split() if len(word) > 3]


def _snapshot(engine: Engine) -> dict[str, Any]:
    with engine.connect() as connection:
        orders = {
            row.id: row._asdict()
            for row in connection.execute(select(ORDERS).order_by(ORDERS.c.id))
        }
        lines = [tuple(row) for row in connection.execute(select(LINES).order_by(LINES.c.id))]
        events = [tuple(row) for row in connection.execute(select(EVENTS).order_by(EVENTS.c.id))]
    return {"orders": orders, "lines": lines, "events": events}


def test_purge_erases_buyer_data_of_finished_orders_and_keeps_everything_else(
    store_engine: Engine,
) -> None:
    for channel in CHANNELS.values():
        result, _ = pull(store_engine, channel, channel.fixtures)
        assert result.outcome == "succeeded"
    before = _snapshot(store_engine)
    finished = {i: o for i, o in before["orders"].items() if o["status"] in FINAL_STATUSES}
    open_orders = {i: o for i, o in before["orders"].items() if i not in finished}
    assert finished and open_orders
    # Each order's buyer data as the raw payload holds it (JSON-escaped).
    secrets = {
        i: [
            text
            for value in _pii(o["buyer"]) + _pii(o["ship_to"])
            if (text := json.dumps(value)[1:-1]) in o["raw"]
        ]
        for i, o in finished.items()
    }
    assert sum(map(len, secrets.values())) > 10, "the fixtures hold buyer data to erase"

    now = FakeClock().now()
    config = RetentionConfig()
    # Within the period nothing goes.
    with store_engine.begin() as connection:
        assert purge(connection, config, now=now).orders_erased == 0
    later = now + timedelta(days=31)
    with store_engine.begin() as connection:
        dry = purge(connection, config, now=later, dry_run=True)
    assert dry.orders_erased == len(finished)
    assert _snapshot(store_engine) == before, "a dry run changes nothing"

    with store_engine.begin() as connection:
        done = purge(connection, config, now=later)
    assert done.orders_erased == len(finished)
    assert set(done.by_channel) == {"woocommerce", "amazon", "ebay"}
    after = _snapshot(store_engine)
    assert after["lines"] == before["lines"] and after["events"] == before["events"]
    for order_id, order in after["orders"].items():
        old = before["orders"][order_id]
        if order_id in open_orders:
            assert order == old, "an order still to fulfil keeps its buyer data"
            continue
        assert order["buyer"] is None and order["ship_to"] is None
        assert ERASED_MARK in order["raw"]
        for value in secrets[order_id]:
            assert value not in order["raw"], f"{order['channel']}: {value!r} stays in raw"
        for key in ("external_id", "status", "total", "currency", "placed_at", "content_hash"):
            assert order[key] == old[key], key
    # A second purge has nothing left to do.
    with store_engine.begin() as connection:
        assert purge(connection, config, now=later).orders_erased == 0


def test_history_keeps_the_latest_runs_per_account_and_drops_the_old_ones(
    store_engine: Engine,
) -> None:
    start = FakeClock().now() - timedelta(days=90)
    with store_engine.begin() as connection:
        for account, count in (("busy", 80), ("quiet", 3)):
            for n in range(count):
                run_id = runs.start_run(
                    connection,
                    account_id=account,
                    channel="woocommerce",
                    stream="orders",
                    trigger="schedule",
                    now=start + timedelta(hours=n),
                    window_start=None,
                    window_end=None,
                )
                runs.update_run(connection, run_id, {"outcome": "succeeded"})
    config = RetentionConfig(keep_runs=50)
    with store_engine.begin() as connection:
        result = purge(connection, config, now=FakeClock().now())
    assert result.runs_deleted == 30
    with store_engine.connect() as connection:
        left = dict(
            connection.execute(
                select(RUNS.c.account_id, func.count()).group_by(RUNS.c.account_id)
            ).all()
        )
    assert left == {"busy": 50, "quiet": 3}
