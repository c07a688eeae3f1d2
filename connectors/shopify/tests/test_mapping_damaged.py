"""Damaged Shopify payloads: whatever part of an order is missing, null or of the wrong
type, ``to_order`` either gives a valid draft or refuses the record with
MalformedRecordError naming the problem (the quarantine reason ops read), never another
exception."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from orderhub.sdk import MalformedRecordError, validate_order
from orderhub_connectors.shopify.mapping import to_draft

FIXTURES = sorted(
    p for p in (Path(__file__).parent / "fixtures").glob("*.json") if "malformed" not in p.name
)
ORDERS = [json.loads(p.read_text(encoding="utf-8")) for p in FIXTURES]

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=10**6),
    st.text(max_size=12),
    st.just([]),
    st.just({}),
    st.just({"shopMoney": {"amount": "x", "currencyCode": "EUR"}}),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _damage(order: dict[str, Any], path: tuple[Any, ...], junk: Any, drop: bool) -> dict[str, Any]:
    damaged = copy.deepcopy(order)
    target: Any = damaged
    for step in path[:-1]:
        target = target[step]
    if drop and isinstance(target, dict):
        del target[path[-1]]
    else:
        target[path[-1]] = junk
    return damaged


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_damaged_orders_are_refused_cleanly_or_read_validly(data: st.DataObject) -> None:
    order = data.draw(st.sampled_from(ORDERS))
    path = data.draw(st.sampled_from(_paths(order)))
    damaged = _damage(order, path, data.draw(JUNK), data.draw(st.booleans()))
    try:
        draft = to_draft(damaged)
    except MalformedRecordError as exc:
        assert exc.message
        return
    problems = validate_order(draft)
    # The engine runs validate_order on every draft; what it refuses is quarantined too.
    assert all(isinstance(p, str) for p in problems)
