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
    "LineFields",
    "address_from",
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
    return " ".join(text for text in map(clean_text, parts) if text) or None


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
    """
    plan = _address_plan(tuple(lines), tuple(keys.items()))
    section = optional_object(data, field or "address")
    if section is None:
        return None
    get = section.get
    cleaned: dict[str, str] = {}
    for name, key, parts in plan.parts:
        if parts is None:
            value = get(key)
        elif parts:
            # A name from its parts (dotted parts read by value_at).
            value = person_name(
                *(
                    get(part) if "." not in part else value_at(section, part, field)
                    for part in parts
                )
            )
        else:
            value = value_at(section, key, field)
        text = clean_text(value)
        if text:
            cleaned[name] = text.upper() if name == "country" else text
    if plan.lines:
        street = [text for text in (clean_text(get(key)) for key in plan.lines) if text]
        # The street lines replace any line1/line2 given as keys, as they always have.
        cleaned.pop("line1", None)
        cleaned.pop("line2", None)
        if street:
            cleaned["line1"] = street[0]
            if len(street) > 1:
                cleaned["line2"] = ", ".join(street[1:])
    # Only the non-empty parts are passed: an address of nothing is no address at all.
    return Address(**cleaned) if cleaned else None


@dataclass(frozen=True, slots=True)
class _AddressPlan:
    """How :func:`address_from` reads one mapping of keys, worked out once: each part as
    (Address field, key, None for a plain key | the keys of a joined name | () for a
    dotted path), and the street-line keys."""

    parts: tuple[tuple[str, str, tuple[str, ...] | None], ...]
    lines: tuple[str, ...]


@functools.lru_cache(maxsize=256)
def _address_plan(
    lines: tuple[str, ...], keys: tuple[tuple[str, str | tuple[str, ...]], ...]
) -> _AddressPlan:
    unknown = {name for name, _ in keys} - set(ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"not Address fields: {', '.join(sorted(unknown))}")
    parts: list[tuple[str, str, tuple[str, ...] | None]] = []
    for name, key in keys:
        if isinstance(key, tuple):
            parts.append((name, "", key))
        elif "." in key:
            parts.append((name, key, ()))
        else:
            parts.append((name, key, None))
    return _AddressPlan(tuple(parts), lines)


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

        def parse(field: str) -> Decimal | None:
            return parse_amount(value, field, currency) if currency else parse_money(value, field)

        try:
            return parse(key)
        except MalformedRecordError:
            # Name the field in full only for a refused amount: the same parse again, which
            # raises with ``where`` (most amounts are fine, and the label costs every line).
            return parse(f"{where}.{key}")
