"""Readers for the values ``to_order`` meets in every channel's JSON: a value at a dotted
path, money objects (``{"value": "12.34", "currency": "USD"}``), integer quantities,
enumerations that must be known, required objects and lists, times, and text (HTML-escaped
or the first among items). Addresses and line items are read by :mod:`orderhub.sdk.records`.

Like :mod:`orderhub.sdk.parsing` (which they build on), each raises
:class:`~orderhub.sdk.errors.MalformedRecordError` naming the field, so a bad record is
quarantined with a reason a person can act on, and never quotes buyer data.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from orderhub.sdk.errors import MalformedRecordError
from orderhub.sdk.parsing import (
    clean_text,
    optional_object,
    parse_amount,
    parse_money,
    parse_utc,
    require,
)

__all__ = [
    "first_text",
    "html_text",
    "known_value",
    "money_at",
    "money_object",
    "parse_quantity",
    "required_list",
    "required_object",
    "required_utc",
    "texts_at",
    "value_at",
]


def value_at(record: Any, path: str, where: str = "") -> Any:
    """The value at the dotted ``path`` of the object ``record``
    (``value_at(item, "product.price.unitPrice", "orderItems[0]")``), or None when a part
    of the path is missing. ``record``, or a part on the way, that is there but not an
    object is refused, naming it (``orderItems[0].product: expected an object, got list``).
    ``where`` names ``record`` in messages (default: the order itself)."""
    if "." not in path:
        # One key (most paths): no list of parts, no field name unless it is needed.
        section = optional_object(record, where or "order")
        return None if section is None else section.get(path)
    keys = path.split(".")
    value = record
    for depth, key in enumerate(keys):
        field = ".".join(part for part in (where, *keys[:depth]) if part) or "order"
        section = optional_object(value, field)
        if section is None:
            return None
        value = section.get(key)
    return value


def parse_quantity(value: Any, field: str, *, allow_zero: bool = True) -> int:
    """A unit count sent as a JSON integer. Anything else (a string, a float, a boolean, a
    negative number, or zero with ``allow_zero=False``) raises MalformedRecordError naming
    ``field``: a quantity is never guessed."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedRecordError(f"{field}: {str(value)[:20]!r} is not an integer")
    if value < 0 or (value == 0 and not allow_zero):
        raise MalformedRecordError(f"{field}: {value} is not a positive quantity")
    return value


def money_object(
    value: Any,
    field: str,
    *,
    currency: str | None = None,
    amount_key: str = "value",
    currency_key: str = "currency",
    numbers: bool = False,
) -> tuple[Decimal, str]:
    """A money object (eBay's ``{"value": "12.34", "currency": "USD"}``; name other keys
    with ``amount_key`` and ``currency_key``, e.g. Amazon's ``"amount"`` and
    ``"currencyCode"``) as a Decimal and its upper-case ISO 4217 code.

    Amounts are strings, kept exact (:func:`parse_money`); with ``numbers=True`` JSON
    numbers are accepted too and rounded to the currency's minor unit (:func:`parse_amount`).
    With ``currency`` (the order's), a different currency is refused. A missing object,
    amount or currency is refused: pass optional ones only when present (or :func:`money_at`).
    """
    data = required_object(value, field)
    code = data.get(currency_key)
    if not isinstance(code, str) or len(code.strip()) != 3:
        raise MalformedRecordError(f"{field}.{currency_key}: {str(code)[:10]!r} is not ISO 4217")
    code = code.strip().upper()
    raw = data.get(amount_key)
    if raw is None or raw == "":
        raise MalformedRecordError(f"{field}: required field {amount_key!r} is missing")
    where = f"{field}.{amount_key}"
    money = parse_amount(raw, where, code) if numbers else parse_money(raw, where)
    if currency is not None and code != currency:
        raise MalformedRecordError(
            f"{field}.{currency_key}: {code} differs from the order's currency {currency}"
        )
    return money, code


def money_at(
    data: Any, path: str, where: str = "", *, currency: str | None = None, **keys: Any
) -> Decimal | None:
    """The amount of the optional money object at the dotted ``path`` of ``data`` (read by
    :func:`value_at`, checked by :func:`money_object` with ``currency`` and ``keys``);
    None when it is missing."""
    value = value_at(data, path, where)
    field = ".".join(part for part in (where, path) if part)
    return None if value is None else money_object(value, field, currency=currency, **keys)[0]


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


def required_utc(raw: dict[str, Any], key: str, *, naive_is_utc: bool = False) -> datetime:
    """The time at ``raw[key]`` (ISO 8601, see :func:`~orderhub.sdk.parsing.parse_utc`),
    required: a missing or unreadable one raises MalformedRecordError naming ``key``."""
    return parse_utc(require(raw, key), key, naive_is_utc=naive_is_utc)


def html_text(value: Any) -> str | None:
    """Text a channel keeps HTML-escaped (WordPress's ``"Salt &amp; Pepper"``), unescaped
    and cleaned as :func:`~orderhub.sdk.parsing.clean_text` does; None when blank."""
    text = clean_text(value)
    if not text or "&" not in text:
        # No character reference without an "&": nothing to unescape (most titles).
        return text
    return clean_text(html.unescape(text))


def texts_at(items: Any, key: str) -> list[str]:
    """The text at ``key`` of each object in the list ``items``, blank ones left out (a
    variant's option values from its attributes). Anything that is not a list gives none."""
    if not isinstance(items, list):
        return []
    found = (clean_text(item.get(key)) for item in items if isinstance(item, dict))
    return [text for text in found if text]


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
