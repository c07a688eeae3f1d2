"""``orderhub catalog import|list|sync``."""

from __future__ import annotations

from pathlib import Path

from .conftest import Cli, Shop, assert_clean_failure, assert_ok, table_rows

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "catalog.example.csv"


def items(output: str) -> list[list[str]]:
    """The table's rows, without the continuation lines of wrapped cells."""
    return [row for row in table_rows(output) if row[0]]


def test_import_the_example_then_list_and_search(orderhub: Cli) -> None:
    output = assert_ok(orderhub("catalog", "import", str(EXAMPLE)))
    assert "10 SKUs added, 0 updated, 0 unchanged; 15 identifiers added" in output
    again = assert_ok(orderhub("catalog", "import", str(EXAMPLE)))
    assert "0 SKUs added, 0 updated, 10 unchanged; 0 identifiers added" in again
    assert len(items(orderhub("catalog", "list").output)) == 10
    found = orderhub("catalog", "list", "--search", "hoodie").output
    assert [row[0] for row in items(found)] == ["HOODIE-GREY-L", "HOODIE-GREY-M"]
    assert "ebay_variation 284715069912:1029384757 (my-shop)" in found
    limited = orderhub("catalog", "list", "--limit", "3")
    assert len(items(limited.output)) == 3
    assert "7 more" in limited.output


def test_duplicate_skus_are_refused_with_row_numbers(orderhub: Cli, tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text("sku,title\nMUG,Mug\nCAP,Cap\nMUG,Another mug\nMUG,Third\n", encoding="utf-8")
    output = assert_clean_failure(orderhub("catalog", "import", str(path)), code=2)
    assert "row 4: duplicate SKU 'MUG' (also on row 2)" in output
    assert "row 5: duplicate SKU 'MUG' (also on row 2)" in output
    assert "nothing was applied" in output
    assert "Fix: Correct those rows" in output
    assert "No catalog items" in assert_ok(orderhub("catalog", "list"))


def test_unreadable_files_are_clear_refusals(orderhub: Cli, tmp_path: Path) -> None:
    assert_clean_failure(
        orderhub("catalog", "import", str(tmp_path / "missing.csv")), "does not exist", code=2
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,price\nMUG,3\n", encoding="utf-8")
    assert_clean_failure(
        orderhub("catalog", "import", str(bad)),
        "unknown column 'price'",
        "The columns are: sku, title",
        code=2,
    )


def test_sync_reads_the_shop_products(configured: Cli, shop: Shop) -> None:
    shop.sim.add_product("Gift Set", "GIFTSET", gtin="4006381333931")
    output = assert_ok(configured("catalog", "sync", "shop"))
    assert "shop: 15 products read." in output
    assert "14 SKUs added" in output
    rows = {row[0]: row for row in items(configured("catalog", "list").output)}
    assert rows["GIFTSET"][2] == "04006381333931"
    assert rows["BLUE-TEE-M"][3] == "woo_variation 103 (shop)"
    assert rows["BLUE-TEE-M"][4] == "woocommerce:shop"


def test_sync_of_an_unknown_account(configured: Cli) -> None:
    assert_clean_failure(configured("catalog", "sync", "nope"), 'no account "nope"')


def test_sync_with_a_wrong_secret_says_what_to_do(configured: Cli, shop: Shop) -> None:
    result = configured("catalog", "sync", "shop", env={"SHOP_WC_SECRET": "cs_wrong"})
    output = assert_clean_failure(result, "reading the products of shop failed")
    assert "cs_wrong" not in output
