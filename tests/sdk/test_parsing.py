"""The SDK's small mapping helpers: clean_text, optional_object, clean_address and
unit_price_from_total (the connectors' mapping tests cover them through real orders too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import (
    Address,
    MalformedRecordError,
    clean_address,
    clean_text,
    minor_unit,
    optional_object,
    parse_amount,
    parse_epoch,
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


# -- money from strings or numbers, times from epochs -----------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("12.5", "EUR", "12.50"),
        (12.5, "EUR", "12.50"),
        (0.1, "USD", "0.10"),
        (19.999, "USD", "20.00"),
        (1200.0, "JPY", "1200"),
        ("1200", "jpy", "1200"),
        (3, "GBP", "3.00"),
        ("1.2345", "KWD", "1.235"),
        (2.675, "EUR", "2.68"),  # its shortest repr is 2.675: half-up, not float's 2.67
    ],
)
def test_parse_amount_reads_strings_and_numbers_to_the_minor_unit(
    value: Any, currency: str, expected: str
) -> None:
    amount = parse_amount(value, "total", currency)
    assert amount == Decimal(expected)
    assert str(amount) == expected


@pytest.mark.parametrize("value", [None, True, "abc", "", float("nan"), float("inf"), [1]])
def test_parse_amount_refuses_what_is_not_an_amount(value: Any) -> None:
    with pytest.raises(MalformedRecordError, match="total"):
        parse_amount(value, "total", "EUR")


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_parse_amount_keeps_every_two_decimal_amount_sent_as_a_float(value: Decimal) -> None:
    assert parse_amount(float(value), "total", "EUR") == value


def test_minor_units() -> None:
    assert (minor_unit("EUR"), minor_unit("JPY"), minor_unit("KWD"), minor_unit("xof")) == (
        2,
        0,
        3,
        0,
    )


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1767225600, "s", datetime(2026, 1, 1, tzinfo=UTC)),
        ("1767225600", "s", datetime(2026, 1, 1, tzinfo=UTC)),
        (1767225600.5, "s", datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)),
        (1767225600123, "ms", datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)),
        ("1767225600123", "ms", datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)),
    ],
)
def test_parse_epoch_reads_seconds_and_milliseconds(value: Any, unit: Any, expected: Any) -> None:
    parsed = parse_epoch(value, "created", unit=unit)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("value", [None, True, "yesterday", "", 10**30, float("nan")])
def test_parse_epoch_refuses_what_is_not_a_unix_time(value: Any) -> None:
    with pytest.raises(MalformedRecordError, match="created"):
        parse_epoch(value, "created")


def test_clean_address_upper_cases_the_country_code() -> None:
    address = clean_address(city="London", country=" gb ")
    assert address is not None and address.country == "GB"


def test_format_utc_writes_seconds_or_milliseconds() -> None:
    from orderhub.sdk import format_utc

    moment = datetime(2026, 1, 15, 13, 0, 0, 123_999, tzinfo=timezone(timedelta(hours=1)))
    assert format_utc(moment) == "2026-01-15T12:00:00Z"
    assert format_utc(moment, millis=True) == "2026-01-15T12:00:00.123Z"
    with pytest.raises(ValueError, match="naive"):
        format_utc(moment.replace(tzinfo=None), millis=True)
