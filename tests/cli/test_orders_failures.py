"""``orderhub orders list|show`` and ``orderhub failures`` on a store filled by a real sync."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from orderhub.sdk import OrderStatus
from orderhub.store.db import make_engine
from orderhub.store.ingest import ORDERS, QUARANTINE

from .conftest import (
    KEY_VAR,
    SECRET_VAR,
    SHOP_ORDERS,
    Cli,
    Shop,
    account_toml,
    assert_clean_failure,
    assert_ok,
    table_records,
)


def store_rows(directory: Path, table: Any) -> list[Any]:
    engine = make_engine(f"sqlite:///{directory / 'orderhub.db'}")
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(table)))
    finally:
        engine.dispose()


def without_links(order: dict[str, Any]) -> dict[str, Any]:
    # ``_links`` point at the address the client used, which differs between the two reads.
    return {key: value for key, value in order.items() if key != "_links"}


def test_orders_list_shows_every_order_newest_change_first(synced: Cli, synced_shop: Shop) -> None:
    result = synced("orders", "list")
    output = assert_ok(result)
    assert f"Orders ({SHOP_ORDERS} shown)" in output
    rows = table_records(result.output)
    assert len(rows) == SHOP_ORDERS
    assert {row["order"] for row in rows} == {
        str(record.id) for record in synced_shop.sim.store if record.malformed is None
    }
    assert {row["account"] for row in rows} == {"shop"}
    updated = [row["updated"] for row in rows]
    assert updated == sorted(updated, reverse=True)
    # Buyers' names and e-mail addresses are not listed.
    assert not any(email in result.output for email in synced_shop.emails)


def test_orders_list_limit(synced: Cli) -> None:
    result = synced("orders", "list", "--limit", "7")
    assert "Orders (7 shown)" in assert_ok(result)
    assert len(table_records(result.output)) == 7
    assert_clean_failure(synced("orders", "list", "--limit", "0"), "--limit", code=2)


def test_orders_list_filters_by_status(synced: Cli) -> None:
    stored = Counter(row.status for row in store_rows(synced.directory, ORDERS))
    assert len(stored) > 1, stored  # the filter has something to leave out
    for status, count in stored.items():
        result = synced("orders", "list", "--status", status)
        assert f"Orders ({count} shown)" in assert_ok(result)
        rows = table_records(result.output)
        assert len(rows) == count
        assert {row["status"] for row in rows} == {status}
    missing = next(s.value for s in OrderStatus if s.value not in stored)
    nothing = assert_ok(synced("orders", "list", "--status", missing))
    assert nothing == "No stored order matches these filters."


def test_orders_list_with_an_unknown_status_exits_2(synced: Cli) -> None:
    result = synced("orders", "list", "--status", "shiped")
    output = assert_clean_failure(result, "unknown status 'shiped'", "Fix: Use one of:", code=2)
    for status in OrderStatus:
        assert status.value in output


def test_orders_list_filters_by_account(synced: Cli) -> None:
    result = synced("orders", "list", "--account", "shop")
    assert f"Orders ({SHOP_ORDERS} shown)" in assert_ok(result)
    nothing = assert_ok(synced("orders", "list", "--account", "other"))
    assert nothing == "No stored order matches these filters."


def test_orders_list_on_an_empty_store(orderhub: Cli) -> None:
    assert_ok(orderhub("db", "upgrade"))
    output = assert_ok(orderhub("orders", "list"))
    assert output == "No orders stored yet. Run `orderhub demo` or `orderhub sync ACCOUNT`."


def _first_order(shop: Shop) -> dict[str, Any]:
    first = min(record.id for record in shop.sim.store)
    return shop.sim.order(first)


def test_orders_show_by_channel_id(synced: Cli, synced_shop: Shop) -> None:
    order = _first_order(synced_shop)
    result = synced("orders", "show", str(order["id"]))
    output = assert_ok(result)
    assert f"Order {order['number']} (orderhub id " in output
    assert "woocommerce account shop" in output
    assert f"total: {order['total']} {order['currency']}" in output
    assert f"(channel: {order['status']})" in output
    for item in order["line_items"]:
        assert (item["sku"] or "-") in output
        assert str(item["id"]) in output
    assert "created" in output  # the history has the first event
    assert order["billing"]["email"] not in output
    assert order["billing"]["last_name"] not in output


def test_orders_show_by_orderhub_id(synced: Cli, synced_shop: Shop) -> None:
    order = _first_order(synced_shop)
    (row,) = [r for r in store_rows(synced.directory, ORDERS) if r.external_id == str(order["id"])]
    output = assert_ok(synced("orders", "show", str(row.id)))
    assert f"Order {order['number']} (orderhub id {row.id}," in output


def test_orders_show_raw_prints_the_channel_payload(synced: Cli, synced_shop: Shop) -> None:
    order = _first_order(synced_shop)
    result = synced("orders", "show", str(order["id"]), "--raw")
    assert_ok(result)
    assert without_links(json.loads(result.stdout)) == without_links(order)


def test_orders_show_unknown_ref(synced: Cli) -> None:
    result = synced("orders", "show", "no-such-order")
    assert_clean_failure(
        result, "no order 'no-such-order'", "Fix: List orders with `orderhub orders list`", code=1
    )


def test_failures_lists_the_malformed_order_with_its_reason(synced: Cli, synced_shop: Shop) -> None:
    (malformed,) = [record.id for record in synced_shop.sim.store if record.malformed is not None]
    result = synced("failures")
    output = assert_ok(result)
    assert "Quarantined records (1)" in output
    (row,) = table_records(result.output)
    assert (row["account"], row["channel"], row["order"]) == ("shop", "woocommerce", str(malformed))
    assert "quantity: 'two' is not an integer" in row["reason"]
    assert "orderhub failures --show ID" in output
    assert "Failed runs" not in output


def test_failures_as_json_and_csv_carry_the_record_and_leave_it_new(
    synced: Cli, synced_shop: Shop
) -> None:
    (malformed,) = [record.id for record in synced_shop.sim.store if record.malformed is not None]
    result = synced("failures", "--format", "json")
    assert result.exit_code == 0, result.output
    (record,) = json.loads(result.stdout)
    assert record["kind"] == "quarantined"
    assert (record["account"], record["channel"], record["order"]) == (
        "shop",
        "woocommerce",
        str(malformed),
    )
    assert "quantity: 'two' is not an integer" in record["reason"]
    result = synced("failures", "--format", "csv")
    assert result.exit_code == 0, result.output
    header, *rows = list(csv.reader(io.StringIO(result.stdout)))
    assert header[:5] == ["kind", "id", "account", "channel", "order"]
    assert [row[:5] for row in rows] == [
        ["quarantined", record["id"], "shop", "woocommerce", str(malformed)]
    ]
    # A script reading the list is not a person looking: the record is still new.
    (stored,) = store_rows(synced.directory, QUARANTINE)
    assert stored.acknowledged_at is None
    assert_ok(synced("failures"))
    (stored,) = store_rows(synced.directory, QUARANTINE)
    assert stored.acknowledged_at is not None


def test_failures_as_json_list_failed_runs_too(orderhub: Cli) -> None:
    orderhub.write_config(account_toml("shop", "http://127.0.0.1:9"))
    env = {KEY_VAR: "ck_x1234567", SECRET_VAR: "cs_x1234567"}
    assert orderhub("sync", "shop", env=env).exit_code != 0  # nothing listens on port 9
    result = orderhub("failures", "--format", "json")
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)
    assert run["kind"] == "failed run"
    assert run["account"] == "shop"
    assert run["reason"] and run["what to do"]
    assert json.loads(orderhub("failures", "--format", "json", "--account", "other").stdout) == []


def test_failures_show_prints_the_raw_payload(synced: Cli, synced_shop: Shop) -> None:
    (record,) = store_rows(synced.directory, QUARANTINE)
    result = synced("failures", "--show", str(record.id))
    assert_ok(result)
    reason, _, payload = result.stdout.partition("\n")
    assert reason == f"Reason: {record.reason}"
    raw = json.loads(payload)
    assert raw["id"] == int(str(record.external_id))
    assert raw["line_items"][0]["quantity"] == "two"
    assert without_links(raw) == without_links(synced_shop.sim.order(raw["id"]))


def test_failures_show_unknown_id(synced: Cli) -> None:
    result = synced("failures", "--show", "999")
    assert_clean_failure(result, "no quarantined record 999", "orderhub failures", code=1)


def test_failures_filtered_by_account(synced: Cli) -> None:
    assert "Quarantined records (1)" in assert_ok(synced("failures", "--account", "shop"))
    assert "No failures." in assert_ok(synced("failures", "--account", "other"))


def test_no_failures_after_a_clean_sync(configured: Cli) -> None:
    assert_ok(configured("sync", "shop"))
    output = assert_ok(configured("failures"))
    assert "No failures. Every record read cleanly and the last runs succeeded." in output


@pytest.mark.parametrize(
    "command",
    [
        ["orders", "list"],
        ["orders", "show", "1"],
        ["failures"],
        ["status"],
        ["health"],
    ],
)
def test_reading_before_the_store_exists_says_to_run_db_upgrade(
    orderhub: Cli, command: list[str], tmp_path: Path
) -> None:
    result = orderhub(*command)
    assert_clean_failure(
        result, "there is no order store at orderhub.db yet", "orderhub db upgrade"
    )
    assert not (tmp_path / "orderhub.db").exists(), "a read command creates no database"


def test_reading_an_empty_unmigrated_store_says_to_run_db_upgrade(
    orderhub: Cli, tmp_path: Path
) -> None:
    sqlite3.connect(tmp_path / "orderhub.db").close()
    result = orderhub("orders", "list")
    assert_clean_failure(
        result, "The database is empty", "this orderhub needs revision", "orderhub db upgrade"
    )


def test_failures_dealt_with_closes_a_record_and_keeps_its_payload(synced: Cli) -> None:
    (record,) = store_rows(synced.directory, QUARANTINE)
    output = assert_ok(synced("failures", "--dealt-with", str(record.id)))
    assert f"Quarantined record {record.id} marked as dealt with" in output
    assert "No failures." in assert_ok(synced("failures"))
    assert "Quarantined records (1)" in assert_ok(synced("failures", "--resolved"))
    assert "already closed" in assert_ok(synced("failures", "--dealt-with", str(record.id)))
    assert_ok(synced("failures", "--show", str(record.id)))  # the payload is still there
    (after,) = store_rows(synced.directory, QUARANTINE)
    assert after.dealt_with_by == "cli" and after.dealt_with_at is not None
    assert_clean_failure(
        synced("failures", "--dealt-with", "999"), "no quarantined record 999", code=2
    )
