"""Shopify orders to drafts: the status table over every combination, lines after edits and
refunds, and refused records. The fixtures' golden files are checked by the conformance
suite (``test_conformance.py``)."""

from __future__ import annotations

import copy
import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderhub.sdk import MalformedRecordError, OrderStatus, validate_order
from orderhub_connectors.shopify.mapping import FINANCIAL, FULFILLMENT, map_status, to_draft

FIXTURES = Path(__file__).parent / "fixtures"
S = OrderStatus


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


EVERY = list(itertools.product([*sorted(FINANCIAL), None], sorted(FULFILLMENT), [False, True]))


@pytest.mark.parametrize(("financial", "fulfillment", "cancelled"), EVERY)
def test_every_combination_maps_to_one_status(
    financial: str | None, fulfillment: str, cancelled: bool
) -> None:
    status = map_status(financial, fulfillment, cancelled)
    assert isinstance(status, OrderStatus)
    if cancelled:
        assert status is S.CANCELLED
    elif financial in ("REFUNDED", "VOIDED", "EXPIRED"):
        assert status in (S.REFUNDED, S.CANCELLED, S.FAILED)
    elif fulfillment == "FULFILLED":
        assert status is S.SHIPPED
    elif financial in ("PENDING", "PARTIALLY_PAID") and status is S.UNSHIPPED:
        pytest.fail("an order not paid in full must not be offered for shipping")


@pytest.mark.parametrize(
    ("financial", "fulfillment", "expected"),
    [
        ("PAID", "UNFULFILLED", S.UNSHIPPED),
        ("PAID", "PARTIALLY_FULFILLED", S.PARTIALLY_SHIPPED),
        ("PARTIALLY_REFUNDED", "UNFULFILLED", S.UNSHIPPED),
        ("PARTIALLY_REFUNDED", "FULFILLED", S.SHIPPED),
        ("AUTHORIZED", "UNFULFILLED", S.UNSHIPPED),
        ("PENDING", "UNFULFILLED", S.PENDING),
        ("PARTIALLY_PAID", "OPEN", S.PENDING),
        ("REFUNDED", "FULFILLED", S.REFUNDED),
        ("VOIDED", "UNFULFILLED", S.CANCELLED),
        ("EXPIRED", "UNFULFILLED", S.FAILED),
        ("PAID", "RESTOCKED", S.CANCELLED),
        ("PAID", "ON_HOLD", S.ON_HOLD),
        ("PAID", "SCHEDULED", S.ON_HOLD),
        (None, "UNFULFILLED", S.UNSHIPPED),
    ],
)
def test_the_documented_table(financial: str | None, fulfillment: str, expected: S) -> None:
    assert map_status(financial, fulfillment, cancelled=False) is expected


def test_an_unknown_status_is_refused_naming_it() -> None:
    with pytest.raises(MalformedRecordError, match="PAID_IN_KIND"):
        map_status("PAID_IN_KIND", "UNFULFILLED", cancelled=False)
    with pytest.raises(MalformedRecordError, match="TELEPORTED"):
        map_status("PAID", "TELEPORTED", cancelled=False)


def test_refunded_units_leave_the_quantity_and_the_total() -> None:
    draft = to_draft(fixture("refund_partial_line"))
    assert [(line.sku, line.quantity) for line in draft.lines] == [
        ("CARD-LEATHER", 2),
        ("MUG-STONE", 1),
    ]
    assert draft.total == sum(line.total for line in draft.lines if line.total) + Decimal("4.9")


def test_a_removed_line_is_dropped_and_a_cancelled_order_keeps_its_lines() -> None:
    edited = to_draft(fixture("edit_line_removed"))
    assert [line.sku for line in edited.lines] == ["JOURNAL-A5-LINE"]
    cancelled = to_draft(fixture("cancelled_refunded"))
    assert cancelled.status is S.CANCELLED and len(cancelled.lines) == 1
    assert cancelled.lines[0].quantity == 1 and cancelled.lines[0].quantity_shipped == 0
    assert validate_order(cancelled) == []


def test_shipped_units_come_from_the_unfulfilled_quantity() -> None:
    draft = to_draft(fixture("status_partially_fulfilled"))
    assert [(line.quantity, line.quantity_shipped) for line in draft.lines] == [(3, 2), (1, 0)]
    assert draft.status is S.PARTIALLY_SHIPPED


def test_money_is_the_store_currency_whatever_the_buyer_paid_in() -> None:
    raw = fixture("currency_presented_in_usd")
    assert to_draft(raw).currency == "EUR"
    wrong = copy.deepcopy(raw)
    wrong["lineItems"]["nodes"][0]["originalUnitPriceSet"]["shopMoney"]["currencyCode"] = "USD"
    with pytest.raises(MalformedRecordError, match="store currency"):
        to_draft(wrong)


def test_lines_without_sku_or_variant_are_kept_for_matching_by_hand() -> None:
    no_sku = to_draft(fixture("line_without_sku"))
    assert no_sku.lines[0].sku is None and no_sku.lines[0].identifiers
    deleted = to_draft(fixture("line_variant_deleted"))
    assert deleted.lines[0].identifiers == {} and deleted.lines[0].sku == "RETIRED-ITEM-7"


def test_cancelled_and_closed_show_in_the_channel_status() -> None:
    assert to_draft(fixture("cancelled_voided")).channel_status == "VOIDED/RESTOCKED/cancelled"
    raw = fixture("status_fulfilled")
    raw["closed"] = True
    assert to_draft(raw).channel_status == "PAID/FULFILLED/closed"
