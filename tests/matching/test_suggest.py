"""Suggestions for unresolved SKUs: rapidfuzz over the catalog's SKUs and titles."""

from __future__ import annotations

from orderhub.matching import Suggester

CATALOG = [
    ("BLUE-TEE-S", "Blue T-Shirt - S"),
    ("BLUE-TEE-M", "Blue T-Shirt - M"),
    ("BLUE-TEE-L", "Blue T-Shirt - L"),
    ("RED-TEE-M", "Red T-Shirt - M"),
    ("MUG-WHITE", "White Mug"),
    ("HOODIE-GREY-M", "Grey Hoodie - M"),
    ("TOTE-NATURAL", "Canvas Tote Bag"),
]


def test_a_typo_finds_the_sku() -> None:
    found = Suggester(CATALOG).suggest("blu tee m")
    assert found[0].sku == "BLUE-TEE-M"
    assert found[0].score > found[1].score
    assert len(found) == 3


def test_word_order_and_separators_do_not_matter() -> None:
    assert Suggester(CATALOG).suggest("TEE_BLUE_M")[0].sku == "BLUE-TEE-M"


def test_a_sku_unlike_any_catalog_sku_is_found_by_title() -> None:
    suggester = Suggester(CATALOG)
    assert suggester.suggest("8812-X", "Canvas tote bag (natural)")[0].sku == "TOTE-NATURAL"
    assert suggester.suggest("white mug 11oz")[0].sku == "MUG-WHITE"


def test_nothing_close_means_no_suggestion() -> None:
    suggester = Suggester(CATALOG)
    assert suggester.suggest("ZZ-9000-QQ") == []
    assert suggester.suggest(None, None) == []
    assert Suggester([]).suggest("blue tee m") == []


def test_limit_and_stable_order() -> None:
    suggester = Suggester(CATALOG)
    found = suggester.suggest("blue tee", limit=5)
    assert 3 <= len(found) <= 5
    assert found == sorted(found, key=lambda s: (-s.score, s.sku))
    assert suggester.suggest("blue tee", limit=1) == found[:1]
