"""Reading the parts of a channel's order record: its lines, their quantities, addresses and
text the channel keeps HTML-escaped. Use them inside ``to_order``, next to
:mod:`orderhub.sdk.parsing`.

Each raises :class:`~orderhub.sdk.errors.MalformedRecordError` naming the field, so a bad
record is quarantined with a reason a person can act on, and never quotes buyer data.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from orderhub.sdk.drafts import Address
from orderhub.sdk.errors import MalformedRecordError
from orderhub.sdk.parsing import clean_address, clean_text, parse_utc, require

__all__ = [
    "address_from",
    "html_text",
    "identifiers_of",
    "items_at",
    "parse_quantity",
    "person_name",
    "required_utc",
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
