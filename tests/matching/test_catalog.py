"""The catalog: CSV imports (duplicates and bad rows reported with row numbers, nothing
applied), upserts, and the seller's WooCommerce shop as the source (simulated shop)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine, func, select

from orderhub.matching import (
    CatalogRecord,
    InputRejected,
    MatchingError,
    apply_catalog,
    import_catalog_csv,
    list_catalog,
    sync_catalog,
)
from orderhub.matching.index import ITEMS
from orderhub.sdk import Connector, ConnectorContext, ConnectorSettings
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.testing import FakeClock
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings
from orderhub_connectors.woocommerce.connector import _variation_record

from .conftest import T0, awaiting, line, order, resolutions, sync_page

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "catalog.example.csv"
HEADER = "sku,title,gtin,asin,ebay_item_id,ebay_variation_id,woo_product_id,woo_variation_id"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text(text, encoding="utf-8")
    return path


def item_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(ITEMS)).scalar_one())


def test_the_example_file_imports(store_engine: Engine) -> None:
    with store_engine.begin() as connection:
        counts = import_catalog_csv(connection, EXAMPLE, now=T0)
    assert counts.created == item_count(store_engine) == 10
    with store_engine.connect() as connection:
        entries, total = list_catalog(connection, search="blue tee m")
        assert total == 0  # the search is a plain substring of SKU or title
        entries, total = list_catalog(connection, search="t-shirt - m")
    assert {entry.sku for entry in entries} == {"BLUE-TEE-M", "RED-TEE-M"}
    blue = next(entry for entry in entries if entry.sku == "BLUE-TEE-M")
    assert blue.gtin == "04006381333931"
    assert ("asin", "B07PXGQC1Q", "") in blue.identifiers
    assert ("woo_variation", "103", "my-shop") in blue.identifiers


def test_duplicate_skus_and_bad_rows_are_reported_with_row_numbers(
    store_engine: Engine, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        f"{HEADER}\n"
        "MUG,White Mug,036000291452,,,,,\n"  # 2
        "CAP,Cap,,,,,,\n"  # 3
        "MUG,Mug again,,,,,,\n"  # 4: duplicate of row 2
        ",No SKU,,,,,,\n"  # 5: empty sku
        "TEE,Tee,4006381333932,,,,,\n"  # 6: bad check digit
        "HAT,Hat,,B07,,,,\n"  # 7: not an ASIN
        "BAG,Bag,,,,55,,\n"  # 8: variation without item
        "BOX,Box,036000291452,,,,,\n"  # 9: the GTIN of row 2 again
        "CAP,Cap,,,,,,\n",  # 10: duplicate of row 3
    )
    with store_engine.begin() as connection, pytest.raises(InputRejected) as caught:
        import_catalog_csv(connection, path, now=T0)
    problems = {problem.row: problem.message for problem in caught.value.problems}
    assert sorted(problems) == [4, 5, 6, 7, 8, 9, 10]
    assert problems[4] == "duplicate SKU 'MUG' (also on row 2); each SKU may appear once"
    assert problems[10].startswith("duplicate SKU 'CAP' (also on row 3)")
    assert "sku is empty" in problems[5]
    assert "check digit" in problems[6]
    assert "not an ASIN" in problems[7]
    assert "needs the ebay_item_id" in problems[8]
    assert "gtin 00036000291452 is also given on row 2 (SKU 'MUG')" in problems[9]
    assert item_count(store_engine) == 0


def test_import_upserts_and_never_deletes(store_engine: Engine, tmp_path: Path) -> None:
    first = write(tmp_path, "sku,title,woo_product_id,account\nMUG,White Mug,120,shop\nCAP,Cap,,\n")
    with store_engine.begin() as connection:
        import_catalog_csv(connection, first, now=T0)
    # Second file: CAP absent (kept), MUG's title cell empty (kept), the shop id moves to
    # the new SKU MUG-2.
    second = write(tmp_path, "sku,title,woo_product_id,account\nMUG,,,\nMUG-2,Mug 2,120,shop\n")
    with store_engine.begin() as connection:
        counts = import_catalog_csv(connection, second, now=T0)
        entries, _ = list_catalog(connection)
    assert (counts.created, counts.updated, counts.unchanged) == (1, 0, 1)
    assert counts.identifiers_moved == 1
    by_sku = {entry.sku: entry for entry in entries}
    assert set(by_sku) == {"CAP", "MUG", "MUG-2"}
    assert by_sku["MUG"].title == "White Mug"
    assert by_sku["MUG"].identifiers == ()
    assert by_sku["MUG-2"].identifiers == (("woo_product", "120", "shop"),)


def test_normalised_collisions_are_warned_about(store_engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "sku\nBLUE-TEE\nblue_tee\n")
    with store_engine.begin() as connection:
        counts = import_catalog_csv(connection, path, now=T0)
    assert len(counts.warnings) == 1
    assert "BLUE-TEE, blue_tee" in counts.warnings[0]


def test_a_catalog_import_releases_orders_waiting_for_that_sku(
    store_engine: Engine, tmp_path: Path
) -> None:
    sync_page(store_engine, [order("1", line("a", "NEW-MUG", 2))])
    assert awaiting(store_engine, "1")
    with store_engine.begin() as connection:
        counts = import_catalog_csv(connection, write(tmp_path, "sku\nnew mug\n"), now=T0)
    assert counts.resolved.released == 1
    assert resolutions(store_engine, "1")["a"].components == (("new mug", 2, None),)


def test_a_catalog_change_resolves_again_only_the_waiting_orders_it_releases(
    store_engine: Engine, tmp_path: Path
) -> None:
    sync_page(
        store_engine,
        [
            order("1", line("a", "NEW-MUG", 2), line("b", "STILL-UNKNOWN")),
            order("2", line("a", "OLD-CODE", ean="5012345678900")),
            order("3", line("a", "OTHER-THING")),
        ],
    )
    untouched_before = resolutions(store_engine, "3")
    with store_engine.begin() as connection:
        counts = import_catalog_csv(
            connection,
            write(tmp_path, "sku,gtin\nnew mug,\nCOASTER,05012345678900\n"),
            now=T0 + timedelta(hours=1),
        )
    # Order 1 still waits for STILL-UNKNOWN but its NEW-MUG line resolved; order 2 is
    # released by its channel GTIN; order 3 is not read again, let alone written.
    assert (counts.resolved.orders, counts.resolved.released) == (2, 1)
    assert resolutions(store_engine, "1")["a"].components == (("new mug", 2, None),)
    assert awaiting(store_engine, "1")
    assert resolutions(store_engine, "2")["a"].method == "identifier"
    assert not awaiting(store_engine, "2")
    assert awaiting(store_engine, "3")
    assert resolutions(store_engine, "3") == untouched_before


def test_file_level_problems(store_engine: Engine, tmp_path: Path) -> None:
    cases = {
        "": "empty",
        "title\nMug\n": "missing column 'sku'",
        "sku,colour\nMUG,white\n": "unknown column 'colour'",
        'sku,title\n"MUG,Mug\n': "not valid CSV",
    }
    for text, expected in cases.items():
        path = write(tmp_path, text)
        with store_engine.begin() as connection:
            try:
                import_catalog_csv(connection, path, now=T0)
            except MatchingError as exc:
                assert expected in exc.message
                assert exc.fix
            else:
                raise AssertionError(f"{text!r} was accepted")
    assert item_count(store_engine) == 0


# -- WooCommerce -----------------------------------------------------------------------------------


def woo(sim: SimulatedWooCommerce, clock: FakeClock, account: str = "shop") -> Any:
    return WooCommerceConnector(
        ConnectorContext(
            account_id=account,
            settings=WooCommerceSettings(
                base_url="http://127.0.0.1/", consumer_key="ck_test", consumer_secret="cs_test"
            ),
            clock=clock,
            log=structlog.get_logger(),
            transport=sim.transport(),
        )
    )


def test_the_shop_is_the_catalog_source(store_engine: Engine) -> None:
    clock = FakeClock()
    sim = SimulatedWooCommerce(clock)
    sim.add_product("Gift Set", "GIFTSET", gtin="4006381333931")
    # An order placed before the catalog was read waits; the catalog read releases it.
    sync_page(store_engine, [order("1", line("a", None, product_id="101", variation_id="103"))])
    assert awaiting(store_engine, "1")
    connector = woo(sim, clock)
    try:
        result = sync_catalog(store_engine, connector, T0)
    finally:
        connector.close()
    assert result.products == 15
    assert result.counts.created == 14
    assert result.skipped == [
        "product 190 (Handmade Greeting Card): no SKU of its own; give it one in the shop"
    ]
    assert sim.requests_to("/products/101/variations")
    with store_engine.connect() as connection:
        entries, _ = list_catalog(connection, limit=100)
    by_sku = {entry.sku: entry for entry in entries}
    assert by_sku["BLUE-TEE-M"].title == "Blue T-Shirt - M"
    assert by_sku["BLUE-TEE-M"].identifiers == (("woo_variation", "103", "shop"),)
    assert by_sku["MUG-WHITE"].identifiers == (("woo_product", "120", "shop"),)
    assert by_sku["GIFTSET"].gtin == "04006381333931"
    assert by_sku["BLUE-TEE-M"].source == "woocommerce:shop"
    assert "BLUE-TEE" not in by_sku  # a variable product's parent is not sold itself
    assert resolutions(store_engine, "1")["a"].components == (("BLUE-TEE-M", 1, None),)
    assert not awaiting(store_engine, "1")
    # A second read changes nothing.
    connector = woo(sim, clock)
    try:
        again = sync_catalog(store_engine, connector, T0)
    finally:
        connector.close()
    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 0, 14)
    assert not again.counts.changed


def test_a_variation_without_its_own_sku_is_not_given_the_parents() -> None:
    parent = {"id": 101, "name": "Blue T-Shirt", "sku": "BLUE-TEE", "type": "variable"}
    inherited = {"id": 105, "sku": "BLUE-TEE", "attributes": [{"name": "Size", "option": "XL"}]}
    record = _variation_record(parent, inherited)
    assert record["sku"] is None
    assert record["title"] == "Blue T-Shirt - XL"
    assert record["identifiers"] == {"woo_variation": "105"}


def test_a_connector_without_a_catalog_is_refused(store_engine: Engine) -> None:
    class Plain(Connector[ConnectorSettings]):
        name = "plain"

        def base_url(self) -> str:
            return "http://127.0.0.1/"

    connector = Plain(
        ConnectorContext(
            account_id="p",
            settings=ConnectorSettings(),
            clock=FakeClock(),
            log=structlog.get_logger(),
        )
    )
    try:
        with pytest.raises(MatchingError, match="cannot read a product catalog"):
            sync_catalog(store_engine, connector, T0)
    finally:
        connector.close()


def test_two_shops_syncing_the_same_skus_at_once_both_succeed(store_engine: Engine) -> None:
    # Two shops' catalog syncs met in the worker: each read "BLUE-TEE-S" as new and
    # inserted it; on PostgreSQL the second insert waited for the first to commit, then
    # failed on the unique SKU and the whole sync with it.
    first = store_engine.connect()
    errors: list[BaseException] = []

    def second_shop() -> None:
        try:
            with store_engine.begin() as connection:
                apply_catalog(
                    connection, [CatalogRecord("BLUE-TEE-S", "Blue tee S")], source="b", now=T0
                )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    try:
        with first.begin():
            apply_catalog(
                first, [CatalogRecord("BLUE-TEE-S", "Blue T-Shirt S")], source="a", now=T0
            )
            other = threading.Thread(target=second_shop)
            other.start()
            other.join(0.5)  # it waits for this transaction (or, on SQLite, for the file)
    finally:
        first.close()
    other.join(30)
    assert not other.is_alive()
    assert errors == []
    with store_engine.connect() as connection:
        titles = connection.execute(select(ITEMS.c.title).where(ITEMS.c.sku == "BLUE-TEE-S"))
        assert titles.scalars().all() == ["Blue tee S"]
