"""Recording shipments: every check, all-or-nothing, and the outbox row in the same
transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from orderhub.shipping.record import (
    PUSHES,
    SHIPMENT_LINES,
    SHIPMENTS,
    find_order,
    record_shipments,
)
from orderhub.shipping.requests import ShipmentError, ShipmentRequest
from orderhub.store.ingest import ORDERS

NOW = datetime(2026, 1, 15, 13, 0, tzinfo=UTC)
UPS = "1Z999AA10123456784"


def record(engine: Engine, *requests: ShipmentRequest) -> Any:
    with engine.begin() as connection:
        return record_shipments(connection, list(requests), source="test", now=NOW)


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_whole_order_shipment_writes_shipment_lines_and_one_push(
    store_engine: Engine, stored_orders: dict[str, Any]
) -> None:
    order = next(iter(stored_orders))
    [shipment] = record(store_engine, ShipmentRequest(order=order, carrier="ups", tracking=UPS))
    assert shipment.lines == [(stored_orders[order]["lines"]["BLUE-TEE-M"], 3)]
    assert shipment.carrier == "ups" and shipment.tracking_number == UPS
    with store_engine.connect() as connection:
        push = connection.execute(select(PUSHES)).one()
    assert (push.status, push.shipment_id, push.channel) == (
        "pending",
        shipment.shipment_id,
        "woocommerce",
    )


def test_partial_shipments_add_up_and_more_than_ordered_is_refused(
    store_engine: Engine, stored_orders: dict[str, Any]
) -> None:
    order = list(stored_orders)[1]
    record(
        store_engine,
        ShipmentRequest(
            order=order, carrier="FedEx", tracking="794612345678", lines=(("MUG-WHITE", 1),)
        ),
    )
    with pytest.raises(ShipmentError) as caught:
        record(
            store_engine,
            ShipmentRequest(
                order=order,
                carrier="Royal Mail",
                tracking="AB123456789GB",
                lines=(("MUG-WHITE", 2),),
            ),
        )
    assert "more than the 1 left to ship" in str(caught.value)
    rest = record(
        store_engine, ShipmentRequest(order=order, carrier="Royal Mail", tracking="AB123456789GB")
    )
    assert sorted(q for _, q in rest[0].lines) == [1, 1]
    with pytest.raises(ShipmentError, match="already recorded as shipped"):
        record(store_engine, ShipmentRequest(order=order, carrier="DPD", tracking="15501234567890"))


def test_the_same_tracking_twice_is_recognised_not_duplicated(
    store_engine: Engine, stored_orders: dict[str, Any]
) -> None:
    order = next(iter(stored_orders))
    record(store_engine, ShipmentRequest(order=order, carrier="ups", tracking=UPS))
    [again] = record(
        store_engine, ShipmentRequest(order=order, carrier="UPS", tracking="1z999aa1-0123456784")
    )
    assert again.already_recorded
    assert count(store_engine, SHIPMENTS) == 1 and count(store_engine, PUSHES) == 1


def test_a_batch_is_all_or_nothing_with_every_problem_named(
    store_engine: Engine, stored_orders: dict[str, Any]
) -> None:
    first, second, third = stored_orders
    with pytest.raises(ShipmentError) as caught:
        record(
            store_engine,
            ShipmentRequest(order=first, carrier="ups", tracking=UPS, label="row 2"),
            ShipmentRequest(order="nope", carrier="ups", tracking=UPS, label="row 3"),
            ShipmentRequest(order=second, carrier="Fedx", tracking="1", label="row 4"),
            ShipmentRequest(order=third, carrier="ups", tracking="12345", label="row 5"),
            ShipmentRequest(
                order=second,
                carrier="dpd",
                tracking="15501234567890",
                lines=(("NOT-ON-ORDER", 1),),
                label="row 6",
            ),
            ShipmentRequest(order=third, carrier="other", tracking="XYZ12345", label="row 7"),
        )
    labels = [problem.label for problem in caught.value.problems]
    assert labels == ["row 3", "row 4", "row 5", "row 6", "row 7"]
    text = str(caught.value)
    assert "no order 'nope'" in text
    assert "Did you mean FedEx" in text
    assert "does not look like a UPS tracking number" in text
    assert "'NOT-ON-ORDER' is not a line of this order" in text
    assert "carrier Other needs the carrier's name" in text
    assert count(store_engine, SHIPMENTS) == 0, "the good row 2 was not recorded either"


def test_cancelled_and_marketplace_fulfilled_orders_are_refused(
    store_engine: Engine, stored_orders: dict[str, Any]
) -> None:
    first, second, _ = stored_orders
    with store_engine.begin() as connection:
        connection.execute(
            update(ORDERS).where(ORDERS.c.external_id == first).values(status="cancelled")
        )
        connection.execute(
            update(ORDERS).where(ORDERS.c.external_id == second).values(fulfilled_by_channel=True)
        )
    with pytest.raises(ShipmentError) as caught:
        record(
            store_engine,
            ShipmentRequest(order=first, carrier="ups", tracking=UPS),
            ShipmentRequest(order=second, carrier="ups", tracking=UPS),
        )
    text = str(caught.value)
    assert "is cancelled on the channel" in text
    assert "fulfilled by the marketplace itself" in text


def test_lines_are_found_by_sku_or_line_id_and_quantities_default_to_what_is_left(
    store_engine: Engine, stored_orders: dict[str, Any]
) -> None:
    order = list(stored_orders)[1]
    cap_line = stored_orders[order]["lines"]["CAP-BLACK"]
    [shipment] = record(
        store_engine,
        ShipmentRequest(
            order=order,
            carrier="gls",
            tracking="GLS123456",
            lines=(("mug-white", None), (cap_line, 1)),
        ),
    )
    assert sorted(shipment.lines) == sorted(
        [(stored_orders[order]["lines"]["MUG-WHITE"], 2), (cap_line, 1)]
    )
    with store_engine.connect() as connection:
        assert connection.execute(select(func.sum(SHIPMENT_LINES.c.quantity))).scalar_one() == 3


def test_find_order_names_ambiguity_and_prefers_orderhub_ids(
    store_engine: Engine, stored_orders: dict[str, Any]
) -> None:
    first, second, third = stored_orders
    first_id = stored_orders[first]["id"]
    with store_engine.begin() as connection:
        # Another account's order shows the first order's id as its number, and the third
        # order's number looks like orderhub's id of the first.
        connection.execute(
            update(ORDERS)
            .where(ORDERS.c.external_id == second)
            .values(account_id="shop-eu", display_id=first)
        )
        connection.execute(
            update(ORDERS).where(ORDERS.c.external_id == third).values(display_id=str(first_id))
        )
    with store_engine.connect() as connection:
        row, why = find_order(connection, first, None)
        assert (
            row is None and why == f"{first!r} matches orders in several accounts (shop, shop-eu)"
        )
        row, why = find_order(connection, first, "shop")
        assert why is None and row is not None and row.external_id == first
        row, why = find_order(connection, str(first_id), None)
        assert why is None and row is not None and row.external_id == first
        row, why = find_order(connection, str(first_id), "shop-eu")
        assert row is None and why == f"no order {str(first_id)!r} in account shop-eu"
