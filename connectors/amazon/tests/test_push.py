"""Tracking out with confirmShipment: applied, edited (never duplicated) on a repeat, partial
shipments, "already fulfilled" read as already applied, clear refusals naming the field."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from orderhub.sdk import PushOutcome, RejectedError, ShipmentDraft, ShipmentLine
from orderhub.sdk.carriers import broken_carrier_rule
from orderhub.sims.amazon import SimulatedAmazon
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault
from orderhub_connectors.amazon import AmazonConnector

from .conftest import US, ConnectorFactory

CONFIRM = "/shipmentConfirmation"


@pytest.fixture
def order(sim: SimulatedAmazon, clock: FakeClock) -> dict[str, Any]:
    """An unshipped merchant order with two items (2 mugs, 1 cap)."""
    return sim.add_order(
        status="UNSHIPPED",
        items=[("MUG-WHITE-11OZ", 2), ("CAP-NAVY", 1)],
        created=clock.now() - timedelta(hours=6),
    )


def shipment(
    order: dict[str, Any],
    clock: FakeClock,
    *,
    reference: str = "1",
    ship: list[tuple[int, int]] | None = None,
    **changes: Any,
) -> ShipmentDraft:
    """A shipment of ``order``; ``ship`` lists (item index, quantity), default everything."""
    items = order["orderItems"]
    chosen = ship if ship is not None else [(i, item["quantityOrdered"]) for i, item in
                                            enumerate(items)]  # fmt: skip
    values: dict[str, Any] = {
        "order_external_id": order["orderId"],
        "reference": reference,
        "carrier_code": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "shipped_at": clock.now() - timedelta(hours=1),
        "lines": tuple(ShipmentLine(items[i]["orderItemId"], q) for i, q in chosen),
        "marketplace": US,
    }
    values.update(changes)
    return ShipmentDraft(**values)


def confirmations(sim: SimulatedAmazon) -> list[Any]:
    return sim.requests_to("/orders/v0/orders", method="POST")


def test_a_shipment_is_confirmed_and_the_order_ships(
    sim: SimulatedAmazon, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    result = make_connector().push_tracking(shipment(order, clock))

    assert result.outcome is PushOutcome.APPLIED
    assert result.channel_reference == "1"
    (request,) = confirmations(sim)
    assert request.status == 204
    assert request.path == f"/orders/v0/orders/{order['orderId']}/shipmentConfirmation"
    body = request.json()
    assert body["marketplaceId"] == US
    detail = body["packageDetail"]
    assert detail["packageReferenceId"] == "1", "a JSON string, never a number"
    assert detail["carrierCode"] == "UPS" and "carrierName" not in detail
    assert detail["shipDate"] == "2026-01-15T11:00:00Z"
    assert [(i["orderItemId"], i["quantity"]) for i in detail["orderItems"]] == [
        (item["orderItemId"], item["quantityOrdered"]) for item in order["orderItems"]
    ]
    (package,) = sim.packages(order["orderId"])
    assert package["trackingNumber"] == "1Z999AA10123456784"
    assert sim.record(order["orderId"]).status == "SHIPPED"


def test_the_same_reference_again_edits_the_package_instead_of_adding_one(
    sim: SimulatedAmazon, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    connector.push_tracking(shipment(order, clock))
    again = connector.push_tracking(shipment(order, clock, tracking_number="1Z999AA10123456785"))

    assert again.outcome is PushOutcome.APPLIED
    (package,) = sim.packages(order["orderId"])
    assert package["trackingNumber"] == "1Z999AA10123456785"
    assert sim.record(order["orderId"]).packages["1"].edits == 1


def test_a_partial_shipment_then_the_rest_ships_the_order(
    sim: SimulatedAmazon, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    connector = make_connector()
    first = connector.push_tracking(shipment(order, clock, reference="1", ship=[(0, 2)]))
    assert first.outcome is PushOutcome.APPLIED
    assert sim.record(order["orderId"]).status == "PARTIALLY_SHIPPED"

    rest = connector.push_tracking(
        shipment(order, clock, reference="2", ship=[(1, 1)], tracking_number="1Z999AA1999")
    )
    assert rest.outcome is PushOutcome.APPLIED
    assert sim.record(order["orderId"]).status == "SHIPPED"
    assert [p["packageReferenceId"] for p in sim.packages(order["orderId"])] == ["1", "2"]


def test_nothing_left_to_ship_reads_as_already_applied(
    sim: SimulatedAmazon, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    # The seller confirmed the shipment in Seller Central before orderhub's push went out.
    sim.set_status(order["orderId"], "SHIPPED")
    result = make_connector().push_tracking(shipment(order, clock, reference="7"))

    assert result.outcome is PushOutcome.ALREADY_APPLIED
    assert confirmations(sim)[0].status == 400
    assert len(sim.packages(order["orderId"])) == 1, "no second package"


def test_a_lost_answer_then_a_retry_leaves_one_package(
    sim: SimulatedAmazon, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    sim.faults.add(Fault.timeout(processed=True), path="/orders/v0/orders", method="POST")
    result = make_connector().push_tracking(shipment(order, clock))

    assert result.outcome is PushOutcome.APPLIED
    assert [r.status for r in confirmations(sim)] == [None, 204], "retried with the same body"
    assert confirmations(sim)[0].body == confirmations(sim)[1].body
    assert len(sim.packages(order["orderId"])) == 1


def test_a_bad_carrier_code_is_refused_naming_the_field(
    sim: SimulatedAmazon, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(shipment(order, clock, carrier_code="Pony Express"))

    error = caught.value
    assert "carrierCode" in error.message and order["orderId"] in error.message
    assert "carrier list" in error.fix
    assert len(confirmations(sim)) == 1, "a refusal is not retried"
    assert sim.packages(order["orderId"]) == []


def test_an_item_of_another_order_is_refused_naming_the_field(
    sim: SimulatedAmazon, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    stranger = ShipmentLine("99999999999999", 1)
    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(shipment(order, clock, lines=(stranger,)))
    assert "orderItemId" in caught.value.message
    assert "orderhub orders show" in caught.value.fix


def test_shipping_more_than_ordered_is_refused_naming_the_field(
    sim: SimulatedAmazon, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(shipment(order, clock, ship=[(0, 3)]))
    assert "quantity" in caught.value.message


def test_carrier_other_sends_the_carrier_name(
    sim: SimulatedAmazon, clock: FakeClock, order: dict[str, Any], make_connector: ConnectorFactory
) -> None:
    draft = shipment(order, clock, carrier_code="Other", carrier_name="Speedy Local Couriers")
    assert make_connector().push_tracking(draft).outcome is PushOutcome.APPLIED
    detail = confirmations(sim)[0].json()["packageDetail"]
    assert (detail["carrierCode"], detail["carrierName"]) == ("Other", "Speedy Local Couriers")


def test_an_amazon_fulfilled_order_is_refused_by_amazon(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    fba = sim.add_order(status="SHIPPED", fulfilled_by="AMAZON", items=[("CAP-NAVY", 1)])
    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(shipment(fba, clock))
    assert "fulfilled by Amazon" in caught.value.message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reference": "0"}, "reference"),
        ({"reference": "abc"}, "reference"),
        ({"reference": "-4"}, "reference"),
        ({"reference": "1.5"}, "reference"),
        ({"reference": "١٢"}, "reference"),  # digits, but not ASCII ones
        ({"carrier_code": " "}, "carrierCode"),
        ({"carrier_code": "Other"}, "carrierName"),
        ({"tracking_number": ""}, "trackingNumber"),
        ({"marketplace": None}, "marketplaceId"),
        ({"lines": ()}, "orderItems"),
    ],
)
def test_shipments_amazon_could_never_accept_are_refused_before_sending(
    changes: dict[str, Any],
    field: str,
    sim: SimulatedAmazon,
    clock: FakeClock,
    order: dict[str, Any],
    make_connector: ConnectorFactory,
) -> None:
    with pytest.raises(RejectedError) as caught:
        make_connector().push_tracking(shipment(order, clock, **changes))
    assert field in caught.value.message and order["orderId"] in caught.value.message
    assert caught.value.fix
    assert confirmations(sim) == []


def test_the_declared_carrier_rules_are_what_confirm_shipment_insists_on(
    clock: FakeClock, order: dict[str, Any]
) -> None:
    # The push runner applies these before push_tracking; the keys are orderhub's carriers.
    rules = AmazonConnector.carrier_rules
    complete = shipment(order, clock, carrier_code="Other", carrier_name="Speedy Local Couriers")
    assert broken_carrier_rule(rules, "other", complete) is None
    for key, changes, field in [
        ("other", {"carrier_name": None}, "carrierName"),
        ("ups", {"tracking_number": " "}, "trackingNumber"),
        ("ups", {"marketplace": None}, "marketplaceId"),
        ("ups", {"carrier_code": ""}, "carrierCode"),
    ]:
        broken = broken_carrier_rule(rules, key, replace(complete, **changes))
        assert broken is not None and f"(field {field})" in broken.message and broken.fix
    assert broken_carrier_rule(rules, "ups", replace(complete, carrier_name=None)) is None
