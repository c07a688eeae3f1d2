"""The SDK's small mapping helpers: clean_text, optional_object, clean_address and
unit_price_from_total (the connectors' mapping tests cover them through real orders too)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orderhub.sdk import (
    Address,
    MalformedRecordError,
    clean_address,
    clean_text,
    optional_object,
    unit_price_from_total,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("  \t\n", None),
        ("  Test Buyer ", "Test Buyer"),
        (12345, "12345"),
        ("MUG-BLACK", "MUG-BLACK"),
    ],
)
def test_clean_text_strips_and_turns_blank_into_none(value: Any, expected: str | None) -> None:
    assert clean_text(value) == expected


def test_optional_object_passes_objects_and_none() -> None:
    data = {"a": 1}
    assert optional_object(data, "x") is data
    assert optional_object(None, "x") is None


@pytest.mark.parametrize("value", [[1], "text", 3, 1.5, True])
def test_optional_object_refuses_anything_else_naming_the_field(value: Any) -> None:
    with pytest.raises(MalformedRecordError) as caught:
        optional_object(value, "order.shipTo")
    assert "order.shipTo" in caught.value.message
    assert type(value).__name__ in caught.value.message


def test_clean_address_cleans_every_field() -> None:
    address = clean_address(name=" Test Buyer ", line1="1 Example Street", line2="  ", city=None)
    assert address == Address(name="Test Buyer", line1="1 Example Street")


@pytest.mark.parametrize("fields", [{}, {"name": "", "country": None}, {"phone": "   "}])
def test_an_address_with_nothing_in_it_is_none(fields: dict[str, Any]) -> None:
    assert clean_address(**fields) is None


def test_clean_address_refuses_a_field_addresses_do_not_have() -> None:
    with pytest.raises(TypeError):
        clean_address(street="1 Example Street")


@pytest.mark.parametrize(
    ("total", "quantity", "expected"),
    [
        ("10.00", 3, "3.33"),
        ("24.00", 2, "12.00"),
        ("20.250", 2, "10.125"),  # three-decimal currencies keep their precision
        ("4500", 3, "1500.00"),
        ("0.05", 2, "0.02"),  # banker's rounding, as Decimal.quantize does by default
    ],
)
def test_unit_price_from_total_rounds_to_the_cent_or_finer(
    total: str, quantity: int, expected: str
) -> None:
    assert str(unit_price_from_total(Decimal(total), quantity)) == expected


@pytest.mark.parametrize(("total", "quantity"), [(None, 2), (Decimal("9.99"), 0)])
def test_no_unit_price_without_a_total_or_a_quantity(total: Decimal | None, quantity: int) -> None:
    assert unit_price_from_total(total, quantity) is None
