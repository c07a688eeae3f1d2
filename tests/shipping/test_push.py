"""The push runner against the simulated WooCommerce: confirmed, partial, lost answers,
permanent refusals, conflicts, leases, verification (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
import structlog
from sqlalchemy import Engine, select, update

from orderhub.sdk import CarrierRule, ConnectorContext, PushResult, ShipmentDraft
from orderhub.shipping.push import DUE, PushRunner, verify_pushes
from orderhub.shipping.record import PUSHES, record_shipments
from orderhub.shipping.requests import ShipmentRequest
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault, SimResponse
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings

from .conftest import pull

UPS = "1Z999AA10123456784"


def ship(engine: Engine, clock: FakeClock, order: str, tracking: str = UPS, **kwargs: Any) -> int:
    with engine.begin() as connection:
        [shipment] = record_shipments(
            connection,
            [ShipmentRequest(order=order, carrier="UPS", tracking=tracking, **kwargs)],
            source="test",
            now=clock.now(),
        )
    assert shipment.push_id is not None
    return shipment.push_id


def push_row(engine: Engine, push_id: int) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(PUSHES).where(PUSHES.c.id == push_id)).one()


def tracking_notes(shop: SimulatedWooCommerce, order: str, tracking: str = UPS) -> int:
    return sum(1 for note in shop.notes(int(order)) if tracking in note["note"])


def test_a_full_shipment_is_pushed_as_a_customer_note_and_completes_the_order(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
    stored_orders: dict[str, Any],
) -> None:
    order = next(iter(stored_orders))
    push_id = ship(store_engine, clock, order)
    result = PushRunner(store_engine, connector).run()
    assert result.outcomes == {"confirmed": 1}
    assert tracking_notes(shop, order) == 1
    note = next(n for n in shop.notes(int(order)) if UPS in n["note"])
    assert note["customer_note"] is True and "UPS" in note["note"]
    assert shop.order(int(order))["status"] == "completed"
    row = push_row(store_engine, push_id)
    assert row.status == "confirmed" and row.attempts == 1 and row.completes_order

    # The next pull shows the order shipped on the channel: the push is verified.
    clock.advance(120)
    pull(store_engine, connector)
    with store_engine.begin() as connection:
        verified, flagged = verify_pushes(
            connection,
            account_id="shop",
            now=clock.now(),
            verify_after=timedelta(hours=2),
            reflects_partial=False,
        )
    assert (verified, flagged) == (1, 0)
    assert push_row(store_engine, push_id).verified_at is not None


def test_a_partial_then_final_shipment(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
    stored_orders: dict[str, Any],
) -> None:
    order = list(stored_orders)[1]
    first = ship(store_engine, clock, order, lines=(("MUG-WHITE", 2),))
    PushRunner(store_engine, connector).run()
    assert shop.order(int(order))["status"] == "processing", "partial: the order stays open"
    second = ship(store_engine, clock, order, tracking="1Z999AA10123456785")
    PushRunner(store_engine, connector).run()
    assert shop.order(int(order))["status"] == "completed"
    assert tracking_notes(shop, order) == 1
    assert tracking_notes(shop, order, "1Z999AA10123456785") == 1
    assert push_row(store_engine, first).completes_order is False
    assert push_row(store_engine, second).completes_order is True


def test_a_lost_answer_is_retried_later_and_creates_no_second_note(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
    stored_orders: dict[str, Any],
) -> None:
    order = list(stored_orders)[2]
    push_id = ship(store_engine, clock, order)
    # The shop writes the note, then the answer is lost on the way back.
    shop.faults.add(Fault.timeout(processed=True), path=f"/orders/{order}/notes", method="POST")
    assert PushRunner(store_engine, connector).run().outcomes == {"retrying": 1}
    row = push_row(store_engine, push_id)
    assert (
        row.next_attempt_at > clock.now() and "timed out" in (row.last_error or "").lower()
    ) or row.last_error
    assert PushRunner(store_engine, connector).run().attempted == 0, "not due before its backoff"

    clock.advance(3 * 60)
    assert PushRunner(store_engine, connector).run().outcomes == {"already_applied": 1}
    assert tracking_notes(shop, order) == 1
    assert push_row(store_engine, push_id).attempts == 2


def test_a_permanent_refusal_fails_with_the_channels_reason_and_can_be_retried(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
    stored_orders: dict[str, Any],
) -> None:
    order = next(iter(stored_orders))
    push_id = ship(store_engine, clock, order)
    shop.faults.add(Fault.status(400), path=f"/orders/{order}/notes", method="POST")
    assert PushRunner(store_engine, connector).run().outcomes == {"failed": 1}
    row = push_row(store_engine, push_id)
    assert row.last_error_kind == "rejected" and "400" in row.last_error
    assert tracking_notes(shop, order) == 0
    # A person fixes the cause and queues it again.
    with store_engine.begin() as connection:
        connection.execute(
            update(PUSHES)
            .where(PUSHES.c.id == push_id)
            .values(status="pending", next_attempt_at=clock.now())
        )
    assert PushRunner(store_engine, connector).run().outcomes == {"confirmed": 1}


def test_an_order_cancelled_on_the_channel_after_shipping_is_a_conflict_not_a_push(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
    stored_orders: dict[str, Any],
) -> None:
    order = next(iter(stored_orders))
    push_id = ship(store_engine, clock, order)
    shop.set_status(int(order), "cancelled")
    clock.advance(120)
    pull(store_engine, connector)
    assert PushRunner(store_engine, connector).run().outcomes == {"conflict": 1}
    assert tracking_notes(shop, order) == 0
    assert "cancelled" in push_row(store_engine, push_id).last_error


def test_a_claim_whose_worker_died_is_taken_over_after_its_lease(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
    stored_orders: dict[str, Any],
) -> None:
    order = next(iter(stored_orders))
    push_id = ship(store_engine, clock, order)
    dead = PushRunner(store_engine, connector, worker_id="dead", lease=timedelta(minutes=5))
    assert dead.claim() == push_id  # ... and the process dies before pushing
    alive = PushRunner(store_engine, connector, worker_id="alive")
    assert alive.claim() is None, "still leased"
    clock.advance(6 * 60)
    assert alive.run().outcomes == {"confirmed": 1}
    assert push_row(store_engine, push_id).claimed_by == "alive"


def test_a_push_the_channel_accepted_but_never_shows_is_flagged(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
    stored_orders: dict[str, Any],
) -> None:
    order = next(iter(stored_orders))
    push_id = ship(store_engine, clock, order)
    # The shop answers the status change with 200 but does not apply it (a plugin veto).
    shop.faults.add(
        Fault.respond(SimResponse.json(200, shop.order(int(order)))),
        path=f"/orders/{order}",
        method="PUT",
    )
    PushRunner(store_engine, connector).run()
    clock.advance(60)
    pull(store_engine, connector)
    with store_engine.begin() as connection:
        assert verify_pushes(
            connection,
            account_id="shop",
            now=clock.now(),
            verify_after=timedelta(hours=2),
            reflects_partial=False,
        ) == (0, 0)
    clock.advance(3 * 3600)
    with store_engine.begin() as connection:
        assert verify_pushes(
            connection,
            account_id="shop",
            now=clock.now(),
            verify_after=timedelta(hours=2),
            reflects_partial=False,
        ) == (0, 1)
    assert push_row(store_engine, push_id).not_reflected_at is not None


# The race is about PostgreSQL's row locks (SQLite serialises writers).
@pytest.mark.parametrize(
    "store_engine", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_two_workers_racing_on_postgresql_push_each_row_once(
    store_engine: Engine,
    shop: SimulatedWooCommerce,
) -> None:
    clock = FakeClock(datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    shop.clock = clock  # share the racing workers' clock
    ids = [
        shop.add_order(created=clock.now() - timedelta(hours=2), lines=[("MUG-WHITE", 1)])["id"]
        for _ in range(30)
    ]

    def make() -> WooCommerceConnector:
        return WooCommerceConnector(
            ConnectorContext(
                account_id="shop",
                settings=WooCommerceSettings(
                    base_url="http://127.0.0.1/", consumer_key="ck_test", consumer_secret="cs_test"
                ),
                clock=clock,
                log=structlog.get_logger(),
                transport=shop.transport(),
            )
        )

    first, second = make(), make()
    clock.advance(120)
    pull(store_engine, first)
    for index, order in enumerate(ids):
        ship(store_engine, clock, str(order), tracking=f"1Z999AA1{index:010d}")
    results: list[Any] = []
    threads = [
        threading.Thread(
            target=lambda c=c, w=w: results.append(PushRunner(store_engine, c, worker_id=w).run())
        )
        for c, w in ((first, "worker-a"), (second, "worker-b"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.outcomes["confirmed"] for r in results) == 30
    posts = [r for r in shop.requests if r.method == "POST" and r.path.endswith("/notes")]
    assert len(posts) == 30, "no row was pushed by both workers"
    for index, order in enumerate(ids):
        assert tracking_notes(shop, str(order), f"1Z999AA1{index:010d}") == 1


class _DeclaringWoo(WooCommerceConnector):
    """WooCommerce with carrier codes and a rule of its own, as a connector declares them."""

    carrier_codes: ClassVar[Mapping[str, str]] = {"ups": "UPS Worldwide"}
    carrier_rules = (
        CarrierRule(
            carrier="ups",
            needs=("marketplace",),
            message="this channel needs the marketplace of every UPS shipment",
            fix="Set the order's marketplace.",
        ),
    )


def _declaring(connector: WooCommerceConnector) -> _DeclaringWoo:
    return _DeclaringWoo(connector.context)


def test_a_connectors_carrier_rule_refuses_the_push_before_anything_is_sent(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
    stored_orders: dict[str, Any],
) -> None:
    order = next(iter(stored_orders))
    push_id = ship(store_engine, clock, order)
    before = len(shop.requests)
    result = PushRunner(store_engine, _declaring(connector)).run()
    assert result.outcomes == {"failed": 1}
    row = push_row(store_engine, push_id)
    assert row.last_error == "this channel needs the marketplace of every UPS shipment"
    assert row.fix == "Set the order's marketplace."
    assert len(shop.requests) == before, "nothing sent"


def test_a_connectors_declared_carrier_code_is_what_it_receives(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
    stored_orders: dict[str, Any],
) -> None:
    class Codes(WooCommerceConnector):
        carrier_codes: ClassVar[Mapping[str, str]] = {"ups": "UPS Worldwide"}
        seen: ClassVar[list[str]] = []

        def push_tracking(self, shipment: ShipmentDraft) -> PushResult:
            self.seen.append(shipment.carrier_code)
            return super().push_tracking(shipment)

    order = next(iter(stored_orders))
    ship(store_engine, clock, order)
    assert PushRunner(store_engine, Codes(connector.context)).run().outcomes == {"confirmed": 1}
    assert Codes.seen == ["UPS Worldwide"]


def test_a_carrier_rule_names_only_shipment_fields() -> None:
    with pytest.raises(ValueError, match="tracking_url"):
        CarrierRule(carrier="other", needs=("tracking_url",), message="m", fix="f")


def test_a_backlog_drains_in_one_run_at_the_channels_pace_not_a_fixed_count(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
) -> None:
    """A day's labels printed at once: 150 pushes, more than any fixed per-run cap the
    push job used to have (100), all go in one run; the token bucket sets the pace."""
    created = clock.now() - timedelta(hours=5)
    orders = [shop.add_order(created=created, lines=[("BLUE-TEE-M", 1)]) for _ in range(150)]
    clock.advance(120)
    pull(store_engine, connector)
    for order in orders:
        ship(store_engine, clock, str(order["id"]))
    started = clock.monotonic()
    result = PushRunner(store_engine, connector).run()
    assert result.outcomes == {"confirmed": 150}
    assert all(tracking_notes(shop, str(order["id"])) == 1 for order in orders)
    # Paced, not sent in a burst: at least one request per push, at the shop's plan.
    plan = connector.default_rate_limit
    assert plan is not None
    assert clock.monotonic() - started >= (150 - plan.burst) / plan.rate
    with store_engine.connect() as connection:
        left = connection.execute(select(PUSHES.c.id).where(PUSHES.c.status.in_(DUE))).first()
    assert left is None


def test_a_limit_still_ends_a_run_early_and_the_next_run_takes_the_rest(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
    stored_orders: dict[str, Any],
) -> None:
    for order in stored_orders:
        ship(store_engine, clock, order)
    runner = PushRunner(store_engine, connector)
    assert runner.run(limit=2).attempted == 2
    assert runner.run().outcomes == {"confirmed": 1}
    assert runner.run().attempted == 0


def test_a_stop_during_a_retry_wait_releases_the_claim_and_logs_no_crash(
    store_engine: Engine,
    clock: FakeClock,
    shop: SimulatedWooCommerce,
    connector: WooCommerceConnector,
    stored_orders: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from structlog.testing import capture_logs

    from orderhub.sdk.clock import Interrupted

    order = next(iter(stored_orders))
    push_id = ship(store_engine, clock, order)
    # The channel answers 503, and the stop arrives during the retry pause.
    shop.faults.add(Fault.status(503), times=10)

    def stopped(seconds: float) -> None:
        raise Interrupted("shutdown requested while waiting")

    monkeypatch.setattr(connector.http.clock, "sleep", stopped)
    with capture_logs() as logs:
        result = PushRunner(store_engine, connector).run()
    assert sum(result.outcomes.values()) == 0
    events = {(entry["event"], entry["log_level"]) for entry in logs}
    assert ("push.stopping", "info") in events
    assert not any(event.endswith("crashed") for event, _ in events)
    row = push_row(store_engine, push_id)
    # Released at once: due now, not after the lease runs out.
    assert row.status == "retrying" and row.lease_until is None
    assert row.next_attempt_at <= clock.now()
