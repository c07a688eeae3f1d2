"""Record field readers: quantities, money objects, addresses spread over keys, nested
values. Each refusal names the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import (
    Address,
    MalformedRecordError,
    address_from,
    money_object,
    parse_quantity,
    value_at,
)


@given(st.integers(min_value=1, max_value=10**9))
def test_positive_integers_are_quantities(value: int) -> None:
    assert parse_quantity(value, "q") == value


@pytest.mark.parametrize("value", [True, 1.0, "2", None, -1, [1]])
def test_anything_but_a_positive_integer_is_refused_naming_the_field(value: Any) -> None:
    with pytest.raises(MalformedRecordError, match=r"^items\[0\]\.quantity: "):
        parse_quantity(value, "items[0].quantity")


def test_zero_is_a_quantity_only_when_allowed() -> None:
    assert parse_quantity(0, "q", allow_zero=True) == 0
    with pytest.raises(MalformedRecordError, match="not a positive quantity"):
        parse_quantity(0, "q")


def test_a_money_object_gives_the_exact_amount_and_the_upper_case_currency() -> None:
    assert money_object({"amount": "12.30", "currencyCode": " usd"}, "total") == (
        Decimal("12.30"),
        "USD",
    )
    ebay = {"value": "7.5", "currency": "EUR"}
    assert money_object(ebay, "total", amount="value", currency="currency") == (
        Decimal("7.5"),
        "EUR",
    )


def test_numbers_are_refused_unless_the_channel_sends_numbers() -> None:
    with pytest.raises(MalformedRecordError, match=r"total\.amount"):
        money_object({"amount": 12.5, "currencyCode": "EUR"}, "total")
    assert money_object({"amount": 12.5, "currencyCode": "EUR"}, "total", numbers=True) == (
        Decimal("12.50"),
        "EUR",
    )
    assert money_object({"amount": 1200.0, "currencyCode": "JPY"}, "t", numbers=True)[0] == 1200


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False))
def test_numbers_round_trip_to_the_cent(amount: Decimal) -> None:
    value = {"amount": float(amount), "currencyCode": "EUR"}
    assert money_object(value, "t", numbers=True)[0] == amount


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (None, "'grandTotal' is missing"),
        ({"currencyCode": "USD"}, "'amount' is missing"),
        ({"amount": "1.00", "currencyCode": "US"}, "grandTotal.currencyCode"),
        ({"amount": "1.00"}, "grandTotal.currencyCode"),
        ({"amount": "abc", "currencyCode": "USD"}, "grandTotal.amount"),
        ([], "grandTotal: expected an object"),
    ],
)
def test_broken_money_is_refused_naming_the_field(value: Any, names: str) -> None:
    with pytest.raises(MalformedRecordError) as caught:
        money_object(value, "grandTotal")
    assert names in caught.value.message


def test_an_address_maps_keys_and_joins_the_later_street_lines() -> None:
    data = {
        "name": " Ada Example ",
        "line1": "",
        "line2": "Flat 2",
        "line3": "12 Sample Road",
        "town": "Exampleton",
        "cc": "GB",
    }
    got = address_from(
        data, "shipTo", lines=("line1", "line2", "line3"), name="name", city="town", country="cc"
    )
    assert got == Address(
        name="Ada Example",
        line1="Flat 2",
        line2="12 Sample Road",
        city="Exampleton",
        country="GB",
    )


def test_a_missing_or_blank_address_is_none_and_a_non_object_is_refused() -> None:
    assert address_from(None, "shipTo", name="name") is None
    assert address_from({"name": " "}, "shipTo", lines=("a",), name="name") is None
    with pytest.raises(MalformedRecordError, match="shipTo: expected an object, got str"):
        address_from("12 Sample Road", "shipTo", name="name")


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
