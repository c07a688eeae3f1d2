"""eBay order JSON -> OrderDraft: the status rule, money, times, lines, buyer and ship-to,
malformed orders, purity, golden files.

Fixtures (``fixtures/*.json``) are small orders written by hand in the shape of eBay's
documented ``Order`` object (checked against eBay's spec when it is available), with
obviously fake buyers. Every valid fixture has a golden file (``golden/<name>.json``): the
expected draft, with Decimals as strings and times in ISO 8601. ``malformed_*`` fixtures must
be refused with a message naming the field.

Regenerate the golden files after an intended mapping change with::

    .venv/bin/python -m pytest connectors/ebay/tests/test_mapping.py --update-golden

then read the diff before committing it: the golden files are the review.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderhub.sdk import (
    Address,
    LineDraft,
    MalformedRecordError,
    OrderStatus,
)
from orderhub.testing import FakeClock
from orderhub.testing.kit import (
    GuardedClock,
    fixture_files,
    load_fixture,
)
from orderhub_connectors.ebay import EbayConnector
from orderhub_connectors.ebay.mapping import (
    CANCEL_STATES,
    FULFILLMENT_STATUSES,
    PAYMENT_STATUSES,
    needs_cancel_detail,
    status_table,
)

from .spec import problems

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"

VALID = sorted(p.stem for p in fixture_files(FIXTURES)[0])
MALFORMED = sorted(p.stem for p in fixture_files(FIXTURES)[1])

S = OrderStatus
# The status rule written out as a decision table, independently of mapping.py, so a changed
# rule shows up here as a decision and not as a silent edit. For each cancel state and
# payment status: the status for NOT_STARTED, IN_PROGRESS and FULFILLED.
EXPECTED: dict[str, dict[str, tuple[OrderStatus, OrderStatus, OrderStatus]]] = {
    "NONE_REQUESTED": {
        "PENDING": (S.PENDING, S.PENDING, S.SHIPPED),
        "FAILED": (S.FAILED, S.FAILED, S.SHIPPED),
        "PAID": (S.UNSHIPPED, S.PARTIALLY_SHIPPED, S.SHIPPED),
        "PARTIALLY_REFUNDED": (S.UNSHIPPED, S.PARTIALLY_SHIPPED, S.SHIPPED),
        "FULLY_REFUNDED": (S.REFUNDED, S.REFUNDED, S.REFUNDED),
    },
    # A buyer asked to cancel: hold what is not shipped yet.
    "IN_PROGRESS": {
        "PENDING": (S.PENDING, S.PENDING, S.SHIPPED),
        "FAILED": (S.FAILED, S.FAILED, S.SHIPPED),
        "PAID": (S.ON_HOLD, S.ON_HOLD, S.SHIPPED),
        "PARTIALLY_REFUNDED": (S.ON_HOLD, S.ON_HOLD, S.SHIPPED),
        "FULLY_REFUNDED": (S.REFUNDED, S.REFUNDED, S.REFUNDED),
    },
    "CANCELED": {payment: (S.CANCELLED,) * 3 for payment in PAYMENT_STATUSES},
}
STATUS_FIXTURES = {
    ("NOT_STARTED", "PAID", "NONE_REQUESTED"): "status_paid_not_started",
    ("IN_PROGRESS", "PAID", "NONE_REQUESTED"): "status_paid_in_progress",
    ("FULFILLED", "PAID", "NONE_REQUESTED"): "status_paid_fulfilled",
    ("NOT_STARTED", "PENDING", "NONE_REQUESTED"): "status_pending",
    ("NOT_STARTED", "FAILED", "NONE_REQUESTED"): "status_failed",
    ("FULFILLED", "PARTIALLY_REFUNDED", "NONE_REQUESTED"): "status_partially_refunded",
    ("FULFILLED", "FULLY_REFUNDED", "NONE_REQUESTED"): "status_fully_refunded",
    ("NOT_STARTED", "PAID", "IN_PROGRESS"): "status_cancel_in_progress",
    ("NOT_STARTED", "FULLY_REFUNDED", "CANCELED"): "status_canceled",
}


def expected_status(fulfillment: str, payment: str, cancel: str) -> OrderStatus:
    return EXPECTED[cancel][payment][FULFILLMENT_STATUSES.index(fulfillment)]


def load(name: str) -> dict[str, Any]:
    return load_fixture(FIXTURES / f"{name}.json")


@pytest.fixture
def offline(make_connector: Any) -> Iterator[EbayConnector]:
    """A connector whose network and clock fail the test when used (the kit's guarded
    clock, armed for the whole test)."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"to_order made an HTTP request: {request.method} {request.url}")

    clock = GuardedClock(FakeClock())
    with clock.armed():
        yield make_connector(transport=httpx.MockTransport(refuse), clock=clock)


