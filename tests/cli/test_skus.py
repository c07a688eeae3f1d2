"""``orderhub skus ...``: the awaiting-mapping queue with suggestions, mapping (and the
refusals), CSV imports, explain and history; on SQLite and PostgreSQL, plus the whole
loop against a simulated shop over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from typer.testing import Result

from orderhub.matching import resolve_orders
from orderhub.sdk import LineDraft, OrderDraft, OrderStatus
from orderhub.store.ingest import ORDERS, IncomingOrder, canonical_json, ingest_page

from .conftest import Cli, Shop, assert_clean_failure, assert_ok, table_rows

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CATALOG_CSV = (
    "sku,title\n"
    "BLUE-TEE-S,Blue T-Shirt - S\n"
    "BLUE-TEE-M,Blue T-Shirt - M\n"
    "BLUE-TEE-L,Blue T-Shirt - L\n"
    "MUG,White Mug\n"
    "COASTER,Cork Coaster\n"
)


def cli_url(engine: Engine) -> str:
    """A URL the CLI can open for the test's store (its own schema on PostgreSQL)."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def add_orders(
    engine: Engine, *orders: tuple[str, OrderStatus, list[tuple[str, str | None, int]]]
) -> None:
    """Store orders the way the sync engine does: ingest, then resolve, one transaction."""
    drafts = [
        OrderDraft(
            external_id=ref,
            display_id=f"#{ref}",
            status=status,
            channel_status=status.value,
            placed_at=T0,
            updated_at=T0,
            currency="EUR",
            total=Decimal("10.00"),
            lines=tuple(
                LineDraft(
                    external_id=line_id,
                    quantity=qty,
                    sku=sku,
                    title=f"{sku or 'card'} (channel)",
                    # A line without a SKU still has the shop's product id.
                    identifiers={} if sku else {"product_id": "190"},
                )
                for line_id, sku, qty in lines
            ),
        )
        for ref, status, lines in orders
    ]
    with engine.begin() as connection:
        items = []
        for draft in drafts:
            raw, digest = canonical_json({"id": draft.external_id, "lines": repr(draft.lines)})
            items.append(IncomingOrder(draft=draft, raw=raw, content_hash=digest))
        ingest_page(connection, account_id="shop", channel="woocommerce", orders=items, now=T0)
        ids = connection.execute(select(ORDERS.c.id)).scalars().all()
        resolve_orders(
            connection, account_id="shop", channel="woocommerce", order_ids=list(ids), now=T0
        )


@pytest.fixture
def store(orderhub: Cli, store_engine: Engine, tmp_path: Path) -> Cli:
    """``orderhub --database-url <the test store>`` with a small catalog imported."""
    url = cli_url(store_engine)
    orderhub.env["ORDERHUB_DATABASE_URL"] = url
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG_CSV, encoding="utf-8")
    assert_ok(orderhub("catalog", "import", str(path)))
    return orderhub


def test_unmapped_map_explain_on_the_store(store: Cli, store_engine: Engine) -> None:
    add_orders(
        store_engine,
        ("1001", OrderStatus.UNSHIPPED, [("1", "blu tee m", 2), ("2", "MUG", 1)]),
        ("1002", OrderStatus.UNSHIPPED, [("1", "blu tee m", 1)]),
        ("1003", OrderStatus.UNSHIPPED, [("1", "GIFTSET", 1)]),
    )
    output = assert_ok(store("skus", "unmapped"))
    rows = {row[2]: row for row in table_rows(store("skus", "unmapped").output)}
    assert rows["blu tee m"][4:8] == ["2", "3", "2 (2)", "#1002, #1001"]
    assert rows["blu tee m"][8].startswith("BLUE-TEE-M (")
    assert "orderhub skus map 'blu tee m' BLUE-TEE-M --account shop" in output

    mapped = assert_ok(store("skus", "map", "blu tee m", "BLUE-TEE-M", "--account", "shop"))
    assert "Mapped blu tee m (account shop) to 1 x BLUE-TEE-M." in mapped
    assert "Resolved again: 3 lines of 2 orders; 2 released." in mapped
    rows = {row[2]: row for row in table_rows(store("skus", "unmapped").output)}
    assert set(rows) == {"GIFTSET"}

    bundle = assert_ok(
        store("skus", "map", "GIFTSET", "--component", "MUG=1", "--component", "COASTER=2")
    )
    assert "Mapped GIFTSET (global) to 1 x MUG + 2 x COASTER." in bundle
    assert "Nothing awaits a mapping" in assert_ok(store("skus", "unmapped"))

    explained = store("skus", "explain", "1001")
    assert_ok(explained)
    lines = {row[0]: row for row in table_rows(explained.output)}
    assert lines["1"][4] == "mapping"
    assert "(account shop) of blu tee m" in lines["1"][5]
    assert lines["1"][6] == "2 x BLUE-TEE-M"
    assert lines["2"][4:7] == ["exact", "the catalog SKU MUG", "1 x MUG"]
    only_second = table_rows(assert_ok_result(store("skus", "explain", "#1001", "2")))
    assert [row[0] for row in only_second] == ["2"]

    history = table_rows(assert_ok_result(store("skus", "history")))
    assert [(row[1], row[3], row[6]) for row in history] == [
        ("created", "GIFTSET", "cli"),
        ("created", "blu tee m", "cli"),
    ]


