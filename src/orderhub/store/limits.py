"""What the store can hold, checked per record before a page is written.

A draft that :func:`orderhub.sdk.validate_order` accepts can still be refused by a column:
PostgreSQL rejects a NUL character in text and a string longer than its ``varchar(n)``,
neither database takes text that is not valid Unicode (a lone surrogate), ``numeric(18, 4)``
holds amounts below 10^14, and an ``integer`` is 32 bits. SQLite would store most of these
silently, PostgreSQL would fail the whole page: checking them here, against the limits of
the tables themselves, makes both databases quarantine the same records with the same
reasons. Messages name the field and the limit, never the value (it may be buyer data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from operator import attrgetter
from typing import Any

from sqlalchemy import String, Table, TypeDecorator

from orderhub.sdk.drafts import ADDRESS_FIELDS, Address, OrderDraft
from orderhub.store.tables import Order, OrderLine, metadata

#: ``numeric(18, 4)``: 14 digits before the point.
MONEY_LIMIT = Decimal(10) ** 14
#: PostgreSQL ``integer``.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1

_ORDERS: Table = metadata.tables[Order.__tablename__]
_LINES: Table = metadata.tables[OrderLine.__tablename__]


def _length(table: Table, column: str) -> int | None:
    kind = table.c[column].type
    if isinstance(kind, TypeDecorator):
        # SQLModel's ``AutoString`` (every ``str`` field) wraps the ``String`` that holds
        # the length: without this every limit read as None and went unchecked.
        kind = kind.impl_instance
    return kind.length if isinstance(kind, String) else None


_ORDER_TEXT = {
    name: _length(_ORDERS, column)
    for name, column in (
        ("external_id", "external_id"),
        ("display_id", "display_id"),
        ("marketplace", "marketplace"),
        ("channel_status", "channel_status"),
        ("currency", "currency"),
    )
}
_LINE_TEXT = {
    "external_id": _length(_LINES, "external_id"),
    "sku": _length(_LINES, "sku"),
    "title": None,
}


def text_problem(value: Any, limit: int | None = None) -> str | None:
    """Why ``value`` cannot be stored as text (within ``limit`` characters), or None."""
    if not isinstance(value, str):
        return f"is {type(value).__name__}, not text"
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    if limit is not None and len(value) > limit:
        return f"is {len(value)} characters long; the store holds at most {limit}"
    return None


def storable_text(value: str, limit: int | None = None) -> str:
    """``value`` made storable: NULs and lone surrogates escaped, cut to ``limit``.

    For labels and reasons (a quarantined record's id, an error message), never for data
    that must stay exact.
    """
    cleaned = value.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode()
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


def _money_problem(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite():
        return "is not a finite decimal amount"
    if abs(value) >= MONEY_LIMIT:
        return "is beyond the largest amount the store holds (10^14)"
    return None


def _int_problem(value: Any) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return f"is {type(value).__name__}, not an integer"
    if not INT_MIN <= value <= INT_MAX:
        return "is beyond the 32-bit range the store holds"
    return None


def _texts(prefix: str, values: Iterable[tuple[str, Any, int | None]]) -> list[str]:
    problems = []
    for name, value, limit in values:
        if value is None:
            continue
        problem = text_problem(value, limit)
        if problem:
            problems.append(f"{prefix}{name} {problem}")
    return problems


def _address_problems(prefix: str, address: Address | None) -> list[str]:
    if address is None:
        return []
    return _texts(prefix, ((name, getattr(address, name), None) for name in ADDRESS_FIELDS))


def _identifier_problems(prefix: str, identifiers: Mapping[Any, Any]) -> list[str]:
    problems = []
    for key, value in identifiers.items():
        for what, item in (("name", key), ("value", value)):
            problem = text_problem(item)
            if problem:
                problems.append(f"{prefix}identifier {what} {problem}")
    return problems


_ORDER_TEXT_ITEMS = tuple(_ORDER_TEXT.items())
_ADDRESS_PARTS = attrgetter(
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
_SKU_LIMIT = _LINE_TEXT["sku"]
_LINE_ID_LIMIT = _LINE_TEXT["external_id"]


def _fits(draft: OrderDraft) -> bool:
    """Whether ``draft`` certainly fits the store: the common case, checked in one pass
    with exact types and one scan of all its text at once (NUL, then valid UTF-8 unless
    it is ASCII). False sends the draft through the detailed checks, which name the
    problems (or find none: this check may refuse a draft that fits, never the reverse)."""
    texts: list[str] = []
    add = texts.append
    for name, limit in _ORDER_TEXT_ITEMS:
        value = getattr(draft, name)
        if value is None:
            if name == "external_id":
                return False
            continue
        if type(value) is not str or (limit is not None and len(value) > limit):
            return False
        add(value)
    if not _money_fits(draft.total):
        return False
    for address in (draft.buyer, draft.ship_to):
        if address is not None:
            for value in _ADDRESS_PARTS(address):
                if value is not None:
                    if type(value) is not str:
                        return False
                    add(value)
    for line in draft.lines:
        line_id, sku, title = line.external_id, line.sku, line.title
        if type(line_id) is not str or (
            _LINE_ID_LIMIT is not None and len(line_id) > _LINE_ID_LIMIT
        ):
            return False
        add(line_id)
        if sku is not None:
            if type(sku) is not str or (_SKU_LIMIT is not None and len(sku) > _SKU_LIMIT):
                return False
            add(sku)
        if title is not None:
            if type(title) is not str:
                return False
            add(title)
        for number in (line.quantity, line.quantity_shipped):
            if type(number) is not int or not INT_MIN <= number <= INT_MAX:
                return False
        if not (_money_fits(line.unit_price) and _money_fits(line.total)):
            return False
        identifiers = line.identifiers
        if identifiers:
            if type(identifiers) is not dict:
                return False
            for key, value in identifiers.items():
                if type(key) is not str or type(value) is not str:
                    return False
                add(key)
                add(value)
    joined = "".join(texts)
    if "\x00" in joined:
        return False
    if not joined.isascii():
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


def _money_fits(value: Any) -> bool:
    return value is None or (
        type(value) is Decimal and value.is_finite() and -MONEY_LIMIT < value < MONEY_LIMIT
    )


def store_problems(draft: OrderDraft) -> list[str]:
    """Every reason the store's columns would refuse ``draft`` (empty when it fits)."""
    return [] if _fits(draft) else detailed_problems(draft)


def detailed_problems(draft: OrderDraft) -> list[str]:
    """:func:`store_problems` without the fast path: every check, one field at a time."""
    problems = _texts(
        "", ((name, getattr(draft, name), limit) for name, limit in _ORDER_TEXT.items())
    )
    if draft.external_id is None:
        problems.append("external_id is missing")
    money = _money_problem(draft.total)
    if money:
        problems.append(f"total {money}")
    problems += _address_problems("buyer ", draft.buyer)
    problems += _address_problems("ship_to ", draft.ship_to)
    for index, line in enumerate(draft.lines, start=1):
        where = f"line {index}: "
        problems += _texts(
            where, ((name, getattr(line, name), limit) for name, limit in _LINE_TEXT.items())
        )
        for name in ("quantity", "quantity_shipped"):
            problem = _int_problem(getattr(line, name))
            if problem:
                problems.append(f"{where}{name} {problem}")
        for name in ("unit_price", "total"):
            problem = _money_problem(getattr(line, name))
            if problem:
                problems.append(f"{where}{name} {problem}")
        if line.identifiers:
            if isinstance(line.identifiers, Mapping):
                problems += _identifier_problems(where, line.identifiers)
            else:
                problems.append(f"{where}identifiers is not a mapping")
    return problems
