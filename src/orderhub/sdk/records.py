"""Reading the parts of a channel's order record: its lines, their quantities, addresses and
text the channel keeps HTML-escaped. Use them inside ``to_order``, next to
:mod:`orderhub.sdk.parsing`.

Each raises :class:`~orderhub.sdk.errors.MalformedRecordError` naming the field, so a bad
record is quarantined with a reason a person can act on, and never quotes buyer data.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from orderhub.sdk.drafts import Address, LineDraft
from orderhub.sdk.errors import MalformedRecordError
from orderhub.sdk.parsing import (
    clean_address,
    clean_text,
    parse_amount,
    parse_money,
    parse_utc,
    require,
    unit_price_from_total,
)

__all__ = [
    "LineFields",
    "address_from",
    "html_text",
    "identifiers_of",
    "items_at",
    "parse_quantity",
    "person_name",
    "required_utc",
    "texts_at",
]

#: The fields of :class:`~orderhub.sdk.drafts.Address`, in its order.
_ADDRESS_FIELDS = (
    "name",
    "company",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
    "email",
)


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


def parse_quantity(value: Any, field: str, *, allow_zero: bool = True) -> int:
    """A unit count sent as a JSON integer. Anything else (a string, a float, a boolean, a
    negative number, or zero with ``allow_zero=False``) raises MalformedRecordError naming
    ``field``: a quantity is never guessed."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedRecordError(f"{field} {str(value)[:20]!r} is not an integer")
    if value < 0 or (value == 0 and not allow_zero):
        raise MalformedRecordError(f"{field} {value} is not a positive quantity")
    return value


def html_text(value: Any) -> str | None:
    """Text a channel keeps HTML-escaped (WordPress's ``"Salt &amp; Pepper"``), unescaped
    and cleaned as :func:`~orderhub.sdk.parsing.clean_text` does; None when blank."""
    text = clean_text(value)
    return clean_text(html.unescape(text)) if text else None


def person_name(*parts: Any) -> str | None:
    """A name from its parts (first name, last name...), blank parts left out."""
    return " ".join(text for text in map(clean_text, parts) if text) or None


def address_from(data: Any, **keys: str | tuple[str, ...]) -> Address | None:
    """An :class:`~orderhub.sdk.drafts.Address` read from the channel's address object.

    ``keys`` maps Address fields to the channel's keys (``line1="address_1"``); a tuple of
    keys is joined with spaces (``name=("first_name", "last_name")``). A field that is not
    given is read from the key of its own name (``city``, ``phone``...). None when ``data``
    is not an object or holds no address at all.
    """
    if not isinstance(data, dict):
        return None
    unknown = set(keys) - set(_ADDRESS_FIELDS)
    if unknown:
        raise TypeError(f"not Address fields: {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = {}
    for name in _ADDRESS_FIELDS:
        key = keys.get(name, name)
        if isinstance(key, tuple):
            fields[name] = person_name(*(data.get(part) for part in key))
        else:
            fields[name] = data.get(key)
    return clean_address(**fields)


def required_utc(raw: dict[str, Any], key: str, *, naive_is_utc: bool = False) -> datetime:
    """The time at ``raw[key]`` (ISO 8601, see :func:`~orderhub.sdk.parsing.parse_utc`),
    required: a missing or unreadable one raises MalformedRecordError naming ``key``."""
    return parse_utc(require(raw, key), key, naive_is_utc=naive_is_utc)


def identifiers_of(item: dict[str, Any], *keys: str) -> dict[str, str]:
    """The channel's ids at ``keys`` of ``item`` that are set, as text
    (``{"product_id": "101"}``), for a line's or a catalog item's ``identifiers``."""
    return {key: str(item[key]) for key in keys if item.get(key)}


def texts_at(items: Any, key: str) -> list[str]:
    """The text at ``key`` of each object in the list ``items``, blank ones left out (a
    variant's option values from its attributes). Anything that is not a list gives none."""
    if not isinstance(items, list):
        return []
    found = (clean_text(item.get(key)) for item in items if isinstance(item, dict))
    return [text for text in found if text]


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
        quantity = parse_quantity(item.get(self.quantity), f"{where}.{self.quantity}")
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
        field = f"{where}.{key}"
        return parse_amount(value, field, currency) if currency else parse_money(value, field)