def test_map_dry_run_lists_the_orders_it_would_release_and_saves_nothing(
    store: Cli, store_engine: Engine
) -> None:
    add_orders(
        store_engine,
        ("1001", OrderStatus.UNSHIPPED, [("1", "blu tee m", 2)]),
        ("1002", OrderStatus.UNSHIPPED, [("1", "blu tee m", 1), ("2", "GIFTSET", 1)]),
    )
    args = ("skus", "map", "blu tee m", "BLUE-TEE-M", "--account", "shop")
    preview = assert_ok(store(*args, "--dry-run"))
    assert "Dry run: nothing was saved." in preview
    assert "Would release: #1001 (shop)." in preview  # #1002 still waits for GIFTSET
    assert table_rows(assert_ok_result(store("skus", "history"))) == []
    assert {row[2] for row in table_rows(store("skus", "unmapped").output) if row[2]} == {
        "blu tee m",
        "GIFTSET",
    }
    applied = assert_ok(store(*args))
    assert "Released: #1001 (shop)." in applied
    assert {row[2] for row in table_rows(store("skus", "unmapped").output) if row[2]} == {"GIFTSET"}


def assert_ok_result(result: Result) -> str:
    """The output of a command that succeeded, unflattened (tables keep their rows)."""
    assert_ok(result)
    return result.output


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["X", "BLUE-TE"], ["'BLUE-TE' is not in the catalog", "Did you mean", "Fix:"]),
        (["X", "MUG", "--qty", "0"], ["quantity 0 for MUG", "Fix: Use 1 or more"]),
        (["X", "MUG", "--account", "a", "--channel", "b"], ["both an account and a channel"]),
        (["X", "MUG", "--component", "COASTER=1"], ["not both"]),
        (["X", "--component", "MUG=two"], ["'two' is not a whole number"]),
        (["X"], ["no catalog SKU given"]),
        (["LOOP", "--component", "LOOP=1"], ["bundle cycle: LOOP -> LOOP"]),
    ],
)
def test_map_refusals_exit_2_without_a_traceback(
    store: Cli, args: list[str], needles: list[str]
) -> None:
    assert_clean_failure(store("skus", "map", *args), *needles, code=2)
    assert "No mappings" in assert_ok(store("skus", "list"))


