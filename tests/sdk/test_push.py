"""Push helpers (sdk/push.py): carrier rules applied by the connector too, shipped lines,
a shipment the channel already has found by its tracking number, "already shipped" read as
already applied, the result and the note of a push, the field a channel's refusal is about,
and the error texts they read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import (
    AlreadyShippedError,
    AuthError,
    CarrierRule,
    PushOutcome,
    RejectedError,
    ShipmentDraft,
    ShipmentLine,
    TransientError,
    answer_error,
    check_shipment,
    error_text,
    field_in_error,
    field_refusal,
    find_by_tracking,
    first_error,
    fix_for_field,
    push_once,
    push_result,
    says_any,
    shipped_lines,
    tracking_note,
)

RULES = (
    CarrierRule("other", ("carrier_name",), "Other needs a name (field carrierName)", "Name it."),
    CarrierRule("royal_mail", ("tracking_number",), "no tracking number", "Add one."),
)


def shipment(**changes: Any) -> ShipmentDraft:
    values: dict[str, Any] = {
        "order_external_id": "A-1",
        "reference": "7",
        "carrier_code": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "shipped_at": datetime(2026, 1, 15, tzinfo=UTC),
        "lines": (ShipmentLine("L1", 2), ShipmentLine("L2", 1)),
    }
    return ShipmentDraft(**{**values, **changes})


def answer(status: int, body: Any) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(status, content=content, request=httpx.Request("POST", "https://x/y"))


def test_a_rule_matches_the_channels_spelling_of_its_carrier() -> None:
    check_shipment(shipment(carrier_code="Other", carrier_name="Local Couriers"), "Etsy", RULES)
    with pytest.raises(RejectedError) as caught:
        check_shipment(shipment(carrier_code="Other"), "Etsy", RULES)
    assert (
        caught.value.message == "shipment of Etsy order A-1: Other needs a name (field carrierName)"
    )
    assert caught.value.fix == "Name it."
    with pytest.raises(RejectedError, match="no tracking number"):
        check_shipment(shipment(carrier_code="Royal Mail", tracking_number=" "), "Etsy", RULES)
    check_shipment(shipment(tracking_number=" "), "Etsy", RULES)  # UPS: no rule applies


def test_shipped_lines_use_the_channels_keys() -> None:
    assert shipped_lines(shipment(), "Etsy", "item", quantity_key="qty") == [
        {"item": "L1", "qty": 2},
        {"item": "L2", "qty": 1},
    ]


@pytest.mark.parametrize("lines", [(), (ShipmentLine("L1", 0),), (ShipmentLine("L1", -1),)])
def test_a_shipment_without_positive_lines_is_refused_naming_the_field(lines: Any) -> None:
    with pytest.raises(RejectedError) as caught:
        shipped_lines(shipment(lines=lines), "Etsy", "item", field="items", fix="Fix it.")
    assert "(field items)" in caught.value.message and "order A-1" in caught.value.message
    assert caught.value.fix == "Fix it."


def test_push_once_reads_already_shipped_as_already_applied() -> None:
    sent: list[str] = []
    applied = push_once(shipment(), lambda: sent.append("x"), detail={"id": "7"})
    assert (applied.outcome, applied.channel_reference, applied.detail) == (
        PushOutcome.APPLIED,
        "7",
        {"id": "7"},
    )

    def already() -> None:
        raise AlreadyShippedError("nothing left to ship", detail={"channel": "done"})

    again = push_once(shipment(), already, reference="F-9")
    assert (again.outcome, again.channel_reference, again.detail) == (
        PushOutcome.ALREADY_APPLIED,
        "F-9",
        {"channel": "done"},
    )

    def failing() -> None:
        raise TransientError("down")

    with pytest.raises(TransientError):
        push_once(shipment(), failing)


def test_the_field_of_a_refusal_from_brackets_or_from_known_names() -> None:
    fields = ("carrierCode", "carrierName", "orderItemId", "orderItems", "quantity")
    assert field_in_error("Invalid [packageDetail.orderItems[0].quantity]", fields) == (
        "packageDetail.orderItems[0].quantity"
    )
    assert field_in_error("the CARRIERCODE is unknown", fields) == "carrierCode"
    assert field_in_error("orderItemId 9 is not in the order", fields) == "orderItemId"
    assert field_in_error("something else", fields) is None
    fixes = {"quantity": "Ship less."}
    assert fix_for_field("packageDetail.orderItems[0].quantity", fixes, "default") == "Ship less."
    assert fix_for_field("shipDate", fixes, "default") == "default"
    assert fix_for_field(None, fixes, "default") == "default"


def test_a_field_refusal_names_the_field_the_code_and_the_fix() -> None:
    body = {"errors": [{"code": "InvalidInput", "message": "Bad [packageDetail.carrierCode]"}]}
    error = field_refusal(answer(400, body), "Refused order A-1", {"carrierCode": "Map it."}, "?")
    assert error.message == (
        "Refused order A-1 (field packageDetail.carrierCode): InvalidInput: Bad "
        "[packageDetail.carrierCode]"
    )
    assert (error.fix, error.code) == ("Map it.", "InvalidInput")
    plain = field_refusal(answer(400, {"errors": []}), "Refused", {}, "Read the answer.")
    assert plain.message.startswith("Refused: no error code") and plain.fix == "Read the answer."


def test_error_texts_of_json_and_other_bodies() -> None:
    body = {"errors": [{"code": "Unauthorized", "message": "Denied.", "details": "Token Expired"}]}
    assert error_text(answer(403, body)) == "unauthorized denied. token expired"
    assert error_text(answer(403, body), lower=False) == "Unauthorized Denied. Token Expired"
    assert error_text(answer(502, b"<html>Bad Gateway</html>")) == "<html>bad gateway</html>"
    assert error_text(answer(400, {"message": "no list"})) == ""
    assert says_any(answer(400, {"errors": [{"code": "PackageToUpdateNotFound"}]}), ["notfound"])
    assert not says_any(answer(400, {"errors": [{"code": "InvalidInput"}]}), ["notfound"])


def test_first_error_and_answer_error() -> None:
    body = {"errors": [{"code": "QuotaExceeded", "details": "x" * 500}, {"code": "Other"}]}
    code, message = first_error(answer(400, body))
    assert code == "QuotaExceeded" and len(message) == 240 and message.endswith("…")
    assert first_error(answer(400, b"")) == ("no error code", "(empty body)")
    error = answer_error(answer(403, body), AuthError, "Denied at /orders", "Check the role.")
    assert isinstance(error, AuthError) and error.code == "QuotaExceeded"
    assert error.message.startswith("Denied at /orders (QuotaExceeded: xxx")
    assert error.fix == "Check the role."


def note_shipment(**changes: Any) -> ShipmentDraft:
    return shipment(**{"carrier_code": "ups", "tracking_number": "1Z999", **changes})


def test_the_record_carrying_the_tracking_number_is_found() -> None:
    assert find_by_tracking([{"n": "1Z9990"}], "1Z999", "n") is None, "a longer number differs"
    notes = [{"note": "Thanks!"}, {"note": "Shipped with UPS, tracking number 1Z999."}]
    assert find_by_tracking(notes, "1Z999", "note", in_text=True) is notes[1]
    fulfilments = [{"shipment": {"tracking": "AB1"}}, {"shipment": {"tracking": "1Z999"}}]
    assert find_by_tracking(fulfilments, "1z-999", "number", "shipment.tracking") is fulfilments[1]


@pytest.mark.parametrize(
    "records",
    [None, {"note": "1Z999"}, "1Z999", [], ["1Z999"], [{"note": None}, {"other": "1Z999"}]],
)
def test_nothing_is_found_where_no_listed_field_carries_it(records: Any) -> None:
    assert find_by_tracking(records, "1Z999", "note", in_text=True) is None


def test_an_empty_tracking_number_matches_nothing() -> None:
    assert find_by_tracking([{"note": "anything"}], "", "note", in_text=True) is None


@given(st.lists(st.text(max_size=30), max_size=5), st.text(min_size=1, max_size=10))
def test_found_exactly_when_a_note_contains_the_number(notes: list[str], number: str) -> None:
    records = [{"note": note} for note in notes]
    found = find_by_tracking(records, number, "note", in_text=True)
    assert (found is not None) == any(number in note for note in notes)


def test_the_outcome_says_whether_the_channel_had_it() -> None:
    assert push_result(True).outcome is PushOutcome.ALREADY_APPLIED
    applied = push_result(False, "F-1")
    assert applied.outcome is PushOutcome.APPLIED and applied.channel_reference == "F-1"


def test_the_note_names_the_carrier_by_name_when_known() -> None:
    assert tracking_note(note_shipment()) == "Shipped with ups, tracking number 1Z999."
    named = note_shipment(carrier_name="UPS")
    assert tracking_note(named) == "Shipped with UPS, tracking number 1Z999."
