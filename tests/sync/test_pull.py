"""The pull runner against the simulated WooCommerce and the real store (SQLite and
PostgreSQL): the promises of the sync engine, checked end to end."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select

from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store.ingest import EVENTS, ORDERS, QUARANTINE, read_cursor
from orderhub.store.runs import ACCOUNT_STATE, RUNS
from orderhub.sync import pull as pull_module
from orderhub.sync.page import write_page
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub.testing.db import POSTGRES_SKIP_REASON, postgres_url, temporary_store
from orderhub.testing.sim import Fault

from .conftest import ConnectorFactory


def stored(engine: Engine, account: str = "shop") -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(ORDERS.c.external_id, ORDERS.c.status).where(ORDERS.c.account_id == account)
        ).all()
    return {row.external_id: row.status for row in rows}


def order_rows(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(ORDERS)).scalar_one())


def cursor(engine: Engine, account: str = "shop") -> Any:
    with engine.connect() as connection:
        return read_cursor(connection, account, "orders")


def test_first_run_stores_every_order_and_a_second_run_writes_nothing(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
) -> None:
    ids = shop.generate(340, start=clock.now() - timedelta(days=12), spread=timedelta(days=10))
    clock.advance(60)  # orders modified "now" are left to the next run (strict filter)
    connector = make_connector()

    first = PullRunner(store_engine, connector).run()
    assert first.outcome == "succeeded"
    assert set(stored(store_engine)) == {str(i) for i in ids}
    assert first.counts.created == 340 and first.fetched == 340

    clock.advance(300)
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
    assert runs[0].created == 340 and runs[0].pages >= 4 and runs[0].requests >= 4


def test_an_upstream_cancellation_updates_the_order_and_adds_an_event(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
) -> None:
    order = shop.add_order(status="processing", created=clock.now() - timedelta(hours=3))
    connector = make_connector()
    PullRunner(store_engine, connector).run()
    assert stored(store_engine) == {str(order["id"]): "unshipped"}

    clock.advance(60)
    shop.set_status(order["id"], "cancelled")
    clock.advance(60)
    result = PullRunner(store_engine, connector).run()

    assert result.counts.updated == 1
    assert stored(store_engine) == {str(order["id"]): "cancelled"}
    with store_engine.connect() as connection:
        events = connection.execute(select(EVENTS).order_by(EVENTS.c.id)).all()
    assert [(e.kind, e.from_status, e.to_status, e.channel_status) for e in events] == [
        ("created", None, "unshipped", "processing"),
        ("status_changed", "unshipped", "cancelled", "cancelled"),
    ]


def test_a_malformed_order_is_quarantined_and_the_others_are_stored(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
) -> None:
    good = shop.generate(30, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    clock.advance(60)  # orders modified "now" are left to the next run (strict filter)
    bad = shop.add_malformed_order("bad_quantity", created=clock.now() - timedelta(hours=5))
    clock.advance(60)
    result = PullRunner(store_engine, make_connector()).run()

    assert result.outcome == "succeeded"
    assert set(stored(store_engine)) == {str(i) for i in good}
    with store_engine.connect() as connection:
        record = connection.execute(select(QUARANTINE)).one()
    assert record.external_id == str(bad["id"])
    assert "quantity" in record.reason and "line_items[0]" in record.reason
    assert '"quantity":"two"' in record.raw, "the raw payload is kept whole"
    assert result.counts.quarantined == 1


def test_a_quiet_shops_backfill_commits_its_chunks_in_one_page(
    monkeypatch: pytest.MonkeyPatch,
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
) -> None:
    # 20 orders over 25 days: the 30-day backfill reads five 7-day chunks of a few orders
    # each. Committing each chunk cost a transaction (and on PostgreSQL a server round trip
    # of a dozen statements) per chunk, which made a worker's first wave of many small
    # shops late.
    ids = shop.generate(20, start=clock.now() - timedelta(days=26), spread=timedelta(days=25))
    clock.advance(60)
    pages: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        written = write_page(*args, **kwargs)
        pages.append(len(kwargs["orders"]))
        return written

    monkeypatch.setattr(pull_module, "write_page", counted)
    result = PullRunner(store_engine, make_connector()).run()
    assert result.outcome == "succeeded" and result.window_number == 5
    assert set(stored(store_engine)) == {str(i) for i in ids}
    # One page transaction for the five chunks, with the cursor at the window's end.
    assert pages == [20]
    assert cursor(store_engine) == result.window.end


def test_a_crash_after_page_two_keeps_the_cursor_behind_uncommitted_data_and_a_rerun_converges(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
) -> None:
    # 20 days of orders: the 30-day backfill reads them in 7-day chunks.
    ids = shop.generate(900, start=clock.now() - timedelta(days=20), spread=timedelta(days=19))
    clock.advance(60)  # orders modified "now" are left to the next run (strict filter)
    pages = {"n": 0}
    inner = shop.transport()

    class Crash(BaseException):
        """Stands in for the process dying: nothing in the runner may catch it."""

    def crashing(request: httpx.Request) -> httpx.Response:
        pages["n"] += 1
        if pages["n"] == 5:  # after two pages of the second non-empty chunk, roughly
            raise Crash
        return inner.handle_request(request)

    connector = make_connector(transport=httpx.MockTransport(crashing))
    with pytest.raises(Crash):
        PullRunner(store_engine, connector).run()

    committed = stored(store_engine)
    assert 0 < len(committed) < 900
    position = cursor(store_engine)
    # The cursor only covers committed data: every order modified before it is stored.
    # (The first chunk did not fill a page, so its orders went on into the second chunk's
    # first page and the cursor may not have moved at all: then the rerun reads it all.)
    if position is not None:
        for order_id in ids:
            order = shop.order(order_id)
            if order["date_modified_gmt"] < position.strftime("%Y-%m-%dT%H:%M:%S"):
                assert str(order_id) in committed

    rerun = PullRunner(store_engine, make_connector()).run()
    assert rerun.outcome == "succeeded"
    assert set(stored(store_engine)) == {str(i) for i in ids}
    assert order_rows(store_engine) == 900, "no duplicates after the rerun"


def test_an_interrupted_run_never_moves_the_cursor_past_what_it_committed(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
) -> None:
    shop.generate(250, start=clock.now() - timedelta(days=3), spread=timedelta(days=2))
    clock.advance(60)  # orders modified "now" are left to the next run (strict filter)
    shop.faults.add(Fault.status(400), path="/orders", skip=2)
    # One window chunk of three days: pages 1 and 2 succeed, page 3 is refused.
    since = clock.now() - timedelta(days=4)
    result = PullRunner(store_engine, make_connector()).run(since=since)
    assert result.outcome == "failed" and result.error_kind == "rejected"
    assert len(stored(store_engine)) == 200, "the two pages read before the failure are kept"
    # WooCommerce pages are not in modified order, so the cursor may only move once the
    # whole chunk is read: it must not have moved at all.
    assert cursor(store_engine) is None


def test_one_failing_account_does_not_stop_another(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
) -> None:
    shop.generate(20, start=clock.now() - timedelta(days=1), spread=timedelta(hours=12))
    clock.advance(60)  # orders modified "now" are left to the next run (strict filter)
    broken = PullRunner(store_engine, make_connector("broken", secret="cs_wrong")).run()
    healthy = PullRunner(store_engine, make_connector("healthy")).run()

    assert broken.outcome == "failed" and broken.error_kind == "auth"
    assert "Renew" in (broken.fix or "") or "credential" in (broken.fix or "").lower()
    assert healthy.outcome == "succeeded" and len(stored(store_engine, "healthy")) == 20
    with store_engine.connect() as connection:
        state = connection.execute(select(ACCOUNT_STATE)).all()
    assert [(s.account_id, s.needs_attention) for s in state] == [("broken", True)]

    # Fixed credentials: the next successful run clears the flag.
    again = PullRunner(store_engine, make_connector("broken")).run()
    assert again.outcome == "succeeded"
    with store_engine.connect() as connection:
        assert connection.execute(select(ACCOUNT_STATE.c.needs_attention)).scalar_one() is False


def test_transient_failures_are_retried_and_counted_in_the_run(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
) -> None:
    shop.generate(150, start=clock.now() - timedelta(days=1), spread=timedelta(hours=20))
    clock.advance(60)  # orders modified "now" are left to the next run (strict filter)
    shop.faults.add(Fault.status(503), path="/orders", times=2)
    shop.faults.add(Fault.status(429, retry_after=7), path="/orders", times=1)
    result = PullRunner(store_engine, make_connector()).run()
    assert result.outcome == "succeeded" and result.counts.created == 150
    with store_engine.connect() as connection:
        run = connection.execute(select(RUNS)).one()
    assert run.retries == 3 and run.throttled == 1
    assert clock.slept >= 7


@pytest.mark.postgres
def test_two_stores_in_one_postgresql_database_never_block_each_others_accounts(
    tmp_path: Path, make_connector: ConnectorFactory
) -> None:
    """The per-account pull lock is scoped to the store: an account being pulled into one
    store (schema) does not make the same account id in another store skip its run."""
    if postgres_url() is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    with (
        temporary_store("postgresql", tmp_path / "a") as first,
        temporary_store("postgresql", tmp_path / "b") as second,
    ):
        holder = PullRunner(first, make_connector())
        with holder._account_lock() as held:
            assert held
            # The same store still refuses a second pull of the account ...
            assert PullRunner(first, make_connector()).run().outcome == "skipped"
            # ... while another store's pull of an account with the same id goes ahead.
            assert PullRunner(second, make_connector()).run().outcome == "succeeded"
