"""The resolver's in-memory core: every step of the resolution order, scopes, strip rules,
identifiers, multipacks, bundles and nested bundles, and broken mapping data."""

from __future__ import annotations

from collections.abc import Sequence

from orderhub.matching import (
    Component,
    MappingSpec,
    MatchingConfig,
    MatchingIndex,
    Method,
    SkuRules,
    normalise_sku,
)

CATALOG = ["BLUE-TEE-S", "BLUE-TEE-M", "MUG", "COASTER", "CAP"]


def spec(
    mapping_id: int, external: str, *components: tuple[str, int], scope: str = "global"
) -> MappingSpec:
    return MappingSpec(mapping_id, scope, external, normalise_sku(external), tuple(components))


def build(
    *mappings: MappingSpec,
    rules: SkuRules | None = None,
    identifiers: Sequence[tuple[str, str, str, str]] = (),
) -> MatchingIndex:
    return MatchingIndex.build(
        catalog=CATALOG, identifiers=identifiers, mappings=mappings, rules=rules
    )


def test_exact_sku() -> None:
    result = build().resolve("shop", "woocommerce", "BLUE-TEE-M")
    assert result.method is Method.EXACT
    assert result.components == (Component("BLUE-TEE-M", 1),)


def test_normalised_sku() -> None:
    result = build().resolve("shop", "woocommerce", " blue_tee m ")
    assert result.method is Method.NORMALISED
    assert result.components == (Component("BLUE-TEE-M", 1),)
    assert result.matched == "blue tee m"


def test_normalised_sku_after_the_strip_rules() -> None:
    rules = SkuRules.from_config(MatchingConfig(strip_prefixes=("AMZ-",), strip_suffixes=("-FBA",)))
    index = build(rules=rules)
    for sku in ("AMZ-BLUE-TEE-M", "BLUE-TEE-M-FBA", "amz_blue_tee_m_fba"):
        result = index.resolve("shop", "amazon", sku)
        assert result.method is Method.NORMALISED, sku
        assert result.components == (Component("BLUE-TEE-M", 1),)
        assert "strip rules" in result.matched
    # Without the rules the same SKU waits.
    assert build().resolve("shop", "amazon", "BLUE-TEE-M-FBA").method is Method.UNRESOLVED


def test_identifiers_after_the_sku_steps() -> None:
    index = build(
        identifiers=[
            ("asin", "B07PXGQC1Q", "", "BLUE-TEE-M"),
            ("woo_variation", "102", "shop", "BLUE-TEE-S"),
            ("woo_variation", "102", "other", "CAP"),
            ("gtin", "00036000291452", "", "MUG"),
            ("ebay_variation", "11:22", "", "COASTER"),
        ]
    )
    asin = index.resolve("shop", "amazon", "UNKNOWN-1", {"asin": "B07PXGQC1Q"})
    assert (asin.method, asin.components) == (
        Method.IDENTIFIER,
        (Component("BLUE-TEE-M", 1),),
    )
    assert asin.matched == "asin B07PXGQC1Q"
    # Account-scoped ids: the same shop id means another item in another shop.
    assert index.resolve("shop", "woocommerce", None, {"variation_id": "102"}).components == (
        Component("BLUE-TEE-S", 1),
    )
    assert index.resolve("other", "woocommerce", None, {"variation_id": "102"}).components == (
        Component("CAP", 1),
    )
    assert index.resolve("third", "woocommerce", None, {"variation_id": "102"}).method is (
        Method.UNRESOLVED
    )
    # A UPC finds the item recorded by the same code.
    assert index.resolve("s", "ebay", "X", {"upc": "036000291452"}).components == (
        Component("MUG", 1),
    )
    assert index.resolve("s", "ebay", "X", {"ebay_item_id": "11", "ebay_variation_id": "22"}) == (
        index.resolve("s", "ebay", None, {"ebay_item_id": "11", "ebay_variation_id": "22"})
    )
    # A SKU match comes before the identifiers.
    assert index.resolve("shop", "amazon", "MUG", {"asin": "B07PXGQC1Q"}).method is Method.EXACT


def test_unresolved_says_why() -> None:
    index = build()
    result = index.resolve("shop", "woocommerce", "blu tee m", {"product_id": "999"})
    assert result.method is Method.UNRESOLVED
    assert result.components == ()
    assert "no catalog SKU matches 'blu tee m'" in result.matched
    assert "no catalog identifier" in result.matched
    assert index.resolve("shop", "woocommerce", None).matched == "the line has no SKU"


