"""Pages the pull cannot write, against the real stores (SQLite and PostgreSQL): a fault of
our own or of the store never turns good orders into quarantine rows.

A record can be at fault only for what its values can cause. When the store refuses every
order of a page alike (a bug in the page writer, a column a bad migration changed), or
fails for a reason no record can cause (a missing column, a full disk, a lost connection),
the run fails, nothing of the page is written or quarantined, the cursor stays, and the
next run, once the fault is gone, stores every order. A record the store refuses on its
own is still quarantined alone (tests/sync/test_hostile_records.py has the page of three
with one refused).

The faults are real where they can be (a dropped column, SQLite's page limit, a
PostgreSQL backend terminated); a bug is a function of the page writer made to raise.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select, text
from structlog.testing import capture_logs

from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store.ingest import ORDERS, QUARANTINE, read_cursor
from orderhub.store.runs import RUNS
from orderhub.sync import page as page_module
from orderhub.sync import pull as pull_module
from orderhub.sync.page import write_page
from orderhub.sync.pull import PullResult, PullRunner
from orderhub.testing import FakeClock
from orderhub.testing.kit import load_fixture
from orderhub.testing.sim import Fault

from .conftest import ConnectorFactory

FIXTURES = Path(__file__).resolve().parents[2] / "connectors/woocommerce/tests/fixtures"


def stored(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(ORDERS.c.external_id)).scalars())


def quarantined(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(QUARANTINE)).all())


def cursor(engine: Engine) -> Any:
    with engine.connect() as connection:
        return read_cursor(connection, "shop", "orders")


def last_run(engine: Engine) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(RUNS).order_by(RUNS.c.id.desc()).limit(1)).one()


def events(logs: list[dict[str, Any]]) -> list[str]:
    return [line["event"] for line in logs]


def assert_failed_with_nothing_written(
    engine: Engine, result: PullResult, kind: str, logs: list[dict[str, Any]], event: str
) -> None:
    assert result.outcome == "failed", (result.error_kind, result.error)
    assert result.error_kind == kind
    assert stored(engine) == set(), "no order of the page was written"
    assert quarantined(engine) == [], "no good order was quarantined"
    assert cursor(engine) is None, "the cursor did not move past the page"
    assert result.counts.quarantined == 0
    assert "sync.record_quarantined" not in events(logs)
    line = next(line for line in logs if line["event"] == event)
    assert line["log_level"] == "error"
    assert line["error_kind"] == kind and line["fix"] == result.fix and line["error"]
    run = last_run(engine)
    assert (run.outcome, run.error_kind, run.quarantined) == ("failed", kind, 0)
    assert run.fix == result.fix and "the next run reads the page again" in run.fix


@pytest.fixture
def orders(clock: FakeClock, shop: SimulatedWooCommerce) -> set[str]:
    """Thirty orders of the last two days: one page of the backfill's last chunk."""
    ids = shop.generate(30, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    clock.advance(60)  # orders modified "now" are left to the next run (strict filter)
    return {str(i) for i in ids}


# -- a bug in our page writer ----------------------------------------------------------------


def test_a_bug_that_refuses_every_order_of_a_page_fails_the_run_and_hides_no_order(
    monkeypatch: pytest.MonkeyPatch,
    store_engine: Engine,
    orders: set[str],
    make_connector: ConnectorFactory,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        # After the page's orders were inserted in its transaction: they must go with it.
        raise TypeError("unsupported operand type(s) for +: 'int' and 'NoneType'")

    monkeypatch.setattr(page_module, "resolve_written", broken)
    with capture_logs() as logs:
        result = PullRunner(store_engine, make_connector()).run()

    assert_failed_with_nothing_written(
        store_engine, result, "internal", logs, "sync.page_refused_whole"
    )
    assert "all 30 orders" in (result.error or "") and "TypeError" in (result.error or "")
    assert "orderhub db upgrade" in (result.fix or "")
    refused = next(line for line in logs if line["event"] == "sync.page_refused_whole")
    assert refused["records"] == 30 and set(refused["external_ids"]) <= orders

    # The bug fixed: the next run reads the page again and stores every order.
    monkeypatch.undo()
    again = PullRunner(store_engine, make_connector()).run()
    assert again.outcome == "succeeded", (again.error_kind, again.error)
    assert again.counts.created == 30 and again.counts.quarantined == 0
    assert stored(store_engine) == orders and quarantined(store_engine) == []
    assert again.window is not None and cursor(store_engine) == again.window.end


def test_orders_refused_for_different_reasons_are_each_quarantined(
    monkeypatch: pytest.MonkeyPatch,
    store_engine: Engine,
    orders: set[str],
    make_connector: ConnectorFactory,
) -> None:
    """Every order refused, but not alike: two bad records, not one cause. They are
    quarantined and the others stored, as for one bad record."""
    first, second = sorted(orders)[:2]

    def picky(connection: Connection, **kwargs: Any) -> Any:
        ids = {item.draft.external_id for item in kwargs["orders"]}
        if first in ids:
            raise TypeError("first refused")
        if second in ids:
            raise ValueError("second refused")
        return write_page(connection, **kwargs)

    monkeypatch.setattr(pull_module, "write_page", picky)
    with capture_logs() as logs:
        result = PullRunner(store_engine, make_connector()).run()
    assert result.outcome == "succeeded", (result.error_kind, result.error)
    assert (result.counts.created, result.counts.quarantined) == (28, 2)
    assert stored(store_engine) == orders - {first, second}
    reasons = {row.external_id: row.reason for row in quarantined(store_engine)}
    assert reasons == {
        first: "the database refused this order: TypeError: first refused",
        second: "the database refused this order: ValueError: second refused",
    }
    assert "sync.page_refused_whole" not in events(logs)


# -- records the database refuses (no check foresaw them) -----------------------------------


def _fixture(name: str, *, huge_quantity: bool = False) -> dict[str, Any]:
    record = copy.deepcopy(load_fixture(FIXTURES / f"{name}.json"))
    if huge_quantity:
        # Passes validate_order (a positive integer) but fits neither database's integer.
        record["line_items"][0]["quantity"] = 2**70
    return record


def answering(records: list[dict[str, Any]]) -> Any:
    """A channel answering the run's first window chunk with ``records``."""
    pending = [records]

    def fetch_orders(window: Any) -> Iterator[dict[str, Any]]:
        if pending:
            yield from pending.pop()

    return fetch_orders


def test_a_lone_order_the_database_refuses_is_quarantined_as_before(
    monkeypatch: pytest.MonkeyPatch, store_engine: Engine, make_connector: ConnectorFactory
) -> None:
    """A page of one refused order cannot be told from one bad record: quarantined, and
    the cursor moves on."""
    monkeypatch.setattr(pull_module, "store_problems", lambda draft: [])
    connector = make_connector()
    hostile = _fixture("status_on_hold", huge_quantity=True)
    connector.fetch_orders = answering([hostile])  # type: ignore[method-assign]
    result = PullRunner(store_engine, connector).run()
    assert result.outcome == "succeeded", (result.error_kind, result.error)
    assert result.counts.quarantined == 1 and stored(store_engine) == set()
    [row] = quarantined(store_engine)
    assert row.external_id == str(hostile["id"])
    assert row.reason.startswith("the database refused this order:")
    assert result.window is not None and cursor(store_engine) == result.window.end


def test_a_page_whose_every_order_the_database_refuses_alike_fails_until_a_check_catches_them(
    monkeypatch: pytest.MonkeyPatch, store_engine: Engine, make_connector: ConnectorFactory
) -> None:
    """Two orders refused for one reason (a check of the store's limits missing): the run
    fails rather than quarantine a whole page, since a bug looks the same. With the check
    back, the same orders are quarantined by it, each with its precise reason."""
    records = [
        _fixture("status_on_hold", huge_quantity=True),
        _fixture("status_completed", huge_quantity=True),
    ]
    monkeypatch.setattr(pull_module, "store_problems", lambda draft: [])
    connector = make_connector()
    connector.fetch_orders = answering(records)  # type: ignore[method-assign]
    with capture_logs() as logs:
        result = PullRunner(store_engine, connector).run()
    assert_failed_with_nothing_written(
        store_engine, result, "internal", logs, "sync.page_refused_whole"
    )
    assert "all 2 orders" in (result.error or "")
    assert "sync.page_write_failed" in events(logs)

    monkeypatch.undo()
    connector = make_connector()
    connector.fetch_orders = answering(records)  # type: ignore[method-assign]
    again = PullRunner(store_engine, connector).run()
    assert again.outcome == "succeeded", (again.error_kind, again.error)
    reasons = sorted(row.reason for row in quarantined(store_engine))
    assert len(reasons) == 2 and all("32-bit" in reason for reason in reasons)
    assert again.window is not None and cursor(store_engine) == again.window.end


# -- the store itself fails ------------------------------------------------------------------


def test_a_missing_column_fails_the_run_as_a_store_fault_and_quarantines_nothing(
    store_engine: Engine, orders: set[str], make_connector: ConnectorFactory
) -> None:
    """A bad migration dropped a column: no record is at fault, so none is written one by
    one nor quarantined. Once the column is back, the next run stores every order."""
    with store_engine.begin() as connection:
        connection.execute(text("ALTER TABLE orders DROP COLUMN marketplace"))
    with capture_logs() as logs:
        result = PullRunner(store_engine, make_connector()).run()
    assert_failed_with_nothing_written(store_engine, result, "store", logs, "sync.store_failed")
    assert "marketplace" in (result.error or "")
    assert "sync.page_write_failed" not in events(logs)
    assert "orderhub health" in (result.fix or "")

    with store_engine.begin() as connection:
        connection.execute(text("ALTER TABLE orders ADD COLUMN marketplace VARCHAR(64)"))
    again = PullRunner(store_engine, make_connector()).run()
    assert again.outcome == "succeeded", (again.error_kind, again.error)
    assert stored(store_engine) == orders and quarantined(store_engine) == []


def _faulty_once(monkeypatch: pytest.MonkeyPatch, engine: Engine, fault: str) -> dict[str, int]:
    """Make the store fail for real during the run's first page write: SQLite's disk full
    (``max_page_count`` at the file's size), or PostgreSQL's connection to the page's
    transaction terminated by the server."""
    calls = {"n": 0}

    def page_with_fault(connection: Connection, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 1:
            return write_page(connection, **kwargs)
        if fault == "disk_full":
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
            connection.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
            try:
                return write_page(connection, **kwargs)
            finally:
                connection.exec_driver_sql("PRAGMA max_page_count = 1073741823")
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with engine.connect() as other:
            # Waits (up to 10 s) until the backend is gone.
            other.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid})
        return write_page(connection, **kwargs)

    monkeypatch.setattr(pull_module, "write_page", page_with_fault)
    return calls


def assert_a_store_fault_keeps_the_cursor(
    monkeypatch: pytest.MonkeyPatch,
    engine: Engine,
    orders: set[str],
    make_connector: ConnectorFactory,
    fault: str,
    words: str,
) -> None:
    calls = _faulty_once(monkeypatch, engine, fault)
    with capture_logs() as logs:
        result = PullRunner(engine, make_connector()).run()
    assert_failed_with_nothing_written(engine, result, "store", logs, "sync.store_failed")
    assert words in (result.error or "")
    # Not written record by record: an operational error is never a record's fault.
    assert calls["n"] == 1 and "sync.page_write_failed" not in events(logs)

    # The store is back: the next run stores every order.
    again = PullRunner(engine, make_connector()).run()
    assert again.outcome == "succeeded", (again.error_kind, again.error)
    assert stored(engine) == orders and quarantined(engine) == []
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ORDERS)).scalar_one() == 30