# -- the fixtures themselves ----------------------------------------------------------------


def test_the_fixture_set_covers_what_the_connector_meets() -> None:
    orders = [load(name) for name in VALID]
    combos = {
        (o["orderFulfillmentStatus"], o["orderPaymentStatus"], o["cancelStatus"]["cancelState"])
        for o in orders
    }
    assert set(STATUS_FIXTURES) <= combos
    assert {o["orderPaymentStatus"] for o in orders} == set(PAYMENT_STATUSES)
    assert {o["orderFulfillmentStatus"] for o in orders} == set(FULFILLMENT_STATUSES)
    assert {o["cancelStatus"]["cancelState"] for o in orders} == set(CANCEL_STATES)
    lines = [line for o in orders for line in o["lineItems"]]
    assert any("legacyVariationId" in line for line in lines), "a multi-variation listing"
    assert any("sku" not in line for line in lines), "a listing without SKU"
    assert len({o["pricingSummary"]["total"]["currency"] for o in orders}) >= 4
    assert len(MALFORMED) == 6


@pytest.mark.parametrize("name", VALID + MALFORMED)
def test_every_fixture_is_shaped_like_ebays_order(name: str) -> None:
    raw = load(name)
    # Malformed fixtures keep eBay's shape except where the shape itself is the fault.
    allowed = {"malformed_quantity_not_integer": "lineItems/0/quantity"}
    found = problems("Order", raw)
    expected_field = allowed.get(name)
    if expected_field:
        assert found and all(p.startswith(expected_field) for p in found)
    else:
        assert found == []


# -- golden files ---------------------------------------------------------------------------

# The golden files, their fixtures, purity and validity are checked by the conformance kit
# (tests/test_conformance.py: test_normalization_*), with --update-golden; not twice here.


# -- one order, field by field --------------------------------------------------------------


def test_a_paid_order_maps_field_by_field(offline: EbayConnector) -> None:
    draft = offline.to_order(load("status_paid_not_started"))
    assert draft.external_id == "12-00001-00001"
    assert draft.status is OrderStatus.UNSHIPPED and draft.channel_status == "PAID/NOT_STARTED"
    assert draft.placed_at == datetime(2026, 1, 8, 14, 3, 27, tzinfo=UTC)
    assert draft.updated_at == datetime(2026, 1, 8, 14, 5, 11, tzinfo=UTC)
    assert (draft.currency, draft.total) == ("USD", Decimal("67.00"))
    assert draft.marketplace == "EBAY_US"
    tee, postcards = draft.lines
    assert tee == LineDraft(
        external_id="10000000000101",
        quantity=2,
        sku="TEE-ORGANIC-M",
        title="Organic Cotton T-Shirt",
        unit_price=Decimal("24.00"),
        total=Decimal("52.00"),
        quantity_shipped=0,
        identifiers={"ebay_item_id": "295587650002", "ebay_variation_id": "530011110001"},
    )
    assert postcards.sku is None
    assert postcards.identifiers == {"ebay_item_id": "295512340001"}
    assert draft.buyer == Address(name="test_buyer_1", country="US")
    assert draft.ship_to == Address(
        name="Test Buyer 1",
        line1="1 Example Street",
        city="Springfield",
        region="IL",
        postal_code="00000",
        country="US",
        phone="+0 000 000 0001",
        email="00000001@members.ebay.com",
    )


