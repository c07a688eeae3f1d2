"""StatusTable: channel statuses onto orderhub's, account mappings first, and a refusal
that says what to do."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderhub.sdk import MalformedRecordError, OrderStatus, StatusTable

SHOP = StatusTable(
    "Shop",
    {"paid": OrderStatus.UNSHIPPED, "done": OrderStatus.SHIPPED},
    prefix="x-",
    setting="status_map",
)
PLAIN = StatusTable("Market", {"Shipped": OrderStatus.SHIPPED})


def test_a_known_status_maps_with_or_without_the_prefix() -> None:
    assert SHOP.map("paid") is OrderStatus.UNSHIPPED
    assert SHOP.map("x-done") is OrderStatus.SHIPPED


def test_the_accounts_mapping_comes_first_and_adds_statuses() -> None:
    custom = {"paid": OrderStatus.ON_HOLD, "sent": OrderStatus.SHIPPED}
    assert SHOP.map("paid", custom) is OrderStatus.ON_HOLD
    assert SHOP.map("x-sent", custom) is OrderStatus.SHIPPED
    assert SHOP.map("done", custom) is OrderStatus.SHIPPED


def test_an_unmapped_status_names_the_setting_that_maps_it() -> None:
    with pytest.raises(MalformedRecordError) as caught:
        SHOP.map("x-sent")
    assert "'x-sent'" in caught.value.message and "Shop core status" in caught.value.message
    assert "status_map" in caught.value.message
    assert 'status_map = { sent = "shipped" }' in caught.value.fix


def test_without_a_setting_an_unknown_status_asks_for_an_upgrade() -> None:
    with pytest.raises(MalformedRecordError) as caught:
        PLAIN.map("Lost", field="orderStatus")
    assert "orderStatus 'Lost'" in caught.value.message
    assert "Market" in caught.value.message and "upgrade orderhub" in caught.value.fix


def test_the_prefix_is_only_stripped_when_declared() -> None:
    with pytest.raises(MalformedRecordError):
        PLAIN.map("x-Shipped")


@pytest.mark.parametrize("value", [None, "", 3, ["paid"]])
def test_a_missing_status_is_refused_naming_the_field(value: object) -> None:
    with pytest.raises(MalformedRecordError, match="required field 'status'"):
        SHOP.map(value)


@given(st.text(min_size=1, max_size=500))
def test_any_text_maps_or_is_refused_with_a_short_message(value: str) -> None:
    try:
        assert isinstance(SHOP.map(value), OrderStatus)
    except MalformedRecordError as exc:
        # The quarantine keeps the message: a huge status must not make a huge reason.
        assert len(exc.message) < 300 and len(exc.fix) < 300