@pytest.mark.parametrize("store_engine", ["sqlite"], indirect=True)
def test_a_full_disk_fails_the_run_and_keeps_the_cursor(
    monkeypatch: pytest.MonkeyPatch,
    store_engine: Engine,
    orders: set[str],
    make_connector: ConnectorFactory,
) -> None:
    assert_a_store_fault_keeps_the_cursor(
        monkeypatch, store_engine, orders, make_connector, "disk_full", "database or disk is full"
    )


@pytest.mark.postgres
@pytest.mark.parametrize("store_engine", ["postgresql"], indirect=True)
def test_a_lost_connection_fails_the_run_and_keeps_the_cursor(
    monkeypatch: pytest.MonkeyPatch,
    store_engine: Engine,
    orders: set[str],
    make_connector: ConnectorFactory,
) -> None:
    assert_a_store_fault_keeps_the_cursor(
        monkeypatch, store_engine, orders, make_connector, "connection_lost", "terminating"
    )


def test_a_store_fault_while_a_failing_run_saves_its_carried_chunks_ends_the_run_cleanly(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
) -> None:
    """A run the channel stops commits the chunks it carried; when the store fails then,
    the run still ends with the channel's error, and nothing is quarantined."""
    # A quiet shop: the backfill's 7-day chunks carry their few orders on into the next.
    shop.generate(20, start=clock.now() - timedelta(days=26), spread=timedelta(days=25))
    clock.advance(60)
    shop.faults.add(Fault.status(400), path="/orders", skip=4)  # the last chunk's listing
    with store_engine.begin() as connection:
        connection.execute(text("ALTER TABLE orders DROP COLUMN marketplace"))
    with capture_logs() as logs:
        result = PullRunner(store_engine, make_connector()).run()
    assert result.outcome == "failed" and result.error_kind == "rejected"
    assert {"sync.store_failed", "sync.carried_not_saved"} <= set(events(logs))
    assert stored(store_engine) == set() and quarantined(store_engine) == []
    assert cursor(store_engine) is None
    assert last_run(store_engine).error_kind == "rejected"
