"""Readers of single values in a record (sdk/fields.py): values at dotted paths,
quantities, money objects, known enumeration values, required objects, lists and times,
HTML-escaped text and the first text among items. Each refuses a bad value naming the
field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import (
    MalformedRecordError,
    first_text,
    html_text,
    known_value,
    money_at,
    money_object,
    parse_quantity,
    required_list,
    required_object,
    required_utc,
    texts_at,
    value_at,
)

#: Amazon's and Shopify's key names (the defaults are eBay's ``value`` and ``currency``).
AMAZON = {"amount_key": "amount", "currency_key": "currencyCode"}


@given(st.integers(min_value=1, max_value=10**9))
def test_positive_integers_are_quantities(value: int) -> None:
    assert parse_quantity(value, "q") == value


@pytest.mark.parametrize("value", [True, 1.0, "2", None, -1, [1]])
def test_anything_but_a_positive_integer_is_refused_naming_the_field(value: Any) -> None:
    with pytest.raises(MalformedRecordError, match=r"^items\[0\]\.quantity: "):
        parse_quantity(value, "items[0].quantity")


def test_zero_is_a_quantity_unless_refused() -> None:
    assert parse_quantity(0, "q") == 0
    with pytest.raises(MalformedRecordError, match="q: 0 is not a positive quantity"):
        parse_quantity(0, "q", allow_zero=False)


def test_a_money_object_gives_the_exact_amount_and_the_upper_case_currency() -> None:
    assert money_object({"amount": "12.30", "currencyCode": " usd"}, "total", **AMAZON) == (
        Decimal("12.30"),
        "USD",
    )
    ebay = {"value": "7.5", "currency": "EUR"}
    assert money_object(ebay, "total") == (
        Decimal("7.5"),
        "EUR",
    )


def test_numbers_are_refused_unless_the_channel_sends_numbers() -> None:
    with pytest.raises(MalformedRecordError, match=r"total\.amount"):
        money_object({"amount": 12.5, "currencyCode": "EUR"}, "total", **AMAZON)
    assert money_object(
        {"amount": 12.5, "currencyCode": "EUR"}, "total", numbers=True, **AMAZON
    ) == (
        Decimal("12.50"),
        "EUR",
    )
    assert (
        money_object({"amount": 1200.0, "currencyCode": "JPY"}, "t", numbers=True, **AMAZON)[0]
        == 1200
    )


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False))
def test_numbers_round_trip_to_the_cent(amount: Decimal) -> None:
    value = {"amount": float(amount), "currencyCode": "EUR"}
    assert money_object(value, "t", numbers=True, **AMAZON)[0] == amount


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (None, "grandTotal: required object is missing"),
        ({"currencyCode": "USD"}, "'amount' is missing"),
        ({"amount": "1.00", "currencyCode": "US"}, "grandTotal.currencyCode"),
        ({"amount": "1.00"}, "grandTotal.currencyCode"),
        ({"amount": "abc", "currencyCode": "USD"}, "grandTotal.amount"),
        ([], "grandTotal: expected an object"),
    ],
)
def test_broken_money_is_refused_naming_the_field(value: Any, names: str) -> None:
    with pytest.raises(MalformedRecordError) as caught:
        money_object(value, "grandTotal", **AMAZON)
    assert names in caught.value.message


@given(st.decimals(min_value=0, max_value=10**9, places=2), st.sampled_from(["usd", " EUR", "gbp"]))
def test_a_money_object_keeps_the_amount_exactly(amount: Decimal, currency: str) -> None:
    value, code = money_object({"value": str(amount), "currency": currency}, "total")
    assert value == amount and code == currency.strip().upper()


def test_numbers_are_accepted_only_when_asked_and_rounded_to_the_minor_unit() -> None:
    sent = {"amount": 12.5, "currencyCode": "JPY"}
    with pytest.raises(MalformedRecordError, match=r"total\.amount"):
        money_object(sent, "total", amount_key="amount", currency_key="currencyCode")
    value, code = money_object(
        sent, "total", amount_key="amount", currency_key="currencyCode", numbers=True
    )
    assert (value, code) == (Decimal("13"), "JPY")


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (None, "total: required object is missing"),
        ([], "total: expected an object"),
        ({"value": "x", "currency": "USD"}, r"total\.value"),
        ({"value": "1.00", "currency": "US"}, r"total\.currency"),
        ({"value": "1.00"}, r"total\.currency"),
        ({"value": "1.00", "currency": "EUR"}, "differs from the order's currency USD"),
    ],
)
def test_a_bad_money_object_is_refused_naming_the_field(value: Any, field: str) -> None:
    with pytest.raises(MalformedRecordError, match=field):
        money_object(value, "total", currency="USD")


def test_optional_amounts_are_none_when_missing() -> None:
    line = {"cost": {"value": "2.50", "currency": "USD"}}
    assert money_at(line, "cost", "lines[0]", currency="USD") == Decimal("2.50")
    assert money_at(line, "total", "lines[0]", currency="USD") is None
    with pytest.raises(MalformedRecordError, match=r"lines\[0\]\.cost\.currency"):
        money_at(line, "cost", "lines[0]", currency="EUR")


def test_known_values_are_taken_missing_ones_defaulted_and_others_refused() -> None:
    allowed = ("PAID", "PENDING")
    assert known_value({"state": "PAID"}, "state", allowed) == "PAID"
    assert known_value({}, "state", allowed, default="PENDING") == "PENDING"
    with pytest.raises(MalformedRecordError, match="required field 'state' is missing"):
        known_value({"state": ""}, "state", allowed)
    with pytest.raises(MalformedRecordError) as caught:
        known_value({"state": "NEW"}, "state", allowed, field="status.state", channel="Shop")
    assert caught.value.message == "status.state: unknown value 'NEW' (known: PAID, PENDING)"
    assert "Shop added a value" in (caught.value.fix or "")


def test_required_objects_and_lists() -> None:
    assert required_object({"a": 1}, "x") == {"a": 1}
    with pytest.raises(MalformedRecordError, match="x: required object is missing"):
        required_object(None, "x")
    assert required_list([], "items") == []
    with pytest.raises(MalformedRecordError, match="items: required list is missing"):
        required_list({"a": 1}, "items")
    with pytest.raises(MalformedRecordError, match="items: the order has no lines"):
        required_list([], "items", empty="the order has no lines")


def test_optional_amounts_follow_dotted_paths() -> None:
    item = {"product": {"price": {"unitPrice": {"amount": "3.10", "currencyCode": "EUR"}}}}
    assert money_at(item, "product.price.unitPrice", "items[0]", **AMAZON) == Decimal("3.10")
    assert money_at(item, "proceeds.proceedsTotal", "items[0]", **AMAZON) is None
    with pytest.raises(MalformedRecordError, match=r"items\[0\]\.product\.price\.unitPrice"):
        money_at(item, "product.price.unitPrice", "items[0]", currency="USD", **AMAZON)


def test_html_escaped_text_is_unescaped_and_cleaned() -> None:
    assert html_text(" Salt &amp; Pepper ") == "Salt & Pepper"
    assert html_text("Shirt &ndash; M") == "Shirt – M"
    assert html_text("&nbsp;") is None
    assert html_text(None) is None and html_text("  ") is None


def test_a_required_time_is_read_or_refused_naming_its_key() -> None:
    raw = {"created": "2026-03-01T10:00:00", "zoned": "2026-03-01T11:00:00+01:00"}
    assert required_utc(raw, "created", naive_is_utc=True) == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert required_utc(raw, "zoned") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(MalformedRecordError, match="required field 'updated'"):
        required_utc(raw, "updated")
    with pytest.raises(MalformedRecordError, match=r"created: .* no time zone"):
        required_utc(raw, "created")


def test_option_texts_skip_blanks_and_what_is_not_an_object() -> None:
    items = [{"option": " XL "}, {"option": ""}, "Red", {"name": "Colour"}, {"option": "Red"}]
    assert texts_at(items, "option") == ["XL", "Red"]
    assert texts_at(None, "option") == [] and texts_at({"option": "x"}, "option") == []


def test_the_first_text_among_items() -> None:
    items = ["x", {"b": " "}, {"a": None, "b": "EBAY_US"}, {"a": "EBAY_DE"}]
    assert first_text(items, "a", "b") == "EBAY_US"
    assert first_text([], "a") is None


def test_value_at_follows_a_path_and_names_the_part_that_is_not_an_object() -> None:
    item = {"product": {"price": {"unitPrice": {"amount": "1.00"}}}, "fulfillment": None}
    assert value_at(item, "product.price.unitPrice.amount", "items[0]") == "1.00"
    assert value_at(item, "product.asin", "items[0]") is None
    assert value_at(item, "fulfillment.quantityFulfilled", "items[0]") is None
    assert value_at({}, "proceeds.grandTotal") is None
    with pytest.raises(MalformedRecordError, match=r"^items\[0\]\.product\.price: expected an"):
        value_at({"product": {"price": [1]}}, "product.price.unitPrice", "items[0]")
    with pytest.raises(MalformedRecordError, match=r"^proceeds: expected an object, got list"):
        value_at({"proceeds": []}, "proceeds.grandTotal")
    with pytest.raises(MalformedRecordError, match=r"^order: expected an object"):
        value_at("not an order", "orderId")
