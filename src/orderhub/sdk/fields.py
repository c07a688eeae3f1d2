"""Readers for the shapes ``to_order`` meets in every channel's JSON: money objects
(``{"value": "12.34", "currency": "USD"}``), enumerations that must be known, integer
quantities, addresses spread over nested objects, the first text among items.

Like :mod:`orderhub.sdk.parsing` (which they build on), each raises
:class:`~orderhub.sdk.errors.MalformedRecordError` naming the field, so a bad record is
quarantined with a reason a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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

__all__ = [
    "address_at",
    "first_address",
    "first_text",
    "known_value",
    "money_at",
    "money_object",
    "quantity_of",
    "required_list",
    "required_object",
]


def money_object(
    value: Any,
    field: str,
    *,
    currency: str | None = None,
    amount_key: str = "value",
    currency_key: str = "currency",
    numbers: bool = False,
) -> tuple[Decimal, str]:
    """A money object (``{amount_key: "12.34", currency_key: "USD"}``) as a Decimal and its
    upper-case ISO currency code. Amounts are strings (:func:`parse_money`); with
    ``numbers=True`` JSON numbers are accepted too and rounded to the currency's minor unit
    (:func:`parse_amount`). With ``currency`` (the order's), a different currency is refused.
    A missing object is refused: pass optional ones only when present."""
    data = required_object(value, field)
    where, raw, code = f"{field}.{amount_key}", data.get(amount_key), data.get(currency_key)
    money = None if numbers else parse_money(raw, where)
    if not isinstance(code, str) or len(code.strip()) != 3:
        raise MalformedRecordError(f"{field}.{currency_key}: {str(code)[:10]!r} is not a currency")
    code = code.strip().upper()
    if money is None:
        money = parse_amount(raw, where, code)
    if currency is not None and code != currency:
        raise MalformedRecordError(
            f"{field}.{currency_key}: {code} differs from the order's currency {currency}"
        )
    return money, code


def known_value(
    raw: Mapping[str, Any],
    key: str,
    allowed: Sequence[str],
    *,
    default: str | None = None,
    field: str | None = None,
    channel: str = "the channel",
) -> str:
    """``raw[key]`` when it is one of ``allowed``. A missing value is ``default``, or refused
    without one; an unknown value is refused naming the field (``field``, default ``key``)
    and the known values (never guessed), with a fix saying ``channel`` added a value."""
    value = raw.get(key) if isinstance(raw, Mapping) else None
    if value is None or value == "":
        if default is None:
            raise MalformedRecordError(f"order: required field {key!r} is missing")
        value = default
    if value not in allowed:
        raise MalformedRecordError(
            f"{field or key}: unknown value {str(value)[:40]!r} (known: {', '.join(allowed)})",
            fix=f"Report it to orderhub's maintainers: {channel} added a value the connector "
            "does not know yet. The raw order is kept in `orderhub failures`.",
        )
    return str(value)


def required_object(value: Any, field: str) -> dict[str, Any]:
    """``value`` when it is a JSON object; missing or anything else is refused naming
    ``field``."""
    found = optional_object(value, field)
    if found is None:
        raise MalformedRecordError(f"{field}: required object is missing")
    return found


def required_list(value: Any, field: str, *, empty: str | None = None) -> list[Any]:
    """``value`` when it is a JSON list; missing or anything else is refused naming
    ``field``, and so is an empty list when ``empty`` says why it cannot be
    (``"the order has no line items"``)."""
    if not isinstance(value, list):
        raise MalformedRecordError(f"{field}: required list is missing")
    if not value and empty is not None:
        raise MalformedRecordError(f"{field}: {empty}")
    return value


def quantity_of(value: Any, field: str) -> int:
    """A quantity sent as a JSON integer (not a boolean, a float or a string)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedRecordError(f"{field}: {str(value)[:20]!r} is not an integer")
    return value


def _at(data: Mapping[str, Any], path: str, where: str) -> Any:
    value: Any = data
    walked = where
    for part in path.split("."):
        if value is None:
            return None
        value = optional_object(value, walked)
        value = None if value is None else value.get(part)
        walked = f"{walked}.{part}"
    return value


def money_at(data: Mapping[str, Any], key: str, where: str, *, currency: str) -> Decimal | None:
    """The optional money object ``data[key]`` (see :func:`money_object`) in the order's
    ``currency``; None when it is missing."""
    value = data.get(key)
    return None if value is None else money_object(value, f"{where}.{key}", currency=currency)[0]


def first_address(items: Any, where: str, contact: str, **paths: str) -> Address | None:
    """The first non-empty :func:`address_at` among the objects of the list ``items`` (a
    channel's delivery steps), each read at the dotted ``contact`` path; steps without
    one (an in-store pickup, a digital delivery) are skipped."""
    for index, item in enumerate(items if isinstance(items, list) else []):
        step = f"{where}[{index}]"
        data = optional_object(item, step) or {}
        found = address_at(_at(data, contact, step), f"{step}.{contact}", **paths)
        if found is not None:
            return found
    return None


def address_at(data: Any, where: str, **paths: str) -> Address | None:
    """An :class:`Address` read from ``data`` with one dotted path per address field
    (``line1="contactAddress.addressLine1"``); objects on the way that are missing give
    empty fields, ones that are not objects are refused naming ``where`` and the path.
    None when every field is empty (see :func:`clean_address`)."""
    found = optional_object(data, where)
    if found is None:
        return None
    return clean_address(**{name: _at(found, path, where) for name, path in paths.items()})


def first_text(items: Iterable[Any], *keys: str) -> str | None:
    """The first non-blank text at one of ``keys`` (tried in order on each item) among the
    objects of ``items``; None when there is none."""
    for item in items:
        if isinstance(item, Mapping):
            for key in keys:
                text = clean_text(item.get(key))
                if text:
                    return text
    return None
