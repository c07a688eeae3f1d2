"""Reading the parts of a channel's order record: its line items (:class:`LineFields`) and
its addresses. Use them inside ``to_order``, next to :mod:`orderhub.sdk.fields` (single
values) and :mod:`orderhub.sdk.parsing`.

Each raises :class:`~orderhub.sdk.errors.MalformedRecordError` naming the field, so a bad
record is quarantined with a reason a person can act on, and never quotes buyer data.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from orderhub.sdk.drafts import ADDRESS_FIELDS, Address, LineDraft
from orderhub.sdk.errors import MalformedRecordError
from orderhub.sdk.fields import html_text, parse_quantity, value_at
from orderhub.sdk.parsing import (
    clean_text,
    optional_object,
    parse_amount,
    parse_money,
    require,
    unit_price_from_total,
)

__all__ = [
    "AddressReader",
    "LineFields",
    "address_from",
    "address_reader",
    "first_address",
    "identifiers_of",
    "items_at",
    "person_name",
]


def items_at(raw: Any, key: str, where: str = "order") -> list[tuple[str, dict[str, Any]]]:
    """Each object of the list ``raw[key]`` (an order's line items), with the name to use
    for it in messages (``"line_items[0]"``).

    A missing or non-list ``raw[key]``, or an entry that is not an object, raises
    MalformedRecordError: an order whose lines cannot be read must not be stored without
    them.
    """
    items = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise MalformedRecordError(f"{where}: {key!r} is not a list")
    named = []
    for index, item in enumerate(items):
        name = f"{key}[{index}]"
        if not isinstance(item, dict):
            raise MalformedRecordError(f"{name}: expected an object, got {type(item).__name__}")
        named.append((name, item))
    return named


def person_name(*parts: Any) -> str | None:
    """A name from its parts (first name, last name...), blank parts left out."""
    return " ".join([text for text in map(clean_text, parts) if text]) or None


def address_from(
    data: Any, field: str = "", *, lines: Sequence[str] = (), **keys: str | tuple[str, ...]
) -> Address | None:
    """An :class:`~orderhub.sdk.drafts.Address` read from the channel's address object
    ``data``; None when it is missing or every part is blank (see
    :func:`~orderhub.sdk.parsing.clean_address`).

    ``keys`` map Address fields to the channel's keys, dotted paths into nested objects
    (``city="contactAddress.city"``, read by :func:`~orderhub.sdk.fields.value_at`); a
    tuple of keys is joined with spaces (``name=("first_name", "last_name")``). ``lines``
    are the channel's street-line keys in order: the first non-blank becomes ``line1``, the
    others, joined by ", ", ``line2``. Fields not given stay empty. ``data``, or an object
    on a path, that is not an object is refused naming ``field`` and the path.

    A connector that reads the same mapping for every order can build its reader once
    with :func:`address_reader` (the same result, without working out the mapping again).
    """
    return address_reader(lines=lines, **keys)(data, field)


def address_reader(*, lines: Sequence[str] = (), **keys: str | tuple[str, ...]) -> AddressReader:
    """:func:`address_from` with its mapping worked out once, for a module-level constant:
    ``read_address = address_reader(name=("first_name", "last_name"), city="city")``, then
    ``read_address(raw.get("billing"), "billing")`` in ``to_order``. Unknown Address
    fields raise TypeError here, when the connector is imported."""
    return _reader(tuple(lines), tuple(keys.items()))


@dataclass(frozen=True, slots=True)
class AddressReader:
    """Reads one channel's address objects (made by :func:`address_reader`). The plain
    keys, the joined names and the dotted paths are kept apart, so reading an address is
    one pass over its keys with nothing to decide per key."""

    #: (Address field, channel key) of the plain keys.
    plain: tuple[tuple[str, str], ...]
    #: (Address field, the keys joined with spaces) of the names read from parts.
    joined: tuple[tuple[str, tuple[str, ...]], ...]
    #: (Address field, dotted path) of the values in nested objects.
    nested: tuple[tuple[str, str], ...]
    #: The street-line keys (see :func:`address_from`).
    lines: tuple[str, ...]

    def __call__(self, data: Any, field: str = "") -> Address | None:
        section = optional_object(data, field or "address")
        if section is None:
            return None
        get = section.get
        cleaned: dict[str, str] = {}
        for name, key in self.plain:
            value = get(key)
            if value is not None:
                # clean_text, inline: this runs for every part of every address.
                text = (value if type(value) is str else str(value)).strip()
                if text:
                    cleaned[name] = text
        for name, parts in self.joined:
            # A name from its parts (dotted parts read by value_at).
            joined = person_name(
                *(
                    get(part) if "." not in part else value_at(section, part, field)
                    for part in parts
                )
            )
            if joined:
                cleaned[name] = joined
        for name, path in self.nested:
            found = clean_text(value_at(section, path, field))
            if found:
                cleaned[name] = found
        country = cleaned.get("country")
        if country is not None:
            cleaned["country"] = country.upper()
        if self.lines:
            street = [text for text in (clean_text(get(key)) for key in self.lines) if text]
            # The street lines replace any line1/line2 given as keys, as they always have.
            cleaned.pop("line1", None)
            cleaned.pop("line2", None)
            if street:
                cleaned["line1"] = street[0]
                if len(street) > 1:
                    cleaned["line2"] = ", ".join(street[1:])
        # Only the non-empty parts are passed: an address of nothing is no address at all.
        return Address(**cleaned) if cleaned else None


@functools.lru_cache(maxsize=256)
def _reader(
    lines: tuple[str, ...], keys: tuple[tuple[str, str | tuple[str, ...]], ...]
) -> AddressReader:
    unknown = {name for name, _ in keys} - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"not Address fields: {', '.join(sorted(unknown))}")
    plain: list[tuple[str, str]] = []
    joined: list[tuple[str, tuple[str, ...]]] = []
    nested: list[tuple[str, str]] = []
    for name, key in keys:
        if isinstance(key, tuple):
            joined.append((name, key))
        elif "." in key:
            nested.append((name, key))
        else:
            plain.append((name, key))
    return AddressReader(tuple(plain), tuple(joined), tuple(nested), lines)


def first_address(items: Any, where: str, contact: str, **keys: str) -> Address | None:
    """The first non-empty :func:`address_from` among the objects of the list ``items`` (a
    channel's delivery steps), each read at the dotted ``contact`` path; steps without
    one (an in-store pickup, a digital delivery) are skipped."""
    for index, item in enumerate(items if isinstance(items, list) else []):
        step = f"{where}[{index}]"
        found = address_from(value_at(item, contact, step), f"{step}.{contact}", **keys)
        if found is not None:
            return found
    return None


def identifiers_of(item: dict[str, Any], *keys: str) -> dict[str, str]:
    """The channel's ids at ``keys`` of ``item`` that are set, as text
    (``{"product_id": "101"}``), for a line's or a catalog item's ``identifiers``."""
    return {key: str(item[key]) for key in keys if item.get(key)}


@dataclass(frozen=True)
class LineFields:
    """Where a channel keeps the fields of a flat line-item object, and how to read them;
    :meth:`read` makes the :class:`~orderhub.sdk.drafts.LineDraft`.

    ``unit_price`` is the key of one unit's price; without it the unit price is ``subtotal``
    (all units, before discounts) divided by the quantity, rounded as
    :func:`~orderhub.sdk.parsing.unit_price_from_total` does. ``total`` is what the line
    costs after discounts. ``identifiers`` are keys of the channel's ids kept with the line
    (product and variation ids). ``html_titles`` unescapes titles the channel keeps
    HTML-escaped. ``absent_money`` is read for a money field the line leaves out (``"0"``);
    None reads no amount. Quantities must be JSON integers (:func:`parse_quantity`).
    """

    id: str = "id"
    quantity: str = "quantity"
    sku: str = "sku"
    title: str = "name"
    unit_price: str | None = None
    subtotal: str | None = None
    total: str | None = None
    identifiers: tuple[str, ...] = ()
    html_titles: bool = False
    absent_money: str | None = None

    def read(
        self, item: dict[str, Any], where: str, *, shipped: bool = False, currency: str = ""
    ) -> LineDraft:
        """The line ``item``, named ``where`` in messages (``"line_items[0]"``).

        ``shipped`` counts every unit as shipped (the order's status says so). Money is
        parsed with :func:`~orderhub.sdk.parsing.parse_money` (amounts as sent), or with
        :func:`~orderhub.sdk.parsing.parse_amount` rounded to ``currency`` when given.
        """
        line_id = require(item, self.id, where)
        quantity = item.get(self.quantity)
        if type(quantity) is not int or quantity < 0:
            # The field's name is only put together for a quantity that is refused.
            quantity = parse_quantity(quantity, f"{where}.{self.quantity}")
        unit_price = self._money(item, self.unit_price, where, currency)
        if self.unit_price is None:
            subtotal = self._money(item, self.subtotal, where, currency)
            unit_price = unit_price_from_total(subtotal, quantity)
        title = item.get(self.title)
        return LineDraft(
            external_id=str(line_id),
            quantity=quantity,
            sku=clean_text(item.get(self.sku)),
            title=html_text(title) if self.html_titles else clean_text(title),
            unit_price=unit_price,
            total=self._money(item, self.total, where, currency),
            quantity_shipped=quantity if shipped else 0,
            identifiers=identifiers_of(item, *self.identifiers),
        )

    def _money(
        self, item: dict[str, Any], key: str | None, where: str, currency: str
    ) -> Decimal | None:
        if key is None:
            return None
        if key not in item and self.absent_money is None:
            return None
        value = item.get(key, self.absent_money)
        try:
            return parse_amount(value, key, currency) if currency else parse_money(value, key)
        except MalformedRecordError:
            # Name the field in full only for a refused amount: the same parse again, which
            # raises with ``where`` (most amounts are fine, and the label costs every line).
            field = f"{where}.{key}"
            return parse_amount(value, field, currency) if currency else parse_money(value, field)
