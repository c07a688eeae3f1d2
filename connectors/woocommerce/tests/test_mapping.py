"""WooCommerce order JSON -> OrderDraft: statuses, money, times, lines, purity, golden files.

Fixtures (``fixtures/*.json``) are the documentation's "Retrieve an order" example, kept as
published, and orders shaped like a real shop's with obviously fake buyers. Every valid
fixture has a golden file (``golden/<name>.json``): the expected draft, serialised with
Decimals as strings and times in ISO 8601. ``malformed_*`` fixtures must be refused.

Regenerate the golden files after an intended mapping change with::

    .venv/bin/python -m pytest connectors/woocommerce/tests/test_mapping.py --update-golden

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
    validate_order,
)
from orderhub.testing import FakeClock
from orderhub.testing.kit import (
    GuardedClock,
    ImpureCall,
    fixture_files,
    load_fixture,
)
from orderhub_connectors.woocommerce import WooCommerceConnector
from orderhub_connectors.woocommerce.mapping import STATUS_MAP

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"

VALID = sorted(p.stem for p in fixture_files(FIXTURES)[0])
MALFORMED = sorted(p.stem for p in fixture_files(FIXTURES)[1])

# What WooCommerce's statuses mean for a seller, written out independently of mapping.py so a
# changed mapping shows up here as a decision, not as a silent edit.
EXPECTED_STATUSES = {
    "pending": OrderStatus.PENDING,
    "processing": OrderStatus.UNSHIPPED,
    "on-hold": OrderStatus.ON_HOLD,
    "completed": OrderStatus.SHIPPED,
    "cancelled": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
    "failed": OrderStatus.FAILED,
    "trash": OrderStatus.CANCELLED,
    "checkout-draft": OrderStatus.PENDING,
}
STATUS_FIXTURES = {
    "pending": "status_pending",
    "processing": "status_processing_variations",
    "on-hold": "status_on_hold",
    "completed": "status_completed",
    "cancelled": "status_cancelled",
    "refunded": "status_refunded",
    "failed": "status_failed",
    "trash": "status_trash",
    "checkout-draft": "status_checkout_draft",
}


def load(name: str) -> dict[str, Any]:
    return load_fixture(FIXTURES / f"{name}.json")


# -- helpers --------------------------------------------------------------------------------


@pytest.fixture
def requests_made() -> list[httpx.Request]:
    return []


@pytest.fixture
def no_network(requests_made: list[httpx.Request]) -> httpx.MockTransport:
    """A transport that records and fails every request sent through it."""

    def refuse(request: httpx.Request) -> httpx.Response:
        requests_made.append(request)
        raise AssertionError(f"to_order made an HTTP request: {request.method} {request.url}")

    return httpx.MockTransport(refuse)


@pytest.fixture
def offline(make_connector: Any, no_network: httpx.MockTransport) -> Iterator[WooCommerceConnector]:
    """A connector whose network and clock fail the test when used (the kit's guarded
    clock, armed for the whole test)."""
    clock = GuardedClock(FakeClock())
    with clock.armed():
        yield make_connector(transport=no_network, clock=clock)


@pytest.fixture
def mapped(make_connector: Any) -> WooCommerceConnector:
    """A connector whose account maps the custom status ``shipped``."""
    connector: WooCommerceConnector = make_connector(
        transport=httpx.MockTransport(lambda request: httpx.Response(500)),
        status_map={"shipped": "shipped"},
    )
    return connector


# -- golden files ---------------------------------------------------------------------------


def test_the_fixture_set_covers_what_the_connector_meets() -> None:
    statuses = {load(name)["status"] for name in VALID}
    assert statuses >= set(EXPECTED_STATUSES), "every core status has a fixture"
    lines = [line for name in VALID for line in load(name)["line_items"]]
    assert any(line["variation_id"] for line in lines), "a variable product line"
    assert any(line["sku"] == "" for line in lines), "a line without SKU"
    assert len({load(name)["currency"] for name in VALID}) >= 3, "several currencies"
    assert "docs_retrieve_order" in VALID
    assert len(MALFORMED) == 4


# The golden files, their fixtures, purity and validity are checked by the conformance kit
# (tests/test_conformance.py: test_normalization_*), with --update-golden; not twice here.


# -- the documentation's example, read field by field --------------------------------------


def test_the_documentation_example_maps_field_by_field(offline: WooCommerceConnector) -> None:
    draft = offline.to_order(load("docs_retrieve_order"))
    assert draft.external_id == "727" and draft.display_id == "727"
    assert draft.status is OrderStatus.UNSHIPPED and draft.channel_status == "processing"
    # The *_gmt twins, not the site-time fields (16:28 in the shop's zone).
    assert draft.placed_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert draft.updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert draft.currency == "USD" and draft.total == Decimal("29.35")
    simple, variation = draft.lines
    assert simple == LineDraft(
        external_id="315",
        quantity=2,
        sku=None,
        title="Woo Single #1",
        unit_price=Decimal("3.00"),
        total=Decimal("6.00"),
        identifiers={"product_id": "93"},
    )
    assert variation.sku == "Bar3"
    assert variation.identifiers == {"product_id": "22", "variation_id": "23"}
    assert draft.buyer is not None and draft.buyer.country == "US"
    assert draft.buyer.postal_code == "94103" and draft.buyer.region == "CA"
    assert draft.ship_to is not None and draft.ship_to.email is None


# -- statuses -------------------------------------------------------------------------------


def test_the_status_table_covers_every_core_status_as_documented() -> None:
    assert dict(STATUS_MAP) == EXPECTED_STATUSES


@pytest.mark.parametrize("status", sorted(EXPECTED_STATUSES))
def test_every_core_status_maps(offline: WooCommerceConnector, status: str) -> None:
    raw = load(STATUS_FIXTURES[status])
    assert raw["status"] == status
    draft = offline.to_order(raw)
    assert draft.status is EXPECTED_STATUSES[status]
    assert draft.channel_status == status


@pytest.mark.parametrize("status", ["processing", "completed"])
def test_a_wc_prefixed_status_maps_like_the_plain_one(
    offline: WooCommerceConnector, status: str
) -> None:
    raw = load(STATUS_FIXTURES[status])
    raw["status"] = f"wc-{status}"
    assert offline.to_order(raw).status is EXPECTED_STATUSES[status]


def test_completed_orders_count_every_line_as_shipped(offline: WooCommerceConnector) -> None:
    shipped = offline.to_order(load("status_completed"))
    assert [(line.quantity, line.quantity_shipped) for line in shipped.lines] == [(1, 1), (3, 3)]
    open_order = offline.to_order(load("status_processing_variations"))
    assert all(line.quantity_shipped == 0 for line in open_order.lines)


def test_a_custom_status_without_a_mapping_is_refused_with_the_fix(
    offline: WooCommerceConnector,
) -> None:
    with pytest.raises(MalformedRecordError) as caught:
        offline.to_order(load("malformed_unknown_custom_status"))
    message = str(caught.value)
    # The message is what the quarantine keeps: it must name the status and the remedy.
    assert "'shipped'" in message and "status_map" in message
    assert "status_map" in caught.value.fix and "shipped" in caught.value.fix


def test_a_custom_status_maps_through_status_map(mapped: WooCommerceConnector) -> None:
    draft = mapped.to_order(load("malformed_unknown_custom_status"))
    assert draft.status is OrderStatus.SHIPPED and draft.channel_status == "shipped"
    assert validate_order(draft) == []
    # Core statuses are unaffected by an account's extra mappings.
    assert mapped.to_order(load("status_on_hold")).status is OrderStatus.ON_HOLD


def test_status_map_can_override_a_core_status(make_connector: Any) -> None:
    connector = make_connector(
        transport=httpx.MockTransport(lambda request: httpx.Response(500)),
        status_map={"on-hold": "unshipped"},
    )
    assert connector.to_order(load("status_on_hold")).status is OrderStatus.UNSHIPPED


@pytest.mark.parametrize("status", [None, ""])
def test_a_missing_status_is_refused(offline: WooCommerceConnector, status: Any) -> None:
    raw = load("status_pending")
    raw["status"] = status
    with pytest.raises(MalformedRecordError, match="status"):
        offline.to_order(raw)


# -- money ----------------------------------------------------------------------------------


def test_money_is_decimal_parsed_from_the_strings(offline: WooCommerceConnector) -> None:
    draft = offline.to_order(load("status_processing_variations"))
    assert isinstance(draft.total, Decimal) and str(draft.total) == "110.16"
    first = draft.lines[0]
    # unit_price is the subtotal (before the coupon) per unit; total is after the coupon.
    assert (first.unit_price, first.total) == (Decimal("19.00"), Decimal("17.10"))
    assert str(draft.lines[1].unit_price) == "19.00" and str(draft.lines[1].total) == "34.20"
    for line in draft.lines:
        assert isinstance(line.unit_price, Decimal) and isinstance(line.total, Decimal)


def test_zero_decimal_currencies_keep_their_amounts(offline: WooCommerceConnector) -> None:
    draft = offline.to_order(load("currency_jpy_zero_decimals"))
    assert draft.currency == "JPY" and draft.total == Decimal("5830")
    assert draft.lines[0].unit_price == Decimal("1500") and draft.lines[0].total == Decimal("4500")


def test_three_decimal_currencies_keep_their_precision(offline: WooCommerceConnector) -> None:
    raw = load("status_pending")
    raw["currency"] = "KWD"
    raw["total"] = "20.375"
    raw["line_items"][0].update(subtotal="20.250", total="20.250")
    draft = offline.to_order(raw)
    assert str(draft.total) == "20.375"
    assert str(draft.lines[0].unit_price) == "10.125" and str(draft.lines[0].total) == "20.250"


def test_unit_prices_are_rounded_to_the_cent(offline: WooCommerceConnector) -> None:
    raw = load("status_pending")
    raw["line_items"][0].update(quantity=3, subtotal="10.00", total="10.00")
    assert str(offline.to_order(raw).lines[0].unit_price) == "3.33"


def test_multi_currency_orders_keep_their_own_currency(offline: WooCommerceConnector) -> None:
    currencies = {
        name: offline.to_order(load(name)).currency
        for name in ("currency_gbp_custom_number", "currency_usd_multicurrency")
    }
    assert currencies == {"currency_gbp_custom_number": "GBP", "currency_usd_multicurrency": "USD"}


def test_a_lower_case_currency_is_normalised(offline: WooCommerceConnector) -> None:
    raw = load("status_pending")
    raw["currency"] = "eur"
    assert offline.to_order(raw).currency == "EUR"


@pytest.mark.parametrize(
    ("where", "field"),
    [("order", "total"), ("line", "total"), ("line", "subtotal")],
)
def test_money_sent_as_a_float_is_refused(
    offline: WooCommerceConnector, where: str, field: str
) -> None:
    raw = load("status_pending")
    target = raw if where == "order" else raw["line_items"][0]
    target[field] = float(target[field])
    with pytest.raises(MalformedRecordError, match=field) as caught:
        offline.to_order(raw)
    assert "float" in str(caught.value)


# -- times ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALID)
def test_times_come_from_the_gmt_fields_as_utc(offline: WooCommerceConnector, name: str) -> None:
    raw = load(name)
    draft = offline.to_order(raw)
    for value in (draft.placed_at, draft.updated_at):
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
    assert draft.placed_at.replace(tzinfo=None).isoformat() == raw["date_created_gmt"]
    assert draft.updated_at.replace(tzinfo=None).isoformat() == raw["date_modified_gmt"]


def test_the_site_time_fields_are_ignored(offline: WooCommerceConnector) -> None:
    raw = load("status_completed")
    before = offline.to_order(raw)
    raw["date_created"] = "1999-01-01T00:00:00"
    raw["date_modified"] = "1999-01-01T00:00:00"
    assert offline.to_order(raw) == before


def test_a_gmt_time_with_an_explicit_zone_is_converted(offline: WooCommerceConnector) -> None:
    raw = load("status_pending")
    raw["date_modified_gmt"] = "2026-01-10T09:15:04+01:00"
    assert offline.to_order(raw).updated_at == datetime(2026, 1, 10, 8, 15, 4, tzinfo=UTC)


# -- lines ----------------------------------------------------------------------------------


def test_lines_carry_sku_product_and_variation_ids(offline: WooCommerceConnector) -> None:
    draft = offline.to_order(load("status_processing_variations"))
    assert [(line.external_id, line.sku, line.identifiers) for line in draft.lines] == [
        ("200201", "BLUE-TEE-S", {"product_id": "101", "variation_id": "102"}),
        ("200202", "BLUE-TEE-L", {"product_id": "101", "variation_id": "104"}),
        ("200203", "HOODIE-GREY-M", {"product_id": "130", "variation_id": "131"}),
    ]
    assert [line.quantity for line in draft.lines] == [1, 2, 1]
    assert draft.lines[0].title == "Blue T-Shirt - S"


def test_html_escaped_product_names_are_unescaped(offline: WooCommerceConnector) -> None:
    # WordPress stores titles escaped; the documentation's own example shows "&ndash;".
    variation = offline.to_order(load("docs_retrieve_order")).lines[1]
    assert variation.title == "Ship Your Idea – Color: Black, Size: M Test"
    raw = load("status_pending")
    raw["line_items"][0]["name"] = "Salt &amp; Pepper Mill"
    assert offline.to_order(raw).lines[0].title == "Salt & Pepper Mill"


def test_a_simple_product_has_no_variation_id(offline: WooCommerceConnector) -> None:
    draft = offline.to_order(load("status_completed"))
    assert all("variation_id" not in line.identifiers for line in draft.lines)
    assert draft.lines[0].identifiers == {"product_id": "150"}


def test_an_empty_sku_becomes_none(offline: WooCommerceConnector) -> None:
    card, mug = offline.to_order(load("line_without_sku")).lines
    assert card.sku is None and card.identifiers == {"product_id": "190"}
    assert mug.sku == "MUG-WHITE"


def test_a_blank_sku_becomes_none(offline: WooCommerceConnector) -> None:
    raw = load("status_pending")
    raw["line_items"][0]["sku"] = "   "
    assert offline.to_order(raw).lines[0].sku is None


def test_the_display_number_is_kept_beside_the_id(offline: WooCommerceConnector) -> None:
    draft = offline.to_order(load("currency_gbp_custom_number"))
    assert (draft.external_id, draft.display_id) == ("2011", "UK-2011")


def test_empty_address_fields_are_none(offline: WooCommerceConnector) -> None:
    draft = offline.to_order(load("status_checkout_draft"))
    assert draft.buyer == Address(country="DE")
    assert draft.ship_to == Address(country="DE")


# -- purity ---------------------------------------------------------------------------------


def test_the_purity_guards_really_fail_when_used(
    make_connector: Any,
    offline: WooCommerceConnector,
    no_network: httpx.MockTransport,
    requests_made: list[httpx.Request],
) -> None:
    # The guards the purity tests rely on do trip: any request reads the clock first (the
    # rate limiter), and a request that gets through reaches the refusing transport.
    with pytest.raises(ImpureCall, match="clock"):
        offline.check()
    with pytest.raises(AssertionError, match="HTTP request"):
        make_connector(transport=no_network).check()
    assert len(requests_made) == 1


# -- malformed records ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("malformed_quantity_not_integer", ("line_items[0]", "quantity", "1.5")),
        ("malformed_missing_date_modified_gmt", ("date_modified_gmt",)),
        ("malformed_total_not_a_number", ("total", "N/A")),
        ("malformed_unknown_custom_status", ("status", "shipped")),
    ],
)
def test_malformed_fixtures_are_refused_naming_the_field(
    offline: WooCommerceConnector, name: str, fragments: tuple[str, ...]
) -> None:
    with pytest.raises(MalformedRecordError) as caught:
        offline.to_order(load(name))
    for fragment in fragments:
        assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda raw: raw.pop("id"), "'id'"),
        (lambda raw: raw.pop("currency"), "'currency'"),
        (lambda raw: raw.pop("date_created_gmt"), "'date_created_gmt'"),
        (lambda raw: raw.update(date_modified_gmt="yesterday"), "date_modified_gmt"),
        (lambda raw: raw.update(line_items=None), "line_items"),
        (lambda raw: raw["line_items"][0].pop("id"), "line_items[0]"),
        (lambda raw: raw["line_items"][0].update(quantity="2"), "quantity"),
        (lambda raw: raw["line_items"][0].update(quantity=True), "quantity"),
        (lambda raw: raw["line_items"][0].update(total="lots"), "line_items[0].total"),
    ],
)
def test_broken_fields_are_refused_naming_the_field(
    offline: WooCommerceConnector, change: Any, fragment: str
) -> None:
    raw = load("status_pending")
    change(raw)
    with pytest.raises(MalformedRecordError) as caught:
        offline.to_order(raw)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("name", MALFORMED)
def test_messages_of_refused_records_carry_no_buyer_data(
    offline: WooCommerceConnector, name: str
) -> None:
    raw = load(name)
    personal = [
        raw[part][key]
        for part in ("billing", "shipping")
        for key in ("first_name", "last_name", "email", "phone", "address_1", "postcode")
        if raw[part].get(key)
    ]
    assert personal, "the fixture has buyer data to leak"
    with pytest.raises(MalformedRecordError) as caught:
        offline.to_order(raw)
    text = f"{caught.value} {caught.value.fix}"
    assert not [value for value in personal if value in text]


def test_an_order_whose_lines_fail_validation_is_caught_by_validate_order(
    offline: WooCommerceConnector,
) -> None:
    # A zero quantity parses (WooCommerce never sends it) but the store must not take it.
    raw = load("status_pending")
    raw["line_items"][0]["quantity"] = 0
    problems = validate_order(offline.to_order(raw))
    assert any("quantity" in problem for problem in problems)
