"""CatalogFields and catalog_item: catalog records built alike for every channel."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import CatalogFields, catalog_item
from orderhub.sdk.catalog import variant_sku, variant_title

SHOP = CatalogFields(gtin="ean", html_titles=True)


def test_blank_identifiers_become_none_and_text_is_cleaned() -> None:
    item = catalog_item(ref="p 1", identifiers={"x": "1"}, sku="  ", title=" Tee ", gtin="")
    assert item == {
        "sku": None,
        "title": "Tee",
        "gtin": None,
        "ref": "p 1",
        "identifiers": {"x": "1"},
    }


def test_a_product_is_read_through_the_declared_fields() -> None:
    product = {"sku": " TEE-1 ", "name": "Tee &amp; Cap", "ean": "4006381333931"}
    item = SHOP.item(product, ref="product 1", identifiers={"shop_product": "1"})
    assert (item["sku"], item["title"], item["gtin"]) == ("TEE-1", "Tee & Cap", "4006381333931")
    plain = CatalogFields(title="title").item(
        {"sku": "A", "title": "A &amp; B", "ean": "1"}, ref="a", identifiers={}
    )
    assert (plain["title"], plain["gtin"]) == ("A &amp; B", None)


def test_a_variant_without_its_own_sku_is_not_given_its_parents() -> None:
    parent = {"sku": "TEE", "name": "Blue T-Shirt"}
    inherited = SHOP.variant(parent, {"sku": " TEE "}, ref="v", identifiers={}, options=["XL"])
    assert inherited["sku"] is None and inherited["title"] == "Blue T-Shirt - XL"
    own = SHOP.variant(parent, {"sku": "TEE-XL", "name": "Tee XL"}, ref="v", identifiers={})
    assert (own["sku"], own["title"]) == ("TEE-XL", "Tee XL")


def test_a_parent_without_a_title_is_named_by_the_stand_in() -> None:
    item = SHOP.variant({}, {}, ref="v", identifiers={}, parent_title="product 9", options=[])
    assert item["title"] == "product 9"
    with_options = SHOP.variant({}, {}, ref="v", identifiers={}, options=[" M ", "", "Red"])
    assert with_options["title"] == "M, Red"


@given(st.one_of(st.none(), st.text(max_size=20)), st.one_of(st.none(), st.text(max_size=20)))
def test_a_variant_sku_is_never_the_parents(sku: Any, parent_sku: Any) -> None:
    got = variant_sku(sku, parent_sku)
    assert got is None or (got == got.strip() and got != (parent_sku or "").strip())


def test_a_variant_title_prefers_its_own() -> None:
    assert variant_title("Own", "Parent", ["XL"]) == "Own"
    assert variant_title(None, "Parent", ["XL", None, "Red"]) == "Parent - XL, Red"
    assert variant_title(None, "Parent", []) == "Parent"
