"""Every query the worker repeats can be answered from an index, on SQLite and PostgreSQL.

The statements are not a hand-written list: they are recorded while the real pull, push,
verification and status code runs against a simulated shop, then each one is explained by
the database itself. A full scan of a table that grows with history (orders, runs, pushes,
events, ...) makes the worker's cost creep up month after month, so it fails the test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine, event

from orderhub.sdk import ConnectorContext, OrderDraft, OrderStatus
from orderhub.shipping.push import PushRunner, verify_pushes
from orderhub.shipping.record import record_shipments
from orderhub.shipping.requests import ShipmentRequest
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store import queries, statements
from orderhub.store.ingest import IncomingOrder, canonical_json, ingest_page
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings

#: Tables whose size is set by configuration, not by time: one row per account or per
#: stream, or the seller's catalog and SKU mappings (read whole into the matching index
#: when they change). Scanning them costs the same in year two as on day one.
BOUNDED = {
    "account_state",
    "sync_cursors",
    "matching_revision",
    "alembic_version",
    "catalog_items",
    "catalog_identifiers",
    "sku_mappings",
    "sku_mapping_components",
}
UPS = "1Z999AA10123456784"
_EXPLAINED = re.compile(r"^\s*(SELECT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


@pytest.fixture
def recorded(store_engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def remember(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if not many and _EXPLAINED.match(statement):
            statements.append((statement, parameters))

    event.listen(store_engine, "before_cursor_execute", remember)
    yield statements
    event.remove(store_engine, "before_cursor_execute", remember)


def _work(engine: Engine, statements: list[tuple[str, Any]]) -> None:
    """A day in the worker's life: pulls (new, changed, unchanged), a shipment, its push,
    verification, and the status an operator reads."""
    clock = FakeClock()
    shop = SimulatedWooCommerce(clock, seed=5)
    connector = WooCommerceConnector(
        ConnectorContext(
            account_id="shop",
            settings=WooCommerceSettings(
                base_url="http://127.0.0.1/", consumer_key="ck_test", consumer_secret="cs_test"
            ),
            clock=clock,
            log=structlog.get_logger(),
            transport=shop.transport(),
        )
    )
    try:
        created = clock.now() - timedelta(hours=3)
        orders = [shop.add_order(created=created, lines=[("BLUE-TEE-M", 2)]) for _ in range(5)]
        clock.advance(180)
        assert PullRunner(engine, connector).run().outcome == "succeeded"
        shop.set_status(orders[1]["id"], "cancelled")
        clock.advance(180)
        assert PullRunner(engine, connector).run().outcome == "succeeded"
        with engine.begin() as connection:
            record_shipments(
                connection,
                [ShipmentRequest(order=str(orders[0]["id"]), carrier="UPS", tracking=UPS)],
                source="test",
                now=clock.now(),
            )
        assert PushRunner(engine, connector).run().outcomes == {"confirmed": 1}
        clock.advance(180)
        assert PullRunner(engine, connector).run().outcome == "succeeded"
        with engine.begin() as connection:
            verify_pushes(
                connection, account_id="shop", now=clock.now(), verify_after=timedelta(hours=1)
            )
        with engine.connect() as connection:
            for account in queries.known_accounts(connection):
                queries.account_status(connection, account)
    finally:
        connector.close()
    assert statements, "no statement was recorded"


def _sqlite_scans(engine: Engine, statement: str, parameters: Any) -> set[str]:
    raw = engine.raw_connection()
    try:
        rows = raw.cursor().execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
    finally:
        raw.close()
    scans = set()
    for row in rows:
        detail = str(row[-1])
        match = re.match(r"SCAN (\w+)", detail)
        if match and "USING" not in detail:
            scans.add(match.group(1))
    return scans


def _postgres_scans(engine: Engine, statement: str, parameters: Any) -> set[str]:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # Tiny test tables always favour a sequential scan; forbidding it shows whether an
        # index *can* answer the query, which is what keeps the cost flat as tables grow.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0]
        cursor.execute("RESET enable_seqscan")
    finally:
        raw.rollback()
        raw.close()
    scans: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if node.get("Node Type") == "Seq Scan":
            scans.add(str(node.get("Relation Name")))
        for child in node.get("Plans", []):
            walk(child)

    document = plan if isinstance(plan, list) else json.loads(plan)
    walk(document[0]["Plan"])
    return scans


def test_the_worker_never_scans_a_table_that_grows_with_history(
    store_engine: Engine, recorded: list[tuple[str, Any]]
) -> None:
    _work(store_engine, recorded)
    explain = _postgres_scans if store_engine.dialect.name == "postgresql" else _sqlite_scans
    offenders: dict[str, set[str]] = {}
    for statement, parameters in recorded:
        scans = explain(store_engine, statement, parameters) - BOUNDED
        if scans:
            offenders.setdefault(" ".join(statement.split()), set()).update(scans)
    assert not offenders, "\n\n".join(f"{sorted(t)}: {s}" for s, t in offenders.items())


@pytest.mark.parametrize("store_engine", ["postgresql"], indirect=True)
def test_a_page_finds_its_orders_by_the_unique_index_before_any_analyze(
    store_engine: Engine,
) -> None:
    # A backfill into a new store runs before autovacuum has analysed ``orders``: the
    # planner then took ``external_id = ANY(..)`` through the account's index and filtered
    # every order of the account, a cost that grew with each page.
    at = datetime(2026, 3, 1, tzinfo=UTC)
    drafts = [
        OrderDraft(
            external_id=str(number),
            status=OrderStatus.UNSHIPPED,
            channel_status="processing",
            placed_at=at,
            updated_at=at,
            currency="EUR",
            total=Decimal("1.00"),
            lines=(),
        )
        for number in range(3000)
    ]
    with store_engine.begin() as connection:
        for start in range(0, len(drafts), 500):
            items = []
            for draft in drafts[start : start + 500]:
                text_, digest = canonical_json({"id": draft.external_id})
                items.append(IncomingOrder(draft=draft, raw=text_, content_hash=digest))
            ingest_page(connection, account_id="shop", channel="woocommerce", orders=items, now=at)
    page = [str(number) for number in range(1000, 1100)]
    with store_engine.connect() as connection:
        sql = statements.for_connection(connection)
        for query, parameters in (sql.page_orders("shop", page), sql.order_ids("shop", page)):
            plan = connection.exec_driver_sql(
                f"EXPLAIN (FORMAT JSON) {query}", tuple(parameters)
            ).scalar_one()
            indexes = set(re.findall(r'"Index Name": "([a-z_]+)"', json.dumps(plan)))
            assert indexes == {"uq_orders_account_external"}, query
            assert len(connection.exec_driver_sql(query, tuple(parameters)).all()) == 100
