"""Records the store already holds exactly as they are (same account, id and payload hash)
are found before normalising and cost no ``to_order``: a rerun over a stored window reads
them, counts them unchanged and writes nothing for them, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import OperationalError

from orderhub.sdk.errors import TransientError
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store.ingest import CURSORS, EVENTS, ORDERS, read_cursor
from orderhub.sync import pull as pull_module
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub_connectors.woocommerce import WooCommerceConnector

from .conftest import ConnectorFactory


def counting_to_order(connector: WooCommerceConnector) -> list[str]:
    """The external ids ``connector.to_order`` is called for, in order."""
    seen: list[str] = []
    original = connector.to_order

    def to_order(raw: dict[str, Any]) -> Any:
        seen.append(str(raw["id"]))
        return original(raw)

    connector.to_order = to_order  # type: ignore[method-assign]
    return seen


def counting_lookups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many candidates each look-up for held records is asked about."""
    calls: list[int] = []
    original = pull_module.held_as_is

    def held_as_is(connection: Any, account_id: str, candidates: Any) -> Any:
        calls.append(len(candidates))
        return original(connection, account_id, candidates)

    monkeypatch.setattr(pull_module, "held_as_is", held_as_is)
    return calls


def counting_commits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each batch of records the pull runner commits."""
    sizes: list[int] = []
    original = PullRunner._commit

    def commit(self: PullRunner, batch: list[Any], *args: Any, **kwargs: Any) -> None:
        sizes.append(len(batch))
        original(self, batch, *args, **kwargs)

    monkeypatch.setattr(PullRunner, "_commit", commit)
    return sizes


def synced_shop(
    engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
    orders: int,
    *,
    days: int = 3,
) -> tuple[list[Any], WooCommerceConnector]:
    """A shop with ``orders`` orders of the last ``days`` days, every one pulled into the
    store: their ids and the connector that pulled them."""
    ids = shop.generate(
        orders, start=clock.now() - timedelta(days=days), spread=timedelta(days=days - 1)
    )
    clock.advance(60)
    connector = make_connector()
    assert PullRunner(engine, connector).run().counts.created == orders
    return list(ids), connector


def stored_rows(engine: Engine) -> dict[str, tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(ORDERS.c.external_id, ORDERS.c.status, ORDERS.c.content_hash)
        ).all()
    return {row.external_id: (row.status, row.content_hash) for row in rows}


def test_a_rerun_over_a_stored_window_normalises_only_the_orders_that_changed(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
) -> None:
    ids, connector = synced_shop(store_engine, clock, shop, make_connector, 250, days=5)
    before = stored_rows(store_engine)

    changed = [ids[7], ids[130], ids[249]]
    for order_id in changed:
        shop.set_status(order_id, "cancelled")
    clock.advance(60)
    normalised = counting_to_order(connector)
    result = PullRunner(store_engine, connector).run(since=clock.now() - timedelta(days=6))

    assert result.outcome == "succeeded"
    assert result.fetched == 250
    assert (result.counts.created, result.counts.updated, result.counts.unchanged) == (0, 3, 247)
    assert sorted(normalised) == sorted(str(order_id) for order_id in changed)
    after = stored_rows(store_engine)
    assert {key for key in after if after[key] != before[key]} == {str(i) for i in changed}
    assert all(after[str(order_id)][0] == "cancelled" for order_id in changed)
    with store_engine.connect() as connection:
        kinds = connection.execute(select(EVENTS.c.kind)).scalars().all()
    assert sorted(kinds) == ["created"] * 250 + ["status_changed"] * 3


def test_the_cursor_moves_past_a_page_whose_orders_are_all_held(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A channel that sends records oldest-first moves the cursor to each page's newest
    record (so a run that fails half-way resumes from there): for records held as they
    are, that is their stored time, as the draft's would have been."""
    shop.generate(40, start=clock.now() - timedelta(days=3), spread=timedelta(days=2))
    clock.advance(60)
    first = make_connector()
    received = recording_fetch(first)
    PullRunner(store_engine, first).run()
    with store_engine.begin() as connection:
        # The seller reset the account's cursor (or it was lost with an old store backup).
        connection.execute(delete(CURSORS))

    connector = make_connector()
    payloads = sorted(received, key=lambda raw: raw["date_modified_gmt"])
    monkeypatch.setattr(type(connector), "sorted_by_updated_at", True)
    monkeypatch.setattr(type(connector), "page_size", 10)

    def fetch_orders(window: Any) -> Any:
        # Two pages, then the channel fails: the run stops after committing them.
        yield from payloads[:25]
        raise TransientError("the shop answered 503 three times")

    connector.fetch_orders = fetch_orders  # type: ignore[method-assign]
    newest_committed = connector.to_order(payloads[19]).updated_at
    normalised = counting_to_order(connector)
    result = PullRunner(store_engine, connector).run()

    assert result.outcome == "failed"
    assert (result.counts.unchanged, normalised) == (20, [])
    with store_engine.connect() as connection:
        assert read_cursor(connection, "shop", "orders") == newest_committed


