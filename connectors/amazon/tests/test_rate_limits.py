"""Rate limits: paced by the published plan before sending, Amazon's announced rate adopted,
and a surprise 429 (no Retry-After from Amazon) waits for the bucket instead of hammering.

All times here are simulated (a FakeClock): the waits are what the connector asked for.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest

from orderhub.sdk import (
    PushOutcome,
    RateLimit,
    RateLimitedError,
    RetryPolicy,
    ShipmentDraft,
    ShipmentLine,
    SyncWindow,
)
from orderhub.sims.amazon import USAGE_PLANS, SimulatedAmazon
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault
from orderhub_connectors.amazon import AmazonConnector

from .conftest import US, ConnectorFactory

SEARCH = "/orders/2026-01-01/orders"
CONFIRMATIONS = "/orders/v0/orders"
INTERVAL = 1 / 0.0056  # seconds between two searchOrders tokens (~178.6 s)
QUOTA_BODY = (
    '{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested '
    'resource.","details":""}]}'
)


def confirmation(order: dict[str, Any], clock: FakeClock) -> ShipmentDraft:
    """A shipment of all of ``order`` (one item) by UPS."""
    (item,) = order["orderItems"]
    return ShipmentDraft(
        order_external_id=order["orderId"],
        reference="1",
        carrier_code="UPS",
        tracking_number="1Z999AA10123456784",
        shipped_at=clock.now() - timedelta(hours=1),
        lines=(ShipmentLine(item["orderItemId"], 1),),
        marketplace=US,
    )


def window(clock: FakeClock) -> SyncWindow:
    end = clock.now() - timedelta(minutes=5)
    return SyncWindow(start=end - timedelta(days=3), end=end)


def gaps(sim: SimulatedAmazon) -> list[float]:
    times = [r.time for r in sim.requests_to(SEARCH)]
    return [(b - a).total_seconds() for a, b in pairwise(times)]


def test_the_declared_plans_are_amazons() -> None:
    declared = AmazonConnector.rate_limits
    for operation in ("searchOrders", "getOrder", "confirmShipment"):
        plan, amazons = declared[operation], USAGE_PLANS[operation]
        assert (plan.rate, plan.burst) == (amazons.rate, amazons.burst)
    assert declared["searchOrders"] == RateLimit(rate=0.0056, burst=20)
    # Pushes start with an empty bucket (0.5 s before the first); reads start full (an empty
    # searchOrders bucket would hold a new process's first page back three minutes).
    assert not declared["confirmShipment"].start_full
    assert declared["searchOrders"].start_full and declared["getOrder"].start_full


def test_a_push_process_started_right_after_another_meets_no_429(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    """A restart in the middle of a push drain. The first process has run long enough for
    its bucket to fill, so a backlog goes out as Amazon's burst of 10, then at the plan's
    rate, and Amazon's bucket for the seller is empty when it stops; a fresh connector
    (fresh buckets) started at once waits for the token Amazon earns instead of bursting
    into a 429."""
    created = clock.now() - timedelta(hours=6)
    orders = [
        sim.add_order(status="UNSHIPPED", items=[("MUG-WHITE-11OZ", 1)], created=created)
        for _ in range(25)
    ]
    first = make_connector()
    first.push_tracking(confirmation(orders[0], clock))
    clock.advance(60.0)  # the worker pushed nothing for a minute: its bucket is full again
    for order in orders[1:15]:
        assert first.push_tracking(confirmation(order, clock)).outcome is PushOutcome.APPLIED
    restarted = make_connector()
    for order in orders[15:]:
        outcome = restarted.push_tracking(confirmation(order, clock)).outcome
        assert outcome is PushOutcome.APPLIED

    assert restarted.http.stats.throttled == 0
    assert sim.rate_limits.throttled == {}
    times = [r.time for r in sim.requests_to(CONFIRMATIONS, method="POST")]
    spacing = [(b - a).total_seconds() for a, b in pairwise(times)]
    assert spacing[1:10] == [0.0] * 9, "an earned burst of 10 goes out at once"
    assert all(gap >= 0.5 - 1e-6 for gap in spacing[10:]), "then one every 0.5 s, restart or not"


def test_pacing_by_the_plan_meets_no_429(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    sim.generate(2600, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    connector = make_connector()
    orders = list(connector.fetch_orders(window(clock)))

    assert len(orders) == 2600
    assert len(sim.requests_to(SEARCH)) == 26
    assert sim.rate_limits.throttled == {}
    assert connector.http.stats.throttled == 0
    spacing = gaps(sim)
    assert spacing[:19] == [0.0] * 19, "the burst of 20 goes out at once"
    assert all(gap >= INTERVAL - 1e-6 for gap in spacing[19:]), "then one per token interval"


def test_a_surprise_429_waits_a_full_token_interval_then_goes_on(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    sim.generate(150, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    sim.faults.add(Fault.status(429), path=SEARCH, skip=1)  # the second page is throttled
    connector = make_connector()
    orders = list(connector.fetch_orders(window(clock)))

    assert len(orders) == 150
    searches = sim.requests_to(SEARCH)
    assert [r.status for r in searches] == [200, 429, 200]
    assert gaps(sim)[1] >= INTERVAL - 1e-3, "no retry before the bucket has a token again"
    assert connector.http.stats.throttled == 1 and connector.http.stats.retries == 1


def test_repeated_429s_give_up_after_a_few_spaced_attempts(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    sim.faults.add(Fault.status(429, body=QUOTA_BODY), path=SEARCH, times=None)
    connector = make_connector()
    with pytest.raises(RateLimitedError) as caught:
        list(connector.fetch_orders(window(clock)))

    assert len(sim.requests_to(SEARCH)) == AmazonConnector.retry_policy.max_attempts
    assert all(gap >= INTERVAL - 1e-3 for gap in gaps(sim)), gaps(sim)
    assert "QuotaExceeded" in caught.value.message


def test_a_plan_lower_than_declared_costs_one_429_then_paces(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    # Another app of the seller already spent most of the shared burst.
    sim.rate_limits.set("searchOrders", RateLimit(rate=0.0056, burst=3))
    sim.generate(900, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    connector = make_connector()
    orders = list(connector.fetch_orders(window(clock)))

    assert len(orders) == 900
    assert sim.rate_limits.throttled == {"searchOrders": 1}
    statuses = [r.status for r in sim.requests_to(SEARCH)]
    assert statuses.count(429) == 1 and statuses[-1] == 200


def test_the_announced_rate_is_adopted_keeping_the_burst(
    sim: SimulatedAmazon, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    # A seller with a higher plan: Amazon says so in x-amzn-RateLimit-Limit.
    sim.rate_limits.set("searchOrders", RateLimit(rate=0.0167, burst=20))
    sim.generate(2500, start=clock.now() - timedelta(days=2), spread=timedelta(days=1))
    connector = make_connector()
    list(connector.fetch_orders(window(clock)))

    bucket = connector.http.bucket("searchOrders")
    assert bucket is not None and bucket.limit == RateLimit(rate=0.0167, burst=20)
    paced = gaps(sim)[19:]
    assert paced and all(1 / 0.0167 - 1e-6 <= gap < INTERVAL / 2 for gap in paced)
    assert sim.rate_limits.throttled == {}


@pytest.mark.parametrize("value", ["", "fast", "0", "-1", "nan"])
def test_a_useless_rate_header_is_ignored(value: str, make_connector: ConnectorFactory) -> None:
    connector = make_connector()
    response = httpx.Response(200, headers={"x-amzn-RateLimit-Limit": value})
    assert connector.rate_limit_from_response("searchOrders", response) is None


def test_the_sync_and_retry_declarations_are_amazons() -> None:
    # Most of them are the SDK's defaults; pinned here so a change of a default is a decision
    # about Amazon too (see the comments on AmazonConnector).
    cls = AmazonConnector
    assert cls.retry_policy == RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=60.0)
    assert cls.retry_policy.jitter == 0.1
    assert cls.settle_delay == timedelta(minutes=2, seconds=5)
    assert (cls.lookback, cls.max_window, cls.initial_backfill) == (
        timedelta(minutes=10),
        timedelta(days=7),
        timedelta(days=30),
    )
    assert (cls.sorted_by_updated_at, cls.page_size) == (False, 100)
    assert cls.rate_limit_header == "x-amzn-RateLimit-Limit"
