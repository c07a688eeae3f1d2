"""Orders API 2026-01-01 order JSON -> OrderDraft: statuses, FBA, money, lines, purity,
golden files.

Fixtures (``fixtures/*.json``): ``docs_*`` is the model's ``searchOrders`` response example and
``sandbox_*`` the model's static sandbox answers (``searchOrders`` and ``getOrder``), kept as
published; the others are shaped like real answers with made-up buyers. Every valid fixture
has a golden file (``golden/<name>.json``): the expected draft, Decimals as strings and times
in ISO 8601. ``malformed_*`` fixtures must be refused, naming the field.

Regenerate the golden files after an intended mapping change with::

    .venv/bin/python -m pytest connectors/amazon/tests/test_mapping.py --update-golden

then read the diff before committing it: the golden files are the review.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderhub.sdk import (
    Address,
    MalformedRecordError,
    OrderStatus,
    validate_order,
)
from orderhub.sims.amazon import FULFILLMENT_STATUSES
from orderhub.testing import FakeClock
from orderhub.testing.kit import (
    GuardedClock,
    fixture_files,
    load_fixture,
)
from orderhub_connectors.amazon import AmazonConnector
from orderhub_connectors.amazon.mapping import STATUS_MAP

from .conftest import ConnectorFactory

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"

VALID = sorted(p.stem for p in fixture_files(FIXTURES)[0])

# What Amazon's statuses mean for a seller, written out independently of mapping.py so a
# changed mapping shows up here as a decision, not as a silent edit.
EXPECTED_STATUSES = {
    "PENDING_AVAILABILITY": OrderStatus.PENDING,
    "PENDING": OrderStatus.PENDING,
    "UNSHIPPED": OrderStatus.UNSHIPPED,
    "PARTIALLY_SHIPPED": OrderStatus.PARTIALLY_SHIPPED,
    "SHIPPED": OrderStatus.SHIPPED,
    "CANCELLED": OrderStatus.CANCELLED,
    "UNFULFILLABLE": OrderStatus.UNFULFILLABLE,
}
# Each malformed fixture, and the field its refusal must name.
MALFORMED = {
    "malformed_missing_order_id": "orderId",
    "malformed_missing_fulfillment_status": "fulfillment.fulfillmentStatus",
    "malformed_missing_fulfillment": "fulfillment.fulfillmentStatus",
    "malformed_bad_amount": "proceeds.grandTotal.amount",
    "malformed_unknown_status": "INVOICE_UNCONFIRMED",
    "malformed_quantity_not_integer": "orderItems[0].quantityOrdered",
    "malformed_missing_last_updated": "lastUpdatedTime",
    "malformed_missing_grand_total": "proceeds.grandTotal",
    "malformed_missing_order_item_id": "orderItemId",
    "malformed_created_without_zone": "createdTime",
}


def load(name: str) -> dict[str, Any]:
    return load_fixture(FIXTURES / f"{name}.json")


# -- helpers --------------------------------------------------------------------------------


@pytest.fixture
def offline(make_connector: ConnectorFactory) -> Iterator[AmazonConnector]:
    """A connector whose network and clock fail the test when used (the kit's guarded
    clock, armed for the whole test)."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"to_order made an HTTP request: {request.method} {request.url}")

    clock = GuardedClock(FakeClock())
    with clock.armed():
        yield make_connector(transport=httpx.MockTransport(refuse), clock=clock)


# -- the fixture set ------------------------------------------------------------------------


def test_the_fixture_set_covers_what_the_connector_meets() -> None:
    statuses = {load(name)["fulfillment"]["fulfillmentStatus"] for name in VALID}
    assert statuses == set(FULFILLMENT_STATUSES), "every fulfillment status has a fixture"
    assert {load(name)["fulfillment"]["fulfilledBy"] for name in VALID} == {"AMAZON", "MERCHANT"}
    items = [item for name in VALID for item in load(name)["orderItems"]]
    assert any("sellerSku" not in item["product"] for item in items), "an item without SKU"
    currencies = {load(name)["proceeds"]["grandTotal"]["currencyCode"] for name in VALID
                  if "proceeds" in load(name)}  # fmt: skip
    assert {"USD", "EUR", "JPY", "GBP", "BRL", "CAD"} <= currencies
    assert any(name.startswith("docs_") for name in VALID)
    assert len([name for name in VALID if name.startswith("sandbox_")]) == 6
    assert set(MALFORMED) == {p.stem for p in FIXTURES.glob("malformed_*.json")}


# -- golden files ---------------------------------------------------------------------------

# The golden files, their fixtures, purity and validity are checked by the conformance kit
# (tests/test_conformance.py: test_normalization_*), with --update-golden; not twice here.


# -- statuses -------------------------------------------------------------------------------


def test_the_status_table_is_the_expected_one() -> None:
    assert dict(STATUS_MAP) == EXPECTED_STATUSES
    assert set(STATUS_MAP) == set(FULFILLMENT_STATUSES)


@pytest.mark.parametrize("status", FULFILLMENT_STATUSES)
def test_every_status_maps_and_keeps_amazons_word(status: str, offline: AmazonConnector) -> None:
    raw = load("status_unshipped_recipient")
    raw["fulfillment"]["fulfillmentStatus"] = status
    draft = offline.to_order(raw)
    assert draft.status is EXPECTED_STATUSES[status]
    assert draft.channel_status == status


def test_an_unknown_status_is_refused_with_the_fix(offline: AmazonConnector) -> None:
    with pytest.raises(MalformedRecordError) as caught:
        offline.to_order(load("malformed_unknown_status"))
    assert "INVOICE_UNCONFIRMED" in caught.value.message
    assert "upgrade orderhub" in caught.value.fix