def test_import_refuses_a_file_with_bad_rows_whole(store: Cli, tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_text(
        "ext_sku,internal_sku,quantity,account,channel\n"
        "GOOD,MUG,1,,\n"
        "BAD-QTY,MUG,-1,,\n"
        "BAD-SKU,MUGG,1,,\n",
        encoding="utf-8",
    )
    output = assert_clean_failure(store("skus", "import", str(path)), code=2)
    assert "row 3: quantity -1: it must be at least 1" in output
    assert "nothing was applied" in output
    assert "No mappings" in assert_ok(store("skus", "list"))
    path.write_text(
        "ext_sku,internal_sku,quantity,account,channel\nGOOD,MUG,1,,\nBAD-SKU,MUGG,1,,\n",
        encoding="utf-8",
    )
    output = assert_clean_failure(store("skus", "import", str(path)), code=2)
    assert "row 3: 'MUGG' is not in the catalog" in output
    path.write_text(
        "ext_sku,internal_sku,quantity,account,channel\nGOOD,MUG,1,,\nSET,MUG,1,,\nSET,COASTER,2,,\n",
        encoding="utf-8",
    )
    output = assert_ok(store("skus", "import", str(path)))
    assert "2 mappings created" in output
    rows = table_rows(assert_ok_result(store("skus", "list")))
    assert [(row[2], row[3], row[5]) for row in rows] == [
        ("GOOD", "1 x MUG", f"import:{path}"),
        ("SET", "1 x MUG + 2 x COASTER", f"import:{path}"),
    ]


def test_a_mapping_change_leaves_shipped_orders_alone(store: Cli, store_engine: Engine) -> None:
    assert_ok(store("skus", "map", "TEE", "BLUE-TEE-S"))
    add_orders(
        store_engine,
        ("1", OrderStatus.UNSHIPPED, [("1", "TEE", 1)]),
        ("2", OrderStatus.SHIPPED, [("1", "TEE", 1)]),
    )
    output = assert_ok(store("skus", "map", "TEE", "BLUE-TEE-L"))
    assert "(was 1 x BLUE-TEE-S)" in output
    assert "1 line of shipped, cancelled or refunded orders kept as resolved before" in output
    open_line = table_rows(assert_ok_result(store("skus", "explain", "1")))[0]
    shipped_line = table_rows(assert_ok_result(store("skus", "explain", "2")))[0]
    assert open_line[6] == "1 x BLUE-TEE-L"
    assert shipped_line[6] == "1 x BLUE-TEE-S"


def test_a_line_without_a_sku_says_where_its_channel_id_goes(
    store: Cli, store_engine: Engine
) -> None:
    add_orders(store_engine, ("1", OrderStatus.UNSHIPPED, [("1", None, 1)]))
    rows = table_rows(assert_ok_result(store("skus", "unmapped")))
    assert rows[0][2] == "(no SKU) product_id=190"
    hint = " ".join(row[8] for row in rows if row[8])  # the cell may wrap
    assert hint == "no SKU: put woo_product_id 190 on its catalog row"
    path = Path(store.directory) / "card.csv"
    path.write_text("sku,woo_product_id,account\nCARD,190,shop\n", encoding="utf-8")
    output = assert_ok(store("catalog", "import", str(path)))
    assert "1 of 1 released" in output
    assert "Nothing awaits a mapping" in assert_ok(store("skus", "unmapped"))


def test_explain_unknown_order_or_line(store: Cli, store_engine: Engine) -> None:
    add_orders(store_engine, ("1", OrderStatus.UNSHIPPED, [("1", "MUG", 1)]))
    assert_clean_failure(store("skus", "explain", "999"), "no order '999'")
    assert_clean_failure(store("skus", "explain", "1", "7"), "has no line '7'")


def test_the_whole_loop_against_a_simulated_shop(configured: Cli, shop: Shop) -> None:
    """The demo: the shop is the catalog; an order with a SKU no one recorded waits in the
    queue with a sensible suggestion; one mapping releases it; explain says why."""
    order = shop.sim.add_order(
        lines=[("blu tee m", 2), ("BLUE-TEE-S", 1)],
        created=datetime.now(UTC) - timedelta(hours=1),
    )
    reference = str(order["number"])
    assert_ok(configured("db", "upgrade"))
    catalog = assert_ok(configured("catalog", "sync", "shop"))
    assert "13 SKUs added" in catalog
    assert "product 190 (Handmade Greeting Card): no SKU of its own" in catalog
    assert_ok(configured("sync", "shop"))
    # Until the sync engine resolves each page itself, resolve what it stored.
    assert_ok(configured("skus", "resolve", "--all"))

    rows = {row[2]: row for row in table_rows(assert_ok_result(configured("skus", "unmapped")))}
    waiting = rows["blu tee m"]
    assert waiting[:2] == ["woocommerce", "shop"]
    assert reference in waiting[7]
    assert waiting[8].splitlines()[0].startswith("BLUE-TEE-M (")

    explained = table_rows(assert_ok_result(configured("skus", "explain", reference)))
    assert [row[4] for row in explained] == ["unresolved", "exact"]

    released = assert_ok(configured("skus", "map", "blu tee m", "BLUE-TEE-M", "--account", "shop"))
    assert "Resolved again: 2 lines of 1 order; 1 released." in released
    rows = {row[2]: row for row in table_rows(assert_ok_result(configured("skus", "unmapped")))}
    assert "blu tee m" not in rows
    explained = table_rows(assert_ok_result(configured("skus", "explain", reference)))
    assert [(row[4], row[6]) for row in explained] == [
        ("mapping", "2 x BLUE-TEE-M"),
        ("exact", "1 x BLUE-TEE-S"),
    ]
    assert "awaiting mapping" not in assert_ok(configured("skus", "explain", reference))
