"""On PostgreSQL a run writes each page behind it, in a thread of its own, while it reads and
normalises the next; on SQLite it writes in line. Either way the store ends as if every
page had been written in line: pages commit in order, a write that fails fails the run with
its own error, and the next page's look-up for held records never reads past a page that
has not committed yet."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from orderhub.logs import bind_run
from orderhub.sdk.connector import SyncWindow
from orderhub.sdk.errors import TransientError
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.sync import pull as pull_module
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub_connectors.woocommerce import WooCommerceConnector

from .conftest import ConnectorFactory
from .test_held_as_is import stored_rows

PAGE = 10
# How long a write waits for what it expects to happen beside it, before it goes on
# without: only reached when the page is (wrongly) written in line.
PATIENCE = 10.0


def feeding(
    monkeypatch: pytest.MonkeyPatch,
    connector: WooCommerceConnector,
    payloads: list[dict[str, Any]],
    then: Exception | None = None,
) -> None:
    """Make ``connector`` read exactly ``payloads`` (then raise ``then``), a page per
    :data:`PAGE` records."""

    def fetch_orders(window: Any) -> Iterator[dict[str, Any]]:
        yield from copy.deepcopy(payloads)
        if then is not None:
            raise then

    connector.fetch_orders = fetch_orders  # type: ignore[method-assign]
    monkeypatch.setattr(type(connector), "page_size", PAGE)


@pytest.fixture
def payloads(
    clock: FakeClock, shop: SimulatedWooCommerce, make_connector: ConnectorFactory
) -> list[dict[str, Any]]:
    """30 orders as the shop sends them (none stored yet)."""
    shop.generate(30, start=clock.now() - timedelta(days=3), spread=timedelta(days=2))
    clock.advance(60)
    window = SyncWindow(start=clock.now() - timedelta(days=4), end=clock.now())
    return list(make_connector().fetch_orders(window))


def watched_writes(monkeypatch: pytest.MonkeyPatch, before_write: Any = None) -> list[str]:
    """A log of each page write's start and end; ``before_write(n)`` runs at the start of
    the n-th write (from 1), in the thread that writes."""
    log: list[str] = []
    original = pull_module.write_page
    count = 0

    def write_page(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        number = count
        log.append(f"write {number} starts")
        if before_write is not None:
            before_write(number)
        try:
            return original(*args, **kwargs)
        finally:
            log.append(f"write {number} ends")

    monkeypatch.setattr(pull_module, "write_page", write_page)
    return log


def most_connections(engine: Engine) -> list[int]:
    """The most connections ``engine``'s pool has had checked out at once, from now on
    (one item, kept up to date)."""
    lock = threading.Lock()
    now, most = [0], [0]

    def checkout(*args: Any) -> None:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])

    def checkin(*args: Any) -> None:
        with lock:
            now[0] -= 1

    event.listen(engine.pool, "checkout", checkout)
    event.listen(engine.pool, "checkin", checkin)
    return most


def test_the_next_page_is_normalised_while_a_page_is_written_on_postgresql_only(
    store_engine: Engine,
    make_connector: ConnectorFactory,
    payloads: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    behind = store_engine.dialect.name == "postgresql"
    second_page = {str(raw["id"]) for raw in payloads[PAGE : 2 * PAGE]}
    normalising = threading.Event()

    def before_write(number: int) -> None:
        if number == 1 and behind:
            # The first page's transaction waits until the run works on the second page.
            normalising.wait(PATIENCE)

    writes = watched_writes(monkeypatch, before_write)
    connector = make_connector()
    feeding(monkeypatch, connector, payloads)
    original = connector.to_order

    def to_order(raw: dict[str, Any]) -> Any:
        if str(raw["id"]) in second_page and not normalising.is_set():
            writes.append("second page normalised")
            normalising.set()
        return original(raw)

    connector.to_order = to_order  # type: ignore[method-assign]
    connections = most_connections(store_engine)
    result = PullRunner(store_engine, connector).run()

    assert result.outcome == "succeeded"
    assert (result.counts.created, len(stored_rows(store_engine))) == (30, 30)
    if behind:
        # The account's lock and the page in flight: the look-ups read on the lock's.
        assert connections == [2]
    # Behind: the first page commits after the run began on the second; in line, before.
    normalised_at, committed_at = (
        writes.index("second page normalised"),
        writes.index("write 1 ends"),
    )
    assert (normalised_at < committed_at) is behind, writes
    assert writes.count("write 3 ends") == 1


def test_a_page_write_that_fails_while_the_next_is_read_fails_the_run_with_its_error(
    store_engine: Engine,
    make_connector: ConnectorFactory,
    payloads: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second page's write fails (the store went away) while the run reads on and the
    channel then fails too: as written in line, the store's failure is the run's, the first
    page stays committed and nothing after it is written."""

    def before_write(number: int) -> None:
        if number == 2:
            raise OperationalError("INSERT ...", None, Exception("server closed the connection"))

    watched_writes(monkeypatch, before_write)
    connector = make_connector()
    feeding(
        monkeypatch,
        connector,
        payloads[:25],
        then=TransientError("the shop answered 503 three times"),
    )
    result = PullRunner(store_engine, connector).run()

    assert result.outcome == "failed"
    assert result.error is not None and "server closed the connection" in result.error
    assert "503" not in result.error
    assert result.counts.created == PAGE
    assert set(stored_rows(store_engine)) == {str(raw["id"]) for raw in payloads[:PAGE]}


