"""Reading an order record's parts: line lists, quantities, addresses, HTML-escaped text,
times, identifiers and flat line objects (LineFields)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import (
    Address,
    LineFields,
    MalformedRecordError,
    html_text,
    items_at,
    required_utc,
    texts_at,
)
from orderhub.sdk.records import address_from, identifiers_of, parse_quantity, person_name

# -- items_at ---------------------------------------------------------------------------


def test_items_come_with_the_name_messages_use() -> None:
    raw = {"lines": [{"id": 1}, {"id": 2}]}
    assert items_at(raw, "lines") == [("lines[0]", {"id": 1}), ("lines[1]", {"id": 2})]
    assert items_at({"lines": []}, "lines") == []


@pytest.mark.parametrize("raw", [{}, {"lines": None}, {"lines": {"id": 1}}, {"lines": "x"}, []])
def test_lines_that_are_not_a_list_are_refused(raw: Any) -> None:
    with pytest.raises(MalformedRecordError, match="'lines' is not a list"):
        items_at(raw, "lines")


def test_a_line_that_is_not_an_object_is_refused_by_its_position() -> None:
    with pytest.raises(MalformedRecordError, match=r"lines\[1\]: expected an object, got str"):
        items_at({"lines": [{"id": 1}, "oops"]}, "lines")


# -- parse_quantity ----------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**9))
def test_integers_are_quantities(value: int) -> None:
    assert parse_quantity(value, "qty") == value


@pytest.mark.parametrize("value", ["2", 1.5, 2.0, True, None, [1]])
def test_anything_but_an_integer_is_refused_naming_the_field(value: Any) -> None:
    with pytest.raises(MalformedRecordError, match=r"line\.quantity .* is not an integer"):
        parse_quantity(value, "line.quantity")


def test_negative_and_if_asked_zero_quantities_are_refused() -> None:
    with pytest.raises(MalformedRecordError, match="not a positive quantity"):
        parse_quantity(-1, "qty")
    with pytest.raises(MalformedRecordError, match="not a positive quantity"):
        parse_quantity(0, "qty", allow_zero=False)
    assert parse_quantity(0, "qty") == 0


# -- text, names, addresses -------------------------------------------------------------


def test_html_escaped_text_is_unescaped_and_cleaned() -> None:
    assert html_text(" Salt &amp; Pepper ") == "Salt & Pepper"
    assert html_text("Shirt &ndash; M") == "Shirt – M"
    assert html_text("&nbsp;") is None
    assert html_text(None) is None and html_text("  ") is None


def test_names_are_joined_from_the_parts_given() -> None:
    assert person_name(" Ada ", "Lovelace") == "Ada Lovelace"
    assert person_name(None, "Lovelace") == "Lovelace"
    assert person_name("", None) is None


def test_an_address_is_read_through_the_channels_keys() -> None:
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address_1": "1 Main St",
        "city": " Leeds ",
        "postcode": "LS1",
        "country": "GB",
        "email": "ada@example.com",
    }
    address = address_from(
        data, name=("first_name", "last_name"), line1="address_1", postal_code="postcode"
    )
    assert address == Address(
        name="Ada Lovelace",
        line1="1 Main St",
        city="Leeds",
        postal_code="LS1",
        country="GB",
        email="ada@example.com",
    )


@pytest.mark.parametrize("data", [None, "x", [], {}, {"city": "  ", "first_name": ""}])
def test_no_address_or_an_empty_one_gives_none(data: Any) -> None:
    assert address_from(data, name=("first_name", "last_name")) is None


def test_a_misspelt_address_field_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="postcode"):
        address_from({}, postcode="zip")


# -- times, identifiers, option texts ----------------------------------------------------


def test_a_required_time_is_read_or_refused_naming_its_key() -> None:
    raw = {"created": "2026-03-01T10:00:00", "zoned": "2026-03-01T11:00:00+01:00"}
    assert required_utc(raw, "created", naive_is_utc=True) == datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert required_utc(raw, "zoned") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(MalformedRecordError, match="required field 'updated'"):
        required_utc(raw, "updated")
    with pytest.raises(MalformedRecordError, match=r"created: .* no time zone"):
        required_utc(raw, "created")


def test_identifiers_keep_the_ids_that_are_set_as_text() -> None:
    item = {"product_id": 12, "variation_id": 0, "parent": None}
    assert identifiers_of(item, "product_id", "variation_id", "parent", "absent") == {
        "product_id": "12"
    }


def test_option_texts_skip_blanks_and_what_is_not_an_object() -> None:
    items = [{"option": " XL "}, {"option": ""}, "Red", {"name": "Colour"}, {"option": "Red"}]
    assert texts_at(items, "option") == ["XL", "Red"]
    assert texts_at(None, "option") == [] and texts_at({"option": "x"}, "option") == []


# -- LineFields --------------------------------------------------------------------------

SHOP_LINE = LineFields(
    subtotal="subtotal",
    total="total",
    identifiers=("product_id",),
    html_titles=True,
    absent_money="0",
)


def test_a_flat_line_is_read_with_the_unit_price_from_its_subtotal() -> None:
    item = {
        "id": 7,
        "quantity": 3,
        "sku": " TEE ",
        "name": "Tee &amp; Cap",
        "subtotal": "10.00",
        "total": "9.00",
        "product_id": 12,
    }
    line = SHOP_LINE.read(item, "line_items[0]", shipped=True)
    assert (line.external_id, line.quantity, line.sku, line.title) == ("7", 3, "TEE", "Tee & Cap")
    assert (line.unit_price, line.total) == (Decimal("3.33"), Decimal("9.00"))
    assert line.quantity_shipped == 3 and line.identifiers == {"product_id": "12"}
    assert SHOP_LINE.read(item, "line_items[0]").quantity_shipped == 0


def test_a_unit_price_field_and_a_currency_are_used_when_declared() -> None:
    fields = LineFields(unit_price="price", total="total", title="title")
    line = fields.read(
        {"id": "a", "quantity": 2, "price": 12.5, "total": 25, "title": "A &amp; B"},
        "items[0]",
        currency="EUR",
    )
    assert (line.unit_price, line.total, line.title) == (
        Decimal("12.50"),
        Decimal("25.00"),
        "A &amp; B",
    )


def test_absent_money_reads_as_declared() -> None:
    bare = {"id": 1, "quantity": 1}
    assert SHOP_LINE.read(bare, "l").total == Decimal("0")
    assert LineFields(total="total").read(bare, "l").total is None


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"id": None}, "line_items[0]: required field 'id'"),
        ({"quantity": "2"}, "line_items[0].quantity"),
        ({"subtotal": 1.5}, "line_items[0].subtotal"),
        ({"total": None}, "line_items[0].total"),
        ({"total": "lots"}, "line_items[0].total"),
    ],
)
def test_a_broken_line_is_refused_naming_the_field(change: dict[str, Any], fragment: str) -> None:
    item = {"id": 7, "quantity": 1, "subtotal": "1.00", "total": "1.00", **change}
    with pytest.raises(MalformedRecordError) as caught:
        SHOP_LINE.read(item, "line_items[0]")
    assert fragment in caught.value.message
