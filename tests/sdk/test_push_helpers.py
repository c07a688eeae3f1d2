"""with_tracking, push_result and tracking_note: the pieces of an idempotent push."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import (
    PushOutcome,
    ShipmentDraft,
    ShipmentLine,
    push_result,
    tracking_note,
    with_tracking,
)


def shipment(**changes: Any) -> ShipmentDraft:
    fields: dict[str, Any] = {
        "order_external_id": "1",
        "reference": "ref-1",
        "carrier_code": "ups",
        "tracking_number": "1Z999",
        "shipped_at": datetime(2026, 3, 1, tzinfo=UTC),
        "lines": (ShipmentLine("10", 1),),
        **changes,
    }
    return ShipmentDraft(**fields)


def test_the_record_carrying_the_tracking_number_is_found() -> None:
    notes = [{"note": "Thanks!"}, {"note": "Shipped with UPS, tracking number 1Z999."}]
    assert with_tracking(notes, "1Z999", "note") is notes[1]
    fulfilments = [{"shipment": {"tracking": "AB1"}}, {"shipment": {"tracking": "1Z999"}}]
    assert with_tracking(fulfilments, "1Z999", "number", "shipment.tracking") is fulfilments[1]


@pytest.mark.parametrize(
    "records",
    [None, {"note": "1Z999"}, "1Z999", [], ["1Z999"], [{"note": None}, {"other": "1Z999"}]],
)
def test_nothing_is_found_where_no_listed_field_carries_it(records: Any) -> None:
    assert with_tracking(records, "1Z999", "note") is None


def test_an_empty_tracking_number_matches_nothing() -> None:
    assert with_tracking([{"note": "anything"}], "", "note") is None


@given(st.lists(st.text(max_size=30), max_size=5), st.text(min_size=1, max_size=10))
def test_found_exactly_when_a_note_contains_the_number(notes: list[str], number: str) -> None:
    records = [{"note": note} for note in notes]
    found = with_tracking(records, number, "note")
    assert (found is not None) == any(number in note for note in notes)


def test_the_outcome_says_whether_the_channel_had_it() -> None:
    assert push_result(True).outcome is PushOutcome.ALREADY_APPLIED
    applied = push_result(False, "F-1")
    assert applied.outcome is PushOutcome.APPLIED and applied.channel_reference == "F-1"


def test_the_note_names_the_carrier_by_name_when_known() -> None:
    assert tracking_note(shipment()) == "Shipped with ups, tracking number 1Z999."
    assert tracking_note(shipment(carrier_name="UPS")) == "Shipped with UPS, tracking number 1Z999."
