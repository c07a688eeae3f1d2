"""Readers for the shapes to_order meets (sdk/fields.py): money objects, known enumeration
values, quantities, addresses over nested objects, required objects and lists, first texts.
Each refuses a bad value naming the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import (
    Address,
    MalformedRecordError,
    address_at,
    first_address,
    first_text,
    known_value,
    money_at,
    money_object,
    quantity_of,
    required_list,
    required_object,
)


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


@pytest.mark.parametrize("value", [True, 1.0, "2", None])
def test_a_quantity_is_a_json_integer(value: Any) -> None:
    with pytest.raises(MalformedRecordError, match=r"lines\[0\]\.quantity"):
        quantity_of(value, "lines[0].quantity")
    assert quantity_of(3, "q") == 3


def test_required_objects_and_lists() -> None:
    assert required_object({"a": 1}, "x") == {"a": 1}
    with pytest.raises(MalformedRecordError, match="x: required object is missing"):
        required_object(None, "x")
    assert required_list([], "items") == []
    with pytest.raises(MalformedRecordError, match="items: required list is missing"):
        required_list({"a": 1}, "items")
    with pytest.raises(MalformedRecordError, match="items: the order has no lines"):
        required_list([], "items", empty="the order has no lines")


CONTACT = {"name": "fullName", "line1": "address.line1", "country": "address.country"}


def test_an_address_is_read_over_nested_objects() -> None:
    contact = {
        "fullName": " Test Buyer ",
        "address": {"line1": "1 Example Street", "country": "US"},
    }
    assert address_at(contact, "shipTo", **CONTACT) == Address(
        name="Test Buyer", line1="1 Example Street", country="US"
    )
    assert address_at({"fullName": "A"}, "shipTo", **CONTACT) == Address(name="A")
    assert address_at({"fullName": " "}, "shipTo", **CONTACT) is None
    assert address_at(None, "shipTo", **CONTACT) is None
    with pytest.raises(MalformedRecordError, match=r"shipTo\.address: expected an object"):
        address_at({"address": "1 Example Street"}, "shipTo", **CONTACT)


def test_the_first_step_with_an_address_gives_it() -> None:
    steps = [
        {"pickup": {"store": "S1"}},
        None,
        {"shipping": {"to": {"fullName": "Test Buyer"}}},
        {"shipping": {"to": {"fullName": "Someone Else"}}},
    ]
    found = first_address(steps, "steps", "shipping.to", **CONTACT)
    assert found == Address(name="Test Buyer")
    assert first_address("not a list", "steps", "shipping.to", **CONTACT) is None
    with pytest.raises(MalformedRecordError, match=r"steps\[0\]\.shipping"):
        first_address([{"shipping": []}], "steps", "shipping.to", **CONTACT)


def test_the_first_text_among_items() -> None:
    items = ["x", {"b": " "}, {"a": None, "b": "EBAY_US"}, {"a": "EBAY_DE"}]
    assert first_text(items, "a", "b") == "EBAY_US"
    assert first_text([], "a") is None
