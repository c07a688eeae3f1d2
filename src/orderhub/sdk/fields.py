"""Readers for the record fields most channels share: quantities, money objects and
addresses spread over a record's keys. Use them inside ``to_order``.

Each raises :class:`~orderhub.sdk.errors.MalformedRecordError` naming the field, like the
parsers of :mod:`orderhub.sdk.parsing`, so a bad value quarantines the record with a reason
a person can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from orderhub.sdk.drafts import Address
from orderhub.sdk.errors import MalformedRecordError
from orderhub.sdk.parsing import (
    clean_address,
    clean_text,
    optional_object,
    parse_amount,
    parse_money,
)

__all__ = ["address_from", "money_object", "parse_quantity", "value_at"]


def parse_quantity(value: Any, field: str, *, allow_zero: bool = False) -> int:
    """A JSON integer count of units: positive, or zero too with ``allow_zero``. Booleans,
    floats and strings are refused, naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedRecordError(f"{field}: {str(value)[:20]!r} is not an integer")
    if value < 0 or (value == 0 and not allow_zero):
        raise MalformedRecordError(f"{field}: {value} is not a positive quantity")
    return value


def money_object(
    value: Any,
    field: str,
    *,
    amount: str = "amount",
    currency: str = "currencyCode",
    numbers: bool = False,
) -> tuple[Decimal, str]:
    """A money object such as Amazon's ``{"amount": "12.34", "currencyCode": "USD"}`` or
    eBay's ``{"value": "12.34", "currency": "USD"}`` (name the keys with ``amount`` and
    ``currency``) as a Decimal and its upper-case ISO 4217 code.

    The amount is read with :func:`parse_money` (strings, kept exact), or with
    :func:`parse_amount` when ``numbers`` says the channel sends JSON numbers (rounded to
    the currency's minor unit). A missing object, amount or currency is refused.
    """
    money = optional_object(value, field)
    if money is None:
        raise MalformedRecordError(f"order: required field {field!r} is missing")
    code = money.get(currency)
    if not isinstance(code, str) or len(code.strip()) != 3:
        raise MalformedRecordError(f"{field}.{currency}: {str(code)[:8]!r} is not ISO 4217")
    code = code.strip().upper()
    raw = money.get(amount)
    if raw is None or raw == "":
        raise MalformedRecordError(f"{field}: required field {amount!r} is missing")
    where = f"{field}.{amount}"
    return (parse_amount(raw, where, code) if numbers else parse_money(raw, where)), code


def address_from(
    data: Any, field: str, *, lines: Sequence[str] = (), **keys: str
) -> Address | None:
    """An :class:`Address` from the object ``data`` (None when it is missing or every part
    is blank). ``keys`` map Address fields to the channel's keys (``city="city",
    region="stateOrRegion"``); ``lines`` are the channel's street-line keys in order, of
    which the first non-blank becomes ``line1`` and the others, joined by ", ", ``line2``.
    Anything but an object is refused, naming ``field``."""
    section = optional_object(data, field)
    if section is None:
        return None
    street = [text for text in (clean_text(section.get(key)) for key in lines) if text]
    values: dict[str, Any] = {name: section.get(key) for name, key in keys.items()}
    if lines:
        values["line1"] = street[0] if street else None
        values["line2"] = ", ".join(street[1:])
    return clean_address(**values)


def value_at(record: Any, path: str, where: str = "") -> Any:
    """The value at the dotted ``path`` of the object ``record``
    (``value_at(item, "product.price.unitPrice", "orderItems[0]")``), or None when a part
    of the path is missing. ``record``, or a part on the way, that is there but not an
    object is refused, naming it (``orderItems[0].product: expected an object, got list``).
    ``where`` names ``record`` in messages (default: the order itself)."""
    keys = path.split(".")
    value = record
    for depth, key in enumerate(keys):
        field = ".".join(part for part in (where, *keys[:depth]) if part) or "order"
        section = optional_object(value, field)
        if section is None:
            return None
        value = section.get(key)
    return value
