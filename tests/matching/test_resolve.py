"""Resolution on the real store, exactly as the sync engine runs it: ``ingest_page`` then
SKU matching in one transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, event, func, select

from orderhub.matching import (
    CatalogRecord,
    MatchingConfig,
    resolve_all,
    resolve_external_orders,
    resolve_order_ids,
)
from orderhub.matching.resolve import LINE_COMPONENTS, RESOLUTIONS
from orderhub.sdk import OrderStatus
from orderhub.store.ingest import ORDERS

from .conftest import (
    T0,
    awaiting,
    catalog,
    line,
    mapping,
    order,
    order_id,
    resolutions,
    sync_page,
)


def test_each_resolution_step_is_recorded_on_the_line(store_engine: Engine) -> None:
    catalog(
        store_engine,
        "BLUE-TEE-M",
        "MUG",
        CatalogRecord("CAP", identifiers=(("woo_product", "140", "shop"),)),
        CatalogRecord(
            "COASTER", gtin="05012345678900", identifiers=(("gtin", "05012345678900", ""),)
        ),
    )
    mapping(store_engine, "PACK3-BLUE", ("BLUE-TEE-M", 3))
    counts = sync_page(
        store_engine,
        [
            order(
                "1001",
                line("a", "PACK3-BLUE", 2),
                line("b", "MUG"),
                line("c", "blue_tee m"),
                line("d", None, product_id="140"),
                line("e", "OLD-CODE", ean="5012345678900"),
                line("f", "blu tee m"),
            )
        ],
    )
    stored = resolutions(store_engine, "1001")
    assert {key: value.method for key, value in stored.items()} == {
        "a": "mapping",
        "b": "exact",
        "c": "normalised",
        "d": "identifier",
        "e": "identifier",
        "f": "unresolved",
    }
    # Components carry the line quantity times the component quantity.
    assert stored["a"].components == (("BLUE-TEE-M", 6, None),)
    assert stored["c"].components == (("BLUE-TEE-M", 1, None),)
    assert stored["d"].components == (("CAP", 1, None),)
    assert stored["d"].matched == "woo_product 140"
    assert stored["e"].components == (("COASTER", 1, None),)
    assert stored["f"].components == ()
    assert "no catalog SKU matches 'blu tee m'" in (stored["f"].matched or "")
    assert (counts.lines, counts.resolved, counts.unresolved, counts.awaiting) == (6, 5, 1, 1)
    assert awaiting(store_engine, "1001")


def test_an_unresolved_line_never_blocks_the_page(store_engine: Engine) -> None:
    catalog(store_engine, "MUG")
    sync_page(
        store_engine,
        [order("1", line("a", "MUG")), order("2", line("a", "???")), order("3", line("a", "MUG"))],
    )
    with store_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ORDERS)).scalar_one() == 3
    assert [awaiting(store_engine, ref) for ref in ("1", "2", "3")] == [False, True, False]


def test_strip_rules_from_the_configuration(store_engine: Engine) -> None:
    catalog(store_engine, "BLUE-TEE-M")
    config = MatchingConfig(strip_prefixes=("AMZ-",), strip_suffixes=("-FBA",))
    sync_page(store_engine, [order("1", line("a", "AMZ-BLUE-TEE-M-FBA"))], config=config)
    assert resolutions(store_engine, "1")["a"].method == "normalised"
    sync_page(store_engine, [order("2", line("a", "AMZ-BLUE-TEE-M-FBA"))])
    assert resolutions(store_engine, "2")["a"].method == "unresolved"


def test_an_unchanged_order_costs_no_write(store_engine: Engine) -> None:
    catalog(store_engine, "MUG")
    sync_page(store_engine, [order("1", line("a", "MUG"), line("b", "nope"))])
    before = resolutions(store_engine, "1")
    later = T0 + timedelta(hours=1)
    counts = sync_page(store_engine, [order("1", line("a", "MUG"), line("b", "nope"))], now=later)
    assert counts.written == 0
    assert resolutions(store_engine, "1") == before


def test_new_orders_are_inserted_with_their_flag_and_never_updated_for_it(
    sqlite_engine: Engine,
) -> None:
    # Setting the flag after the insert rewrote every waiting order's row (its payload
    # included) a second time in the same transaction.
    catalog(sqlite_engine, "MUG")
    seen: list[str] = []
    traced: list[Any] = []

    def trace(connection: Any, *_: Any) -> None:
        traced.append(connection.connection.dbapi_connection)
        traced[-1].set_trace_callback(seen.append)

    event.listen(sqlite_engine, "begin", trace)
    try:
        counts = sync_page(
            sqlite_engine,
            [
                order("1", line("a", "MUG")),
                order("2", line("a", "MUG"), line("b", "nope")),
                order("3", line("a")),
                order("4"),
            ],
        )
    finally:
        event.remove(sqlite_engine, "begin", trace)
        for dbapi_connection in traced:
            dbapi_connection.set_trace_callback(None)
    assert (counts.awaiting, counts.released) == (2, 0)
    assert [awaiting(sqlite_engine, number) for number in "1234"] == [False, True, True, False]
    assert seen, "the statements were not traced"
    assert not [sql for sql in seen if sql.startswith("UPDATE orders")]


def test_a_changed_order_is_resolved_again_and_dropped_lines_forgotten(
    store_engine: Engine,
) -> None:
    catalog(store_engine, "MUG", "CAP")
    sync_page(store_engine, [order("1", line("a", "MUG", 1), line("b", "nope"))])
    assert awaiting(store_engine, "1")
    # The channel changes the order: quantity up, the unknown line removed, a line added.
    sync_page(
        store_engine,
        [order("1", line("a", "MUG", 4), line("c", "CAP"), minutes=5)],
        now=T0 + timedelta(minutes=5),
    )
    stored = resolutions(store_engine, "1")
    assert set(stored) == {"a", "c"}
    assert stored["a"].components == (("MUG", 4, None),)
    assert not awaiting(store_engine, "1")


def test_shipped_orders_keep_their_resolution_through_a_mapping_change_and_a_rewrite(
    store_engine: Engine,
) -> None:
    catalog(store_engine, "BLUE-TEE-M", "RED-TEE-M")
    mapping(store_engine, "TEE", ("BLUE-TEE-M", 1))
    sync_page(
        store_engine,
        [
            order("open", line("a", "TEE", 2)),
            order("sent", line("a", "TEE", 2), status=OrderStatus.SHIPPED),
        ],
    )
    result = mapping(store_engine, "TEE", ("RED-TEE-M", 1), now=T0 + timedelta(hours=1))
    assert result.resolved.kept == 1
    assert resolutions(store_engine, "open")["a"].components == (("RED-TEE-M", 2, None),)
    shipped = resolutions(store_engine, "sent")["a"]
    assert shipped.components == (("BLUE-TEE-M", 2, None),)
    assert shipped.resolved_at == T0
    # The channel then refunds the shipped order: the store replaces its lines, and the
    # resolution (keyed on the channel's line id) still stays as it was.
    sync_page(
        store_engine,
        [order("sent", line("a", "TEE", 2), status=OrderStatus.REFUNDED, minutes=90)],
        now=T0 + timedelta(hours=2),
    )
    assert resolutions(store_engine, "sent")["a"] == shipped


def test_unresolved_lines_of_shipped_orders_can_still_be_resolved(store_engine: Engine) -> None:
    catalog(store_engine, "MUG")
    sync_page(store_engine, [order("old", line("a", "MUG-OLD"), status=OrderStatus.SHIPPED)])
    assert awaiting(store_engine, "old")
    result = mapping(store_engine, "MUG-OLD", ("MUG", 1))
    assert result.resolved.released == 1
    assert resolutions(store_engine, "old")["a"].method == "mapping"
    assert not awaiting(store_engine, "old")


def test_resolution_rows_go_with_their_order(store_engine: Engine) -> None:
    catalog(store_engine, "MUG")
    sync_page(store_engine, [order("1", line("a", "MUG"))])
    stored_id = order_id(store_engine, "1")
    with store_engine.begin() as connection:
        connection.execute(ORDERS.delete().where(ORDERS.c.id == stored_id))
    with store_engine.connect() as connection:
        for table in (RESOLUTIONS, LINE_COMPONENTS):
            assert connection.execute(select(func.count()).select_from(table)).scalar_one() == 0


def test_resolve_by_channel_ids_and_resolve_all(store_engine: Engine) -> None:
    sync_page(store_engine, [order("1", line("a", "MUG")), order("2", line("a", "CAP"))])
    assert awaiting(store_engine, "1") and awaiting(store_engine, "2")
    with store_engine.begin() as connection:
        connection.execute(ORDERS.update().values(awaiting_mapping=False))
    catalog(store_engine, "MUG", "CAP")  # nothing was flagged: the catalog change resolves none
    assert resolutions(store_engine, "1")["a"].method == "unresolved"
    with store_engine.begin() as connection:
        counts = resolve_external_orders(
            connection, account_id="shop", channel="woocommerce", external_ids=["1"], now=T0
        )
        assert counts.orders == 1
        assert resolutions_method(connection, "2") == "unresolved"
        everything = resolve_all(connection, now=T0)
    assert everything.orders == 2
    assert resolutions(store_engine, "2")["a"].method == "exact"


def resolutions_method(connection: Connection, external_id: str) -> str:
    return str(
        connection.execute(
            select(RESOLUTIONS.c.method)
            .join(ORDERS, ORDERS.c.id == RESOLUTIONS.c.order_id)
            .where(ORDERS.c.external_id == external_id)
        ).scalar_one()
    )


def test_another_account_is_not_touched(store_engine: Engine) -> None:
    catalog(store_engine, "MUG")
    sync_page(store_engine, [order("1", line("a", "MUG"))], account="other")
    with store_engine.begin() as connection:
        counts = resolve_external_orders(
            connection, account_id="shop", channel="woocommerce", external_ids=["1"], now=T0
        )
    assert counts.orders == 0


def test_the_worker_index_follows_changes_made_elsewhere(store_engine: Engine) -> None:
    # The first page builds and caches the index; a catalog change (another process, the
    # CLI) must be seen by the next page without restarting anything.
    sync_page(store_engine, [order("1", line("a", "NEW-SKU"))])
    with store_engine.begin() as connection:
        connection.execute(ORDERS.update().values(awaiting_mapping=False))
    catalog(store_engine, "NEW-SKU")
    sync_page(store_engine, [order("2", line("a", "NEW-SKU"))])
    assert resolutions(store_engine, "2")["a"].method == "exact"


_SKUS = ("MUG", "mug", "BLUE-TEE-M", "blue tee m", "GIFT", "UNKNOWN", None)
_STATUSES = (OrderStatus.UNSHIPPED, OrderStatus.SHIPPED, OrderStatus.PENDING)
_page_orders = st.lists(
    st.tuples(
        st.integers(0, 5),  # order number: pages meet the same orders again
        st.sampled_from(_STATUSES),
        st.lists(st.tuples(st.sampled_from(_SKUS), st.integers(1, 3)), min_size=1, max_size=3),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pages=st.lists(_page_orders, min_size=1, max_size=4), catalog_grows=st.booleans())
def test_the_sync_paths_resolution_is_what_resolving_from_the_store_gives(
    store_engine: Engine, pages: list[Any], catalog_grows: bool
) -> None:
    # The sync engine resolves from the page writer's drafts (resolve_written) instead of
    # reading the page back: resolving every order again from the store must change
    # nothing, for new, changed, unchanged and frozen orders and changes between pages.
    account = f"shop-{uuid.uuid4().hex[:8]}"
    catalog(store_engine, "MUG", "BLUE-TEE-M", "CAP")
    mapping(store_engine, "GIFT", ("MUG", 2), ("CAP", 1), account=account)
    for number, page in enumerate(pages):
        if catalog_grows and number == 1:
            catalog(store_engine, "MUG", "BLUE-TEE-M", "CAP", "UNKNOWN")
        drafts = {}
        for external, status, lines in page:
            drafts[str(external)] = order(
                str(external),
                *(line(f"l{i}", sku, quantity) for i, (sku, quantity) in enumerate(lines)),
                status=status,
                minutes=number,
            )
        sync_page(store_engine, list(drafts.values()), account=account, now=T0 + timedelta(number))
    with store_engine.begin() as connection:
        ids = connection.execute(select(ORDERS.c.id).where(ORDERS.c.account_id == account))
        again = resolve_order_ids(connection, list(ids.scalars()), now=T0 + timedelta(days=9))
    assert (again.written, again.released) == (0, 0)
    with store_engine.connect() as connection:
        awaiting_now = connection.execute(
            select(func.count())
            .select_from(ORDERS)
            .where(ORDERS.c.account_id == account, ORDERS.c.awaiting_mapping)
        ).scalar_one()
    assert awaiting_now == again.awaiting
