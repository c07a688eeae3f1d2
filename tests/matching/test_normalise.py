"""Normalised SKUs, strip rules, GTIN/ASIN checks and the channel ids a line is looked up by."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.matching import MatchingConfig, SkuRules, normalise_gtin, normalise_sku
from orderhub.matching.normalise import channel_kinds, line_identifier_keys, normalise_asin


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("BLUE-TEE-M", "blue tee m"),
        ("blue tee m", "blue tee m"),
        ("  Blue_Tee / M ", "blue tee m"),
        ("blue.tee--m", "blue tee m"),
        ("ＢＬＵＥ－ＴＥＥ", "blue tee"),  # full-width forms fold to ASCII
        ("Straße-1", "strasse 1"),  # case folding, not just lower()
        ("A\tB\nC", "a b c"),
    ],
)
def test_normalised_form(given: str, expected: str) -> None:
    assert normalise_sku(given) == expected


def test_strip_rules_are_compared_like_skus_and_tried_in_order() -> None:
    rules = SkuRules.from_config(
        MatchingConfig(strip_prefixes=("AMZ-",), strip_suffixes=("-FBA", "_fba_uk"))
    )
    assert list(rules.candidates("amz blue tee fba")) == [
        "amz blue tee fba",
        "blue tee fba",
        "amz blue tee",
        "blue tee",
    ]
    # The longest matching suffix wins.
    assert list(rules.candidates("blue tee fba uk")) == ["blue tee fba uk", "blue tee"]
    # "AMZ-" keeps its separator: it strips a whole leading word only.
    assert list(rules.candidates("amzblue")) == ["amzblue"]
    # A rule never strips a SKU down to nothing.
    assert list(rules.candidates("fba")) == ["fba"]


def test_no_rules_means_only_the_key_itself() -> None:
    assert list(SkuRules.from_config(None).candidates("amz blue")) == ["amz blue"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13
        ("036000291452", "00036000291452"),  # UPC-A
        ("0036000291452", "00036000291452"),  # the same UPC written as an EAN-13
        ("96385074", "00000096385074"),  # GTIN-8
        ("4006381-333931", "04006381333931"),
        ("4006381333932", None),  # wrong check digit
        ("12345", None),
        ("B07PXGQC1Q", None),
    ],
)
def test_gtin(code: str, expected: str | None) -> None:
    assert normalise_gtin(code) == expected


def test_asin() -> None:
    assert normalise_asin(" b07pxgqc1q ") == "B07PXGQC1Q"
    assert normalise_asin("B07PXGQC1") is None


def test_line_identifiers_most_specific_first() -> None:
    keys = line_identifier_keys(
        "woocommerce", {"product_id": "101", "variation_id": "103", "gtin": "036000291452"}
    )
    # A variation never falls back to its parent product (which stands for every size).
    assert keys == [("woo_variation", "103"), ("gtin", "00036000291452")]
    assert line_identifier_keys("woocommerce", {"product_id": "120", "variation_id": "0"}) == [
        ("woo_product", "120")
    ]
    assert line_identifier_keys("ebay", {"ebay_item_id": "11", "ebay_variation_id": "22"}) == [
        ("ebay_variation", "11:22")
    ]
    assert line_identifier_keys("ebay", {"ebay_item_id": "11"}) == [("ebay_item", "11")]
    assert line_identifier_keys("amazon", {"asin": "b07pxgqc1q", "ean": "bad"}) == [
        ("asin", "B07PXGQC1Q")
    ]
    assert channel_kinds("shopify") == ("shopify_product", "shopify_variation")


# The normalised form is written without a regular expression for speed; these hold it to
# the definition it documents, on any text (separators of every kind, Unicode spaces,
# full-width and compatibility forms).
_SKU_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("-_./ \t\n\u00a0\u2003\u3000ＡＢ－／ßİ")),
        st.characters(codec="utf-8"),
    ),
    max_size=30,
)


def _normalised_by_definition(value: str) -> str:
    folded = unicodedata.normalize("NFKC", value).casefold()
    return re.sub(r"[\s\-_./]+", " ", folded).strip()


@given(_SKU_TEXT)
def test_normalised_form_is_its_definition(value: str) -> None:
    assert normalise_sku(value) == _normalised_by_definition(value)


def _gtin_by_definition(value: str) -> str | None:
    digits = re.sub(r"[\s\-]", "", value)
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        return None
    padded = digits.zfill(14)
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(padded[:-1]))
    return padded if (10 - total % 10) % 10 == int(padded[-1]) else None


@given(st.text(alphabet="0123456789 -", min_size=6, max_size=18))
def test_gtin_check_is_its_definition(code: str) -> None:
    assert normalise_gtin(code) == _gtin_by_definition(code)