def test_a_record_in_the_page_in_flight_is_not_taken_for_held_in_the_next_page(
    store_engine: Engine,
    make_connector: ConnectorFactory,
    payloads: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An order changed twice while paging, its last version the one stored before (same
    modification time): the first page writes the other version, and the second page's
    look-up must not find the old one still stored while that write is in flight."""
    connector = make_connector()
    feeding(monkeypatch, connector, payloads)
    assert PullRunner(store_engine, connector).run().counts.created == 30
    before = stored_rows(store_engine)

    target = payloads[2 * PAGE + 3]
    other = copy.deepcopy(target)
    other["status"] = "cancelled" if target["status"] != "cancelled" else "completed"
    rerun = [*payloads[:PAGE], other, *payloads[PAGE:]]
    behind = store_engine.dialect.name == "postgresql"
    looked = threading.Event()
    original_lookup = pull_module.held_as_is
    lookups = 0

    def held_as_is(*args: Any) -> Any:
        nonlocal lookups
        found = original_lookup(*args)
        lookups += 1
        if lookups == 3:
            looked.set()
        return found

    def before_write(number: int) -> None:
        if number == 1 and behind:
            # The page with the other version commits only after the next page's look-up.
            looked.wait(PATIENCE)

    monkeypatch.setattr(pull_module, "held_as_is", held_as_is)
    writes = watched_writes(monkeypatch, before_write)
    connector = make_connector()
    feeding(monkeypatch, connector, rerun)
    result = PullRunner(store_engine, connector).run()

    assert result.outcome == "succeeded"
    # The first page held whole (nothing to write); the other version on the second page
    # written; the third page's version, the stored one and the last the channel sent,
    # written again over it.
    assert (result.counts.updated, result.counts.unchanged) == (2, 29)
    assert stored_rows(store_engine) == before
    assert writes.count("write 2 ends") == 1


def test_what_the_caller_bound_to_its_logs_holds_in_the_page_writes_too(
    store_engine: Engine,
    make_connector: ConnectorFactory,
    payloads: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[dict[str, Any]] = []
    watched_writes(monkeypatch, lambda number: seen.append(structlog.contextvars.get_contextvars()))
    connector = make_connector()
    feeding(monkeypatch, connector, payloads)
    with bind_run(job="pull:shop"):
        assert PullRunner(store_engine, connector).run().outcome == "succeeded"
    assert seen and all(fields == {"job": "pull:shop"} for fields in seen), seen
