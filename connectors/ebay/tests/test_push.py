"""Tracking out to the simulated eBay: createShippingFulfillment after a look at the order's
existing fulfillments, so a retry after a lost answer never creates a second one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from orderhub.sdk import (
    PushOutcome,
    RateLimitedError,
    RejectedError,
    ShipmentDraft,
    ShipmentLine,
    TransientError,
)
from orderhub.sims.ebay import SimulatedEbay
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault

from .conftest import ACCOUNT, ConnectorFactory
from .spec import problems

TRACKING = "9400111899223197428490"


@pytest.fixture
def order(sim: SimulatedEbay, clock: FakeClock) -> dict[str, Any]:
    """A paid order of two lines (two T-shirts and a mug), nothing shipped."""
    return sim.add_order(
        created=clock.now() - timedelta(days=1),
        lines=[("TEE-ORGANIC-M", 2), ("MUG-ENAMEL-BLUE", 1)],
    )


def shipment(
    order: dict[str, Any],
    clock: FakeClock,
    *,
    tracking: str = TRACKING,
    carrier: str = "USPS",
    lines: tuple[tuple[int, int], ...] | None = None,
    reference: str = "ship-1",
) -> ShipmentDraft:
    items = order["lineItems"]
    chosen = (
        lines if lines is not None else tuple((i, item["quantity"]) for i, item in enumerate(items))
    )
    return ShipmentDraft(
        order_external_id=order["orderId"],
        reference=reference,
        carrier_code=carrier,
        tracking_number=tracking,
        shipped_at=clock.now() - timedelta(hours=2, microseconds=-250_000),
        lines=tuple(ShipmentLine(items[i]["lineItemId"], qty) for i, qty in chosen),
    )


def creates(sim: SimulatedEbay) -> list[Any]:
    return [
        r for r in sim.requests if r.method == "POST" and r.path.endswith("shipping_fulfillment")
    ]


def lists(sim: SimulatedEbay) -> list[Any]:
    return [
        r for r in sim.requests if r.method == "GET" and r.path.endswith("shipping_fulfillment")
    ]


class Hooked(httpx.BaseTransport):
    def __init__(self, sim: SimulatedEbay, after: Callable[[httpx.Request], None]) -> None:
        self.inner = sim.transport()
        self.after = after

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.after(request)
        return response


# -- applied --------------------------------------------------------------------------------


def test_a_push_checks_first_then_creates_the_fulfillment(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    result = make_connector().push_tracking(shipment(order, clock))

    assert result.outcome is PushOutcome.APPLIED
    assert result.channel_reference == TRACKING, "the fulfillment id from the Location header"
    assert result.detail["location"].endswith(
        f"/sell/fulfillment/v1/order/{order['orderId']}/shipping_fulfillment/{TRACKING}"
    )
    operations = [r.operation for r in sim.requests if r.operation != "token"]
    assert operations == ["getShippingFulfillments", "createShippingFulfillment"]
    (request,) = creates(sim)
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body == {
        "lineItems": [
            {"lineItemId": order["lineItems"][0]["lineItemId"], "quantity": 2},
            {"lineItemId": order["lineItems"][1]["lineItemId"], "quantity": 1},
        ],
        "shippedDate": "2026-01-15T10:00:00.250Z",
        "shippingCarrierCode": "USPS",
        "trackingNumber": TRACKING,
    }
    assert problems("ShippingFulfillmentDetails", body) == []
    (fulfillment,) = sim.fulfillments(order["orderId"])
    assert fulfillment["fulfillmentId"] == TRACKING
    assert sim.order(order["orderId"])["orderFulfillmentStatus"] == "FULFILLED"


def test_a_retry_after_a_lost_201_finds_the_fulfillment_and_creates_no_second(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    path = f"/order/{order['orderId']}/shipping_fulfillment"
    sim.faults.add(Fault.timeout(processed=True), path=path, method="POST")

    with pytest.raises(TransientError):
        connector.push_tracking(shipment(order, clock))
    assert len(creates(sim)) == 1, "the POST is not re-sent blindly after a timeout"
    assert len(sim.fulfillments(order["orderId"])) == 1, "eBay did create it"

    again = connector.push_tracking(shipment(order, clock))
    assert again.outcome is PushOutcome.ALREADY_APPLIED
    assert again.channel_reference == TRACKING
    assert len(creates(sim)) == 1, "the retry only looked"
    assert len(sim.fulfillments(order["orderId"])) == 1, "exactly one fulfillment on eBay"


def test_a_push_of_a_tracking_number_already_on_ebay_is_already_applied(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    # The seller entered it in Seller Hub, spelled with dashes and in lower case.
    sim.ship(order["orderId"], tracking_number="ab12cd34", carrier="UPS")
    result = make_connector().push_tracking(
        shipment(order, clock, tracking="AB12-CD34", carrier="UPS")
    )
    assert result.outcome is PushOutcome.ALREADY_APPLIED and result.channel_reference == "ab12cd34"
    assert creates(sim) == []


def test_a_partial_shipment_ships_only_its_lines(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    first = connector.push_tracking(shipment(order, clock, lines=((0, 1),), tracking="1ZA0000001"))
    assert first.outcome is PushOutcome.APPLIED
    assert sim.order(order["orderId"])["orderFulfillmentStatus"] == "IN_PROGRESS"
    rest = connector.push_tracking(
        shipment(order, clock, lines=((0, 1), (1, 1)), tracking="1ZA0000002", reference="ship-2")
    )
    assert rest.outcome is PushOutcome.APPLIED
    assert [f["fulfillmentId"] for f in sim.fulfillments(order["orderId"])] == [
        "1ZA0000001",
        "1ZA0000002",
    ]
    assert sim.order(order["orderId"])["orderFulfillmentStatus"] == "FULFILLED"


# -- units shipped by another route --------------------------------------------------------


def test_units_already_shipped_in_seller_hub_are_refused_before_sending(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    tee = order["lineItems"][0]["lineItemId"]
    # The seller shipped both T-shirts in Seller Hub; orderhub's shipment sends them again.
    sim.ship(order["orderId"], tracking_number="1ZSELLERHUB01", carrier="UPS", lines=[(tee, 2)])

    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(shipment(order, clock))

    error = caught.value
    assert ACCOUNT in error.message and order["orderId"] in error.message
    assert f"line item {tee} (SKU TEE-ORGANIC-M)" in error.message
    assert "sends 2 unit(s)" in error.message
    assert "2 of its 2 unit(s) shipped (tracking 1ZSELLERHUB01)" in error.message
    assert "only 0 can still ship" in error.message and "not sent" in error.message
    assert order["lineItems"][1]["lineItemId"] not in error.message, "the mug is fine"
    assert "Seller Hub" in error.fix and "orderhub shipments cancel" in error.fix
    assert error.code == "already_shipped" and error.code != "32600"
    assert creates(sim) == [], "eBay never saw the create (it would answer 32600)"
    operations = [r.operation for r in sim.requests if r.operation != "token"]
    assert operations == ["getShippingFulfillments", "getOrder"]
    assert len(sim.fulfillments(order["orderId"])) == 1


def test_every_line_short_on_ebay_is_named_with_its_tracking_numbers(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    tee, mug = (item["lineItemId"] for item in order["lineItems"])
    sim.ship(order["orderId"], tracking_number="1ZFIRST0001", carrier="UPS", lines=[(tee, 1)])
    sim.ship(order["orderId"], tracking_number="1ZSECOND002", carrier="UPS", lines=[(mug, 1)])

    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(shipment(order, clock, lines=((0, 2), (1, 1))))

    message = caught.value.message
    assert "1 of its 2 unit(s) shipped (tracking 1ZFIRST0001), so only 1 can still ship" in (
        message
    )
    assert f"line item {mug} (SKU MUG-ENAMEL-BLUE)" in message
    assert "1 of its 1 unit(s) shipped (tracking 1ZSECOND002), so only 0" in message
    assert creates(sim) == []


def test_what_ebay_still_has_unshipped_can_be_pushed(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    tee = order["lineItems"][0]["lineItemId"]
    sim.ship(order["orderId"], tracking_number="1ZSELLERHUB01", carrier="UPS", lines=[(tee, 1)])

    result = make_connector().push_tracking(shipment(order, clock, lines=((0, 1), (1, 1))))

    assert result.outcome is PushOutcome.APPLIED
    assert len(creates(sim)) == 1
    assert sim.order(order["orderId"])["orderFulfillmentStatus"] == "FULFILLED"


def test_lines_no_fulfillment_covers_cost_no_extra_call_to_ebay(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    tee = order["lineItems"][0]["lineItemId"]
    sim.ship(order["orderId"], tracking_number="1ZSELLERHUB01", carrier="UPS", lines=[(tee, 2)])

    result = make_connector().push_tracking(shipment(order, clock, lines=((1, 1),)))

    assert result.outcome is PushOutcome.APPLIED
    operations = [r.operation for r in sim.requests if r.operation != "token"]
    assert operations == ["getShippingFulfillments", "createShippingFulfillment"]


# -- tracking numbers and carriers ----------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    ["9400 1118 9922 3197 4284 90", "9400-1118-9922-3197-4284-90", " 9400111899223197428490\t"],
)
def test_spaces_and_dashes_are_removed_before_sending(
    sim: SimulatedEbay,
    clock: FakeClock,
    order: dict[str, Any],
    make_connector: ConnectorFactory,
    given: str,
) -> None:
    result = make_connector().push_tracking(shipment(order, clock, tracking=given))
    assert result.outcome is PushOutcome.APPLIED and result.channel_reference == TRACKING
    assert creates(sim)[0].json()["trackingNumber"] == TRACKING


@pytest.mark.parametrize("given", ["AB/123456", "1Z.999", "TRACK#1", "", " - "])
def test_a_tracking_number_ebay_cannot_take_is_refused_before_sending(
    sim: SimulatedEbay,
    clock: FakeClock,
    order: dict[str, Any],
    make_connector: ConnectorFactory,
    given: str,
) -> None:
    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(shipment(order, clock, tracking=given))
    error = caught.value
    assert order["orderId"] in error.message and ACCOUNT in error.message
    assert "tracking number" in error.message and "not sent" in error.message
    assert "letters and digits" in error.fix
    assert sim.requests == [], "nothing reached eBay"


def test_an_unknown_carrier_is_refused_by_ebay_with_the_reason(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(shipment(order, clock, carrier="PonyExpress"))
    error = caught.value
    assert error.code == "32300" and error.status == 400
    assert order["orderId"] in error.message
    assert "invalid shipment tracking number or carrier" in error.message
    assert "'PonyExpress'" in error.message
    assert "carrier code" in error.fix
    assert sim.fulfillments(order["orderId"]) == []


def test_a_missing_carrier_is_refused_before_sending(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    with pytest.raises(RejectedError, match="no carrier code"):
        make_connector().push_tracking(shipment(order, clock, carrier="  "))
    assert sim.requests == []


def test_a_line_of_another_order_is_refused_by_ebay(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    other = sim.add_order(created=clock.now() - timedelta(hours=5))
    draft = shipment(order, clock)
    stray = ShipmentDraft(
        order_external_id=draft.order_external_id,
        reference=draft.reference,
        carrier_code=draft.carrier_code,
        tracking_number=draft.tracking_number,
        shipped_at=draft.shipped_at,
        lines=(ShipmentLine(other["lineItems"][0]["lineItemId"], 1),),
    )
    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(stray)
    assert caught.value.code == "32200" and "line item" in caught.value.message


def test_an_unknown_order_is_refused_naming_it(
    clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    draft = shipment(order, clock)
    unknown = ShipmentDraft(
        order_external_id="99-99999-99999",
        reference="x",
        carrier_code="USPS",
        tracking_number=TRACKING,
        shipped_at=draft.shipped_at,
        lines=draft.lines,
    )
    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(unknown)
    assert "99-99999-99999" in caught.value.message and caught.value.code == "32100"


def test_a_shipment_without_lines_is_refused_before_sending(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    with pytest.raises(RejectedError, match="no line items"):
        make_connector().push_tracking(shipment(order, clock, lines=()))
    assert sim.requests == []


# -- conflicts, throttling, quota -----------------------------------------------------------


def test_a_409_after_someone_else_created_it_is_already_applied(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    path = f"/order/{order['orderId']}/shipping_fulfillment"

    def after(request: httpx.Request) -> None:
        # Between our look and our create, another tool uploads the same tracking number.
        listing = request.method == "GET" and request.url.path.endswith("shipping_fulfillment")
        if listing and not sim.fulfillments(order["orderId"]):
            sim.ship(order["orderId"], tracking_number=TRACKING, carrier="USPS")

    sim.faults.add(Fault.status(409, body='{"errors":[]}'), path=path, method="POST")
    result = make_connector(transport=Hooked(sim, after)).push_tracking(shipment(order, clock))
    assert result.outcome is PushOutcome.ALREADY_APPLIED
    assert len(sim.fulfillments(order["orderId"])) == 1


def test_a_409_with_nothing_found_is_rejected(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    path = f"/order/{order['orderId']}/shipping_fulfillment"
    sim.faults.add(Fault.status(409, body='{"errors":[]}'), path=path, method="POST")
    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(shipment(order, clock))
    assert caught.value.status == 409 and order["orderId"] in caught.value.message


def test_a_throttled_create_is_retried_because_ebay_did_not_act_on_it(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    path = f"/order/{order['orderId']}/shipping_fulfillment"
    body = (
        '{"errors":[{"errorId":2001,"domain":"ACCESS","category":"REQUEST",'
        '"message":"Too many requests."}]}'
    )
    sim.faults.add(Fault.status(429, body=body), path=path, method="POST")
    result = make_connector().push_tracking(shipment(order, clock))
    assert result.outcome is PushOutcome.APPLIED
    assert [r.status for r in creates(sim)] == [429, 201]
    assert len(sim.fulfillments(order["orderId"])) == 1


def test_a_push_with_the_day_used_up_is_refused_without_a_call(
    sim: SimulatedEbay, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    connector = make_connector(daily_call_limit=10, daily_reserve=2)
    connector.quota.record(10)
    with pytest.raises(RateLimitedError, match="tracking uploads wait"):
        connector.push_tracking(shipment(order, clock))
    assert sim.requests == []