def test_an_order_without_a_shipping_step_has_no_ship_to(offline: EbayConnector) -> None:
    draft = offline.to_order(load("pickup_without_ship_to"))
    assert draft.ship_to is None and draft.buyer is not None


def test_line_items_shipped_by_a_fulfillment_count_as_shipped(offline: EbayConnector) -> None:
    draft = offline.to_order(load("status_paid_in_progress"))
    assert [(line.quantity, line.quantity_shipped) for line in draft.lines] == [(3, 3), (1, 0)]
    assert draft.ship_to is not None and draft.ship_to.line2 == "Flat 3"


# -- statuses -------------------------------------------------------------------------------


def test_the_status_table_covers_every_combination_as_decided() -> None:
    table = status_table()
    assert len(table) == len(FULFILLMENT_STATUSES) * len(PAYMENT_STATUSES) * len(CANCEL_STATES)
    assert table == {
        (f, p, c): expected_status(f, p, c)
        for f in FULFILLMENT_STATUSES
        for p in PAYMENT_STATUSES
        for c in CANCEL_STATES
    }


@pytest.mark.parametrize(("fulfillment", "payment", "cancel"), sorted(status_table()))
def test_every_combination_maps_through_to_order(
    offline: EbayConnector, fulfillment: str, payment: str, cancel: str
) -> None:
    raw = load("status_paid_not_started")
    raw.update(orderFulfillmentStatus=fulfillment, orderPaymentStatus=payment)
    raw["cancelStatus"]["cancelState"] = cancel
    draft = offline.to_order(raw)
    assert draft.status is expected_status(fulfillment, payment, cancel)
    assert draft.channel_status.startswith(f"{payment}/{fulfillment}")
    assert ("CANCEL" in draft.channel_status) == (cancel != "NONE_REQUESTED")


@pytest.mark.parametrize(("combo", "name"), sorted(STATUS_FIXTURES.items()))
def test_every_status_fixture_maps_as_decided(
    offline: EbayConnector, combo: tuple[str, str, str], name: str
) -> None:
    assert offline.to_order(load(name)).status is expected_status(*combo)


def test_channel_status_spells_out_the_cancellation(offline: EbayConnector) -> None:
    spelled = {
        name: offline.to_order(load(name)).channel_status
        for name in ("status_cancel_in_progress", "status_canceled", "status_failed")
    }
    assert spelled == {
        "status_cancel_in_progress": "PAID/NOT_STARTED/CANCEL_IN_PROGRESS",
        "status_canceled": "FULLY_REFUNDED/NOT_STARTED/CANCELED",
        "status_failed": "FAILED/NOT_STARTED",
    }


def test_a_missing_cancel_status_counts_as_none_requested(offline: EbayConnector) -> None:
    raw = load("status_paid_not_started")
    del raw["cancelStatus"]
    assert offline.to_order(raw).status is OrderStatus.UNSHIPPED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("orderFulfillmentStatus", "SHIPPED"),
        ("orderPaymentStatus", "AWAITING_SETTLEMENT"),
        ("cancelStatus.cancelState", "CANCEL_REQUESTED"),
        ("orderFulfillmentStatus", None),
    ],
)
def test_an_unknown_or_missing_status_is_refused_naming_the_field(
    offline: EbayConnector, field: str, value: Any
) -> None:
    raw = load("status_paid_not_started")
    if field == "cancelStatus.cancelState":
        raw["cancelStatus"]["cancelState"] = value
    else:
        raw[field] = value
    with pytest.raises(MalformedRecordError) as caught:
        offline.to_order(raw)
    assert field in str(caught.value)
    if value is not None:
        assert value in str(caught.value)


@pytest.mark.parametrize(
    ("state", "wanted"), [("NONE_REQUESTED", False), ("IN_PROGRESS", True), ("CANCELED", True)]
)
def test_only_orders_with_a_cancellation_need_the_single_read(state: str, wanted: bool) -> None:
    raw = load("status_paid_not_started")
    raw["cancelStatus"]["cancelState"] = state
    assert needs_cancel_detail(raw) is wanted


