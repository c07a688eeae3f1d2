"""The store's per-record limits: the fast check of the common case never accepts a draft
the detailed checks refuse."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from orderhub.sdk import Address, LineDraft, OrderDraft, OrderStatus
from orderhub.store.limits import MONEY_LIMIT, detailed_problems, store_problems

T0 = datetime(2026, 3, 1, tzinfo=UTC)
# Text that is mostly fine, sometimes long, with a NUL, a lone surrogate or not ASCII.
_text = st.one_of(
    st.text(alphabet="abcXYZ-09 ", max_size=12),
    st.text(max_size=200),
    st.sampled_from(["a\x00b", "\ud800", "é" * 130, "x" * 129, "ü"]),
)
_maybe_text = st.one_of(st.none(), _text)
_money = st.one_of(
    st.none(),
    st.decimals(allow_nan=True, allow_infinity=True, places=2),
    st.sampled_from([MONEY_LIMIT, -MONEY_LIMIT, MONEY_LIMIT - 1, Decimal("0.01")]),
)
_int = st.one_of(st.integers(-(2**33), 2**33), st.sampled_from([2**31 - 1, 2**31, True]))
_address = st.one_of(st.none(), st.builds(Address, name=_maybe_text, city=_maybe_text))
_identifiers: Any = st.dictionaries(_text, _text, max_size=2)
_line = st.builds(
    LineDraft,
    external_id=_text,
    quantity=_int,
    sku=_maybe_text,
    title=_maybe_text,
    unit_price=_money,
    total=_money,
    quantity_shipped=_int,
    identifiers=_identifiers,
)
_draft = st.builds(
    OrderDraft,
    external_id=_text,
    status=st.just(OrderStatus.UNSHIPPED),
    channel_status=_text,
    placed_at=st.just(T0),
    updated_at=st.just(T0),
    currency=st.sampled_from(["EUR", "EURO", "€", "X\x00Y"]),
    total=st.one_of(_money.filter(lambda value: value is not None)),
    lines=st.lists(_line, max_size=3).map(tuple),
    display_id=_maybe_text,
    marketplace=_maybe_text,
    buyer=_address,
    ship_to=_address,
)


@settings(max_examples=400, deadline=None)
@given(draft=_draft)
def test_the_fast_path_agrees_with_every_detailed_check(draft: OrderDraft) -> None:
    assert store_problems(draft) == detailed_problems(draft)


def _plain_order(line: LineDraft, **fields: Any) -> OrderDraft:
    return OrderDraft(
        external_id="1",
        status=OrderStatus.UNSHIPPED,
        channel_status="paid",
        placed_at=T0,
        updated_at=T0,
        currency="EUR",
        total=Decimal("1.00"),
        lines=(line,),
        **fields,
    )


def test_a_plain_order_fits_and_each_kind_of_problem_is_named() -> None:
    line = LineDraft(external_id="1", quantity=1, sku="MUG", identifiers={"asin": "B0"})
    draft = _plain_order(line, buyer=Address(name="Zoë"))
    assert store_problems(draft) == []
    bad = OrderDraft(**{**_fields(draft), "buyer": Address(name="a\x00b")})
    assert store_problems(bad) == ["buyer name contains a NUL character"]


def _fields(draft: OrderDraft) -> dict[str, Any]:
    return {name: getattr(draft, name) for name in draft.__slots__}


def test_text_longer_than_its_column_is_named_with_the_columns_length() -> None:
    """The lengths are the tables' own (``varchar(n)``): PostgreSQL refuses longer text,
    SQLite would store it, so both quarantine it by this check, with the same reason."""
    line = LineDraft(external_id="1", quantity=1, sku="MUG")
    draft = _plain_order(line)
    for name, limit in (
        ("external_id", 128),
        ("display_id", 128),
        ("marketplace", 64),
        ("channel_status", 64),
    ):
        bad = OrderDraft(**{**_fields(draft), name: "é" * (limit + 1)})
        assert store_problems(bad) == [
            f"{name} is {limit + 1} characters long; the store holds at most {limit}"
        ]
        assert store_problems(OrderDraft(**{**_fields(draft), name: "é" * limit})) == []
    for name in ("external_id", "sku"):
        long_line = LineDraft(**{**_fields(line), name: "x" * 129})
        bad = OrderDraft(**{**_fields(draft), "lines": (long_line,)})
        assert store_problems(bad) == [
            f"line 1: {name} is 129 characters long; the store holds at most 128"
        ]