# -- who fulfils ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fba"),
    [
        ("sandbox_jp_fba_shipped", True),
        ("status_pending_fba", True),
        ("status_unfulfillable", True),
        ("status_shipped_fba_ca", True),
        ("sandbox_uk_mfn_shipped_packages", False),
        ("status_unshipped_recipient", False),
    ],
)
def test_amazon_fulfilled_orders_are_flagged(
    name: str, fba: bool, offline: AmazonConnector
) -> None:
    assert offline.to_order(load(name)).fulfilled_by_channel is fba


def test_an_order_without_fulfilled_by_is_not_taken_for_fba(offline: AmazonConnector) -> None:
    raw = load("status_unshipped_recipient")
    del raw["fulfillment"]["fulfilledBy"]
    assert offline.to_order(raw).fulfilled_by_channel is False


# -- money ----------------------------------------------------------------------------------


def test_money_is_decimal_from_amazons_strings(offline: AmazonConnector) -> None:
    draft = offline.to_order(load("docs_search_orders_example"))
    assert (draft.total, draft.currency) == (Decimal("154.99"), "USD")
    assert [line.unit_price for line in draft.lines] == [Decimal("49.99"), Decimal("49.99")]
    assert all(isinstance(line.total, Decimal) for line in draft.lines)


def test_yen_has_no_decimals(offline: AmazonConnector) -> None:
    draft = offline.to_order(load("sandbox_jp_fba_shipped"))
    assert (draft.total, draft.currency) == (Decimal("19940"), "JPY")
    assert draft.marketplace == "A1VC38T7YXB528"


def test_a_float_amount_is_refused(offline: AmazonConnector) -> None:
    raw = load("status_unshipped_recipient")
    raw["proceeds"]["grandTotal"]["amount"] = 66.66
    with pytest.raises(MalformedRecordError, match=r"proceeds\.grandTotal\.amount"):
        offline.to_order(raw)


@pytest.mark.parametrize(
    ("name", "currency"),
    [("status_pending_availability", "USD"), ("status_cancelled_before_payment", "USD")],
)
def test_orders_amazon_has_not_priced_yet_are_stored_at_zero(
    name: str, currency: str, offline: AmazonConnector
) -> None:
    draft = offline.to_order(load(name))
    assert (draft.total, draft.currency) == (Decimal(0), currency)
    assert all(line.unit_price is None and line.total is None for line in draft.lines)


def test_an_unpriced_pending_order_takes_its_marketplaces_currency(
    offline: AmazonConnector,
) -> None:
    raw = load("status_pending_fba")
    raw["salesChannel"]["marketplaceId"] = "A1PA6795UKMFR9"
    assert offline.to_order(raw).currency == "EUR"


# -- lines ----------------------------------------------------------------------------------


def test_lines_carry_item_id_seller_sku_asin_and_quantities(offline: AmazonConnector) -> None:
    draft = offline.to_order(load("status_partially_shipped"))
    assert [
        (line.external_id, line.sku, line.identifiers, line.quantity, line.quantity_shipped)
        for line in draft.lines
    ] == [
        ("10000000000005", "TEE-BLUE-M", {"asin": "B0C1TEE00M"}, 1, 1),
        ("10000000000006", "CAP-NAVY", {"asin": "B0C1CAP001"}, 2, 0),
    ]


def test_an_item_without_seller_sku_is_kept_with_its_asin(offline: AmazonConnector) -> None:
    draft = offline.to_order(load("item_without_seller_sku"))
    assert [(line.sku, line.identifiers["asin"]) for line in draft.lines] == [
        (None, "B0C1GONE01"),
        ("MUG-BLACK-11OZ", "B0C1MUG002"),
    ]


def test_a_cancelled_order_with_zeroed_items_still_maps(offline: AmazonConnector) -> None:
    draft = offline.to_order(load("status_cancelled_before_payment"))
    assert draft.status is OrderStatus.CANCELLED
    assert [line.quantity for line in draft.lines] == [1]
    assert validate_order(draft) == []


def test_a_zero_quantity_on_an_open_order_is_refused(offline: AmazonConnector) -> None:
    raw = load("status_unshipped_recipient")
    raw["orderItems"][0]["quantityOrdered"] = 0
    with pytest.raises(MalformedRecordError, match=r"orderItems\[0\]\.quantityOrdered"):
        offline.to_order(raw)


def test_shipped_quantity_without_the_fulfillment_dataset(offline: AmazonConnector) -> None:
    raw = load("sandbox_uk_mfn_shipped_packages")
    for item in raw["orderItems"]:
        item.pop("fulfillment", None)
    draft = offline.to_order(raw)
    assert all(line.quantity_shipped == line.quantity for line in draft.lines)


# -- addresses ------------------------------------------------------------------------------


def test_the_recipient_becomes_the_ship_to_address(offline: AmazonConnector) -> None:
    draft = offline.to_order(load("status_unshipped_recipient"))
    assert draft.ship_to == Address(
        name="Test Recipient",
        line1="100 Example Street",
        line2="Apt 4",
        city="Seattle",
        region="WA",
        postal_code="98101",
        country="US",
        phone="+1 206-555-0100",
    )
    assert draft.buyer is None


def test_without_the_recipient_dataset_there_is_no_address(offline: AmazonConnector) -> None:
    draft = offline.to_order(load("status_partially_shipped"))
    assert draft.ship_to is None and draft.buyer is None


# -- malformed ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_records_are_refused_naming_the_field(
    name: str, offline: AmazonConnector
) -> None:
    with pytest.raises(MalformedRecordError) as caught:
        offline.to_order(load(name))
    assert MALFORMED[name] in caught.value.message
    assert caught.value.fix, "a refusal says what to do"