def recording_fetch(connector: WooCommerceConnector) -> list[dict[str, Any]]:
    """Every record ``connector.fetch_orders`` yields, as the pull runner received it."""
    received: list[dict[str, Any]] = []
    original = connector.fetch_orders

    def fetch_orders(window: Any) -> Any:
        for raw in original(window):
            received.append(copy.deepcopy(raw))
            yield raw

    connector.fetch_orders = fetch_orders  # type: ignore[method-assign]
    return received


@pytest.mark.parametrize(
    "label",
    [
        pytest.param(lambda raw: str(int(raw["id"]) + 1), id="the next order's id"),
        pytest.param(lambda raw: "\ud800", id="an id the driver cannot bind"),
        pytest.param(lambda raw: None, id="no id"),
    ],
)
def test_a_record_whose_id_the_connector_cannot_tell_is_normalised_as_any_other(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
    label: Callable[[dict[str, Any]], str | None],
) -> None:
    _, connector = synced_shop(store_engine, clock, shop, make_connector, 30)
    before = stored_rows(store_engine)

    connector.external_id = label  # type: ignore[method-assign]
    normalised = counting_to_order(connector)
    result = PullRunner(store_engine, connector).run(since=clock.now() - timedelta(days=4))
    assert result.outcome == "succeeded"
    assert (result.counts.unchanged, len(normalised)) == (30, 30)
    assert stored_rows(store_engine) == before


def test_a_failed_look_up_only_costs_the_normalising(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids, connector = synced_shop(store_engine, clock, shop, make_connector, 30)
    shop.set_status(ids[0], "cancelled")
    clock.advance(60)

    def refused(*args: Any) -> Any:
        raise OperationalError("SELECT ...", None, Exception("database is locked"))

    monkeypatch.setattr(pull_module, "held_as_is", refused)
    normalised = counting_to_order(connector)
    result = PullRunner(store_engine, connector).run(since=clock.now() - timedelta(days=4))
    assert result.outcome == "succeeded"
    assert (result.counts.updated, result.counts.unchanged, len(normalised)) == (1, 29, 30)
    assert stored_rows(store_engine)[str(ids[0])][0] == "cancelled"


def test_a_backfill_of_new_orders_looks_for_held_ones_on_few_pages(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    make_connector: ConnectorFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop.generate(400, start=clock.now() - timedelta(days=5), spread=timedelta(days=4))
    clock.advance(60)
    connector = make_connector()
    monkeypatch.setattr(type(connector), "page_size", 10)
    commits = counting_commits(monkeypatch)
    lookups = counting_lookups(monkeypatch)
    result = PullRunner(store_engine, connector).run()
    assert result.counts.created == 400 and len(commits) >= 40
    # The first two pages, then every 16th: 0, 1, 16, 32 (of 40 pages and a few partial).
    assert lookups == [10, 10, 10, 10]

    # A rerun finds every page held and keeps looking on each.
    commits.clear()
    lookups.clear()
    rerun = PullRunner(store_engine, connector).run(since=clock.now() - timedelta(days=6))
    assert rerun.counts.unchanged == 400
    assert len(lookups) == len(commits) and sum(lookups) == 400
