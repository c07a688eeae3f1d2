"""Reading an order record's parts (sdk/records.py): line lists, addresses over flat or
nested keys, identifiers and flat line objects (LineFields)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import (
    Address,
    LineFields,
    MalformedRecordError,
    address_from,
    address_reader,
    clean_address,
    first_address,
    items_at,
)
from orderhub.sdk.records import identifiers_of, person_name

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


# -- names, addresses -------------------------------------------------------------


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
        data,
        name=("first_name", "last_name"),
        line1="address_1",
        postal_code="postcode",
        city="city",
        country="country",
        email="email",
    )
    assert address == Address(
        name="Ada Lovelace",
        line1="1 Main St",
        city="Leeds",
        postal_code="LS1",
        country="GB",
        email="ada@example.com",
    )


@pytest.mark.parametrize("data", [None, {}, {"city": "  ", "first_name": ""}])
def test_no_address_or_an_empty_one_gives_none(data: Any) -> None:
    assert address_from(data, name=("first_name", "last_name"), city="city") is None


@pytest.mark.parametrize("data", ["x", []])
def test_an_address_that_is_not_an_object_is_refused_naming_it(data: Any) -> None:
    with pytest.raises(MalformedRecordError, match=r"^billing: expected an object"):
        address_from(data, "billing", name="name")


def test_a_misspelt_address_field_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="postcode"):
        address_from({}, postcode="zip")


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
    with pytest.raises(MalformedRecordError, match=r"shipTo\.address: expected an object"):
        address_from({"address": "1 Example Street"}, "shipTo", **CONTACT)


CONTACT = {"name": "fullName", "line1": "address.line1", "country": "address.country"}


def test_an_address_is_read_over_nested_objects() -> None:
    contact = {
        "fullName": " Test Buyer ",
        "address": {"line1": "1 Example Street", "country": "US"},
    }
    assert address_from(contact, "shipTo", **CONTACT) == Address(
        name="Test Buyer", line1="1 Example Street", country="US"
    )
    assert address_from({"fullName": "A"}, "shipTo", **CONTACT) == Address(name="A")
    assert address_from({"fullName": " "}, "shipTo", **CONTACT) is None
    assert address_from(None, "shipTo", **CONTACT) is None


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


def test_street_lines_replace_line_keys_and_name_parts_may_be_dotted() -> None:
    data = {"person": {"first": " Ada "}, "last": "Example", "l1": "x", "s1": " ", "s2": "Road"}
    got = address_from(
        data, "shipTo", lines=("s1", "s2"), name=("person.first", "last"), line1="l1"
    )
    assert got == Address(name="Ada Example", line1="Road")
    assert address_from({"l1": "x", "s1": ""}, lines=("s1",), line1="l1") is None
    with pytest.raises(MalformedRecordError, match=r"^shipTo\.person: expected an object"):
        address_from({"person": "Ada"}, "shipTo", name=("person.first", "last"))


def test_address_parts_are_text_and_the_country_upper_case() -> None:
    got = address_from({"zip": 12345, "cc": " gb ", "city": "\t"}, postal_code="zip", country="cc")
    assert got == Address(postal_code="12345", country="GB")


# -- identifiers ----------------------------------------------------


def test_identifiers_keep_the_ids_that_are_set_as_text() -> None:
    item = {"product_id": 12, "variation_id": 0, "parent": None}
    assert identifiers_of(item, "product_id", "variation_id", "parent", "absent") == {
        "product_id": "12"
    }


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


def test_a_title_is_unescaped_only_where_it_has_a_reference() -> None:
    item = {"id": 1, "quantity": 1, "name": " &nbsp; "}
    assert SHOP_LINE.read(item, "l").title is None
    assert SHOP_LINE.read({**item, "name": " Plain < title > "}, "l").title == "Plain < title >"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"id": None}, "line_items[0]: required field 'id'"),
        ({"quantity": "2"}, "line_items[0].quantity"),
        ({"subtotal": 1.5}, "line_items[0].subtotal"),
        ({"total": None}, "line_items[0].total"),
        ({"total": "lots"}, "line_items[0].total"),
        ({"total": "Infinity"}, "line_items[0].total: 'Infinity' is not a finite number"),
        ({"quantity": -1}, "line_items[0].quantity: -1 is not a positive quantity"),
        ({"quantity": True}, "line_items[0].quantity: 'True' is not an integer"),
    ],
)
def test_a_broken_line_is_refused_naming_the_field(change: dict[str, Any], fragment: str) -> None:
    item = {"id": 7, "quantity": 1, "subtotal": "1.00", "total": "1.00", **change}
    with pytest.raises(MalformedRecordError) as caught:
        SHOP_LINE.read(item, "line_items[0]")
    assert fragment in caught.value.message


# -- address_reader -------------------------------------------------------------------

WOO_KEYS: dict[str, Any] = {
    "name": ("first_name", "last_name"),
    "line1": "address_1",
    "city": "city",
    "country": "country",
    "email": "email",
}
_part = st.one_of(st.none(), st.text(max_size=8), st.integers(-5, 5))


@given(
    st.fixed_dictionaries(
        {},
        optional={
            key: _part for key in ("first_name", "last_name", "address_1", "city", "country")
        },
    )
)
def test_a_reader_reads_what_address_from_and_clean_address_read(data: dict[str, Any]) -> None:
    """The reader inlines clean_text and person_name: the same address as the general
    functions give for any values (blank, padded, numbers, missing)."""
    reader = address_reader(**WOO_KEYS)
    expected = clean_address(
        name=person_name(data.get("first_name"), data.get("last_name")),
        line1=data.get("address_1"),
        city=data.get("city"),
        country=data.get("country"),
    )
    assert reader(data, "billing") == expected
    assert address_from(data, "billing", **WOO_KEYS) == expected


def test_a_reader_is_built_once_per_mapping_and_refuses_unknown_fields_at_once() -> None:
    assert address_reader(**WOO_KEYS) is address_reader(**WOO_KEYS)
    with pytest.raises(TypeError, match="postcode"):
        address_reader(postcode="zip")
    with pytest.raises(MalformedRecordError, match=r"^billing: expected an object"):
        address_reader(**WOO_KEYS)(["1 Main St"], "billing")