def test_a_remembered_miss_answers_each_line_by_its_own_ids() -> None:
    index = build(identifiers=[("woo_product", "5", "", "CAP")])
    ids, none = {"product_id": "999"}, "no catalog SKU matches 'NOPE'"
    for _ in range(2):  # the second time from the per-SKU memo
        assert index.resolve("shop", "woocommerce", "NOPE").matched == none
        assert index.resolve("shop", "woocommerce", "NOPE", ids).matched == (
            f"{none}; no catalog identifier matches its channel ids"
        )
        found = index.resolve("shop", "woocommerce", "NOPE", {"product_id": "5"})
        assert (found.method, found.components) == (Method.IDENTIFIER, (Component("CAP", 1),))
    assert index.resolve("shop", "woocommerce", None, ids).matched == (
        "the line has no SKU; no catalog identifier matches its channel ids"
    )
    # Without any catalog identifiers, a line's ids are not looked up at all.
    assert "no catalog identifier" in build().resolve("s", "woocommerce", None, ids).matched


def test_two_catalog_skus_that_normalise_alike_are_not_guessed() -> None:
    index = MatchingIndex.build(catalog=["BLUE-TEE", "blue_tee"])
    assert index.resolve("s", "c", "BLUE-TEE").method is Method.EXACT
    result = index.resolve("s", "c", "Blue Tee")
    assert result.method is Method.UNRESOLVED
    assert "BLUE-TEE, blue_tee" in result.matched


def test_mapping_wins_over_the_exact_sku() -> None:
    index = build(spec(1, "CAP", ("MUG", 1)))
    result = index.resolve("shop", "woocommerce", "cap")
    assert (result.method, result.components, result.mapping_id) == (
        Method.MAPPING,
        (Component("MUG", 1),),
        1,
    )


def test_scope_precedence_account_then_channel_then_global() -> None:
    index = build(
        spec(1, "TEE", ("BLUE-TEE-S", 1)),
        spec(2, "TEE", ("BLUE-TEE-M", 1), scope="channel:amazon"),
        spec(3, "TEE", ("CAP", 1), scope="account:eu"),
    )
    assert index.resolve("eu", "amazon", "TEE").mapping_id == 3
    assert index.resolve("us", "amazon", "TEE").mapping_id == 2
    assert index.resolve("us", "ebay", "TEE").mapping_id == 1
    assert index.resolve("eu", "ebay", "tee").scope == "account:eu"


def test_multipack_bundle_and_nested_bundle() -> None:
    index = build(
        spec(1, "PACK3-BLUE", ("BLUE-TEE-M", 3)),
        spec(2, "GIFTSET", ("MUG", 1), ("COASTER", 2)),
        spec(3, "MEGA", ("GIFTSET", 2), ("PACK3-BLUE", 1), ("CAP", 1)),
    )
    assert index.resolve("s", "c", "PACK3-BLUE").components == (Component("BLUE-TEE-M", 3),)
    assert index.resolve("s", "c", "GIFTSET").components == (
        Component("MUG", 1),
        Component("COASTER", 2),
    )
    assert index.resolve("s", "c", "MEGA").components == (
        Component("MUG", 2, "GIFTSET"),
        Component("COASTER", 4, "GIFTSET"),
        Component("BLUE-TEE-M", 3, "PACK3-BLUE"),
        Component("CAP", 1),
    )


def test_nested_components_look_in_their_own_scope_then_global() -> None:
    index = build(
        spec(1, "SET", ("MUG", 1)),
        spec(2, "SET", ("CAP", 1), scope="account:eu"),
        spec(3, "BOX", ("SET", 2), scope="account:eu"),
        spec(4, "BOX", ("SET", 2)),
    )
    assert index.resolve("eu", "c", "BOX").components == (Component("CAP", 2, "SET"),)
    assert index.resolve("us", "c", "BOX").components == (Component("MUG", 2, "SET"),)


def test_broken_mapping_data_leaves_the_line_waiting_with_the_reason() -> None:
    # The store refuses these; an index built from damaged data must still not loop.
    index = build(
        spec(1, "A", ("B", 1)),
        spec(2, "B", ("A", 1)),
        spec(3, "C", ("NOT-IN-CATALOG", 1)),
    )
    looped = index.resolve("s", "c", "A")
    assert looped.method is Method.UNRESOLVED
    assert "cycle" in looped.matched
    missing = index.resolve("s", "c", "C")
    assert missing.method is Method.UNRESOLVED
    assert "'NOT-IN-CATALOG' is not in the catalog" in missing.matched