# -- money ----------------------------------------------------------------------------------


def test_money_is_decimal_from_ebays_value_strings(offline: EbayConnector) -> None:
    draft = offline.to_order(load("status_paid_in_progress"))
    assert (draft.currency, str(draft.total)) == ("GBP", "32.75")
    cable = draft.lines[0]
    assert (str(cable.unit_price), str(cable.total)) == ("7.89", "23.67")
    assert all(isinstance(line.total, Decimal) for line in draft.lines)


def test_converted_amounts_use_the_value_in_the_order_currency(offline: EbayConnector) -> None:
    draft = offline.to_order(load("currency_aud_converted"))
    assert (draft.currency, draft.total) == ("AUD", Decimal("30.25"))
    assert draft.lines[0].unit_price == Decimal("24.32")


def test_unit_prices_are_rounded_to_the_cent(offline: EbayConnector) -> None:
    raw = load("status_pending")
    raw["lineItems"][0].update(quantity=3, lineItemCost={"value": "10.00", "currency": "USD"})
    assert str(offline.to_order(raw).lines[0].unit_price) == "3.33"


def test_three_decimal_amounts_keep_their_precision(offline: EbayConnector) -> None:
    raw = load("status_pending")
    raw["lineItems"][0]["lineItemCost"]["value"] = "89.125"
    assert str(offline.to_order(raw).lines[0].unit_price) == "89.125"


def test_a_lower_case_currency_is_normalised(offline: EbayConnector) -> None:
    raw = load("status_pending")
    raw["pricingSummary"]["total"]["currency"] = "usd"
    for line in raw["lineItems"]:
        line["lineItemCost"]["currency"] = "usd"
        line["total"]["currency"] = "usd"
    assert offline.to_order(raw).currency == "USD"


def test_money_sent_as_a_float_is_refused(offline: EbayConnector) -> None:
    raw = load("status_pending")
    raw["pricingSummary"]["total"]["value"] = 98.5
    with pytest.raises(MalformedRecordError, match=r"pricingSummary\.total\.value") as caught:
        offline.to_order(raw)
    assert "float" in str(caught.value)


# -- malformed orders -----------------------------------------------------------------------

MALFORMED_FIELDS = {
    "malformed_no_line_items": "lineItems",
    "malformed_total_not_a_number": "pricingSummary.total.value",
    "malformed_unknown_payment_status": "orderPaymentStatus",
    "malformed_line_currency_differs": "lineItems[1].lineItemCost.currency",
    "malformed_missing_last_modified": "lastModifiedDate",
    "malformed_quantity_not_integer": "lineItems[0].quantity",
}


def test_every_malformed_fixture_has_an_expected_field() -> None:
    assert sorted(MALFORMED_FIELDS) == MALFORMED


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_order_is_refused_naming_the_field(offline: EbayConnector, name: str) -> None:
    with pytest.raises(MalformedRecordError) as caught:
        offline.to_order(load(name))
    assert MALFORMED_FIELDS[name] in str(caught.value)
    assert caught.value.fix, "every refusal says what to do"


def test_an_order_without_line_items_says_so(offline: EbayConnector) -> None:
    with pytest.raises(MalformedRecordError, match="no line items"):
        offline.to_order(load("malformed_no_line_items"))


def test_the_order_id_of_a_malformed_record_is_still_found(offline: EbayConnector) -> None:
    assert offline.external_id(load("malformed_no_line_items")) == "12-00090-00090"


# -- times ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALID)
def test_times_are_utc(offline: EbayConnector, name: str) -> None:
    draft = offline.to_order(load(name))
    for value in (draft.placed_at, draft.updated_at):
        assert value.utcoffset() == timedelta(0)


def test_a_time_without_a_zone_is_refused(offline: EbayConnector) -> None:
    raw = load("status_pending")
    raw["creationDate"] = "2026-01-08T14:03:27.000"
    with pytest.raises(MalformedRecordError, match="creationDate"):
        offline.to_order(raw)
