"""eBay's daily call limits: the eBay day (midnight US Pacific), orders in stopping before the
calls kept for tracking uploads, and 429 (errorId 2001) waited out without hammering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from orderhub.sdk import RateLimitedError, ShipmentDraft, ShipmentLine, SyncWindow
from orderhub.sims.ebay import SimulatedEbay
from orderhub.store.runs import ACCOUNT_STATE
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub.testing.sim import Fault

from .conftest import ACCOUNT, ConnectorFactory

TOO_MANY = (
    '{"errors":[{"errorId":2001,"domain":"ACCESS","category":"REQUEST",'
    '"message":"Too many requests.","longMessage":"The request limit has been reached for the '
    'resource."}]}'
)


def window(clock: FakeClock) -> SyncWindow:
    return SyncWindow(start=clock.now() - timedelta(days=6), end=clock.now() - timedelta(minutes=1))


def plain_orders(sim: SimulatedEbay, clock: FakeClock, n: int) -> list[str]:
    start = clock.now() - timedelta(days=5)
    return [sim.add_order(created=start + timedelta(minutes=10 * i))["orderId"] for i in range(n)]


def order_calls(sim: SimulatedEbay) -> list[object]:
    return [r for r in sim.requests if r.path.startswith("/sell/")]


# -- the eBay day ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "day", "reset"),
    [
        # Winter: Pacific standard time, UTC-8.
        (
            datetime(2026, 1, 15, 7, 59, tzinfo=UTC),
            "2026-01-14",
            datetime(2026, 1, 15, 8, tzinfo=UTC),
        ),
        (
            datetime(2026, 1, 15, 8, 0, tzinfo=UTC),
            "2026-01-15",
            datetime(2026, 1, 16, 8, tzinfo=UTC),
        ),
        # Summer: daylight time, UTC-7.
        (
            datetime(2026, 7, 1, 6, 59, tzinfo=UTC),
            "2026-06-30",
            datetime(2026, 7, 1, 7, tzinfo=UTC),
        ),
        # The day daylight time starts (8 March 2026) is 23 hours long.
        (
            datetime(2026, 3, 8, 12, 0, tzinfo=UTC),
            "2026-03-08",
            datetime(2026, 3, 9, 7, tzinfo=UTC),
        ),
        # The day it ends (1 November 2026) is 25 hours long.
        (
            datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
            "2026-11-01",
            datetime(2026, 11, 2, 8, tzinfo=UTC),
        ),
    ],
)
def test_the_ebay_day_ends_at_midnight_us_pacific(
    instant: datetime, day: str, reset: datetime, make_connector: ConnectorFactory
) -> None:
    ebay_day = make_connector().quota.day
    for use_zoneinfo in (True, False):
        assert ebay_day.day(instant, use_zoneinfo=use_zoneinfo).isoformat() == day
        assert ebay_day.next_reset(instant, use_zoneinfo=use_zoneinfo) == reset


def test_the_count_starts_again_each_ebay_day(
    clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    quota = make_connector(daily_call_limit=10, daily_reserve=2).quota
    quota.record(5)
    assert quota.used() == 5
    clock.advance((quota.resets_at() - clock.now()).total_seconds() - 1)
    assert quota.used() == 5
    clock.advance(1)
    assert quota.used() == 0


def test_pulls_keep_the_reserve_and_pushes_may_use_it(make_connector: ConnectorFactory) -> None:
    quota = make_connector(daily_call_limit=10, daily_reserve=3).quota
    quota.record(7)
    with pytest.raises(RateLimitedError):
        quota.ensure("pull")
    quota.ensure("push")
    quota.record(3)
    with pytest.raises(RateLimitedError, match="tracking uploads wait"):
        quota.ensure("push")


# -- stopping before the quota --------------------------------------------------------------


def test_orders_in_stops_before_the_reserve_without_spending_a_call(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    plain_orders(sim, clock, 450)  # three pages
    connector = make_connector(daily_call_limit=6, daily_reserve=4)  # two calls for pulling
    with pytest.raises(RateLimitedError) as caught:
        list(connector.fetch_orders(window(clock)))

    assert [r.param("offset") for r in order_calls(sim)] == ["0", "200"], "no third call"
    assert connector.quota.used() == 2 and sim.calls_today() == 2
    error = caught.value
    assert ACCOUNT in error.message
    assert "2 calls used today" in error.message and "keep 4 of the daily 6" in error.message
    # 12:00 UTC on 15 January is 04:00 in California: the day resets in 20 hours.
    assert "2026-01-16 08:00 UTC" in error.message and "in 20 h 00 min" in error.message
    assert "Application Growth Check" in error.fix and "daily_call_limit" in error.fix
    assert error.retry_after == pytest.approx(20 * 3600)


def test_single_reads_for_cancellations_count_against_the_budget_too(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    for order_id in plain_orders(sim, clock, 3):
        sim.cancel(order_id, when=clock.now() - timedelta(days=1))
    connector = make_connector(daily_call_limit=8, daily_reserve=5)  # three calls
    with pytest.raises(RateLimitedError):
        list(connector.fetch_orders(window(clock)))
    assert [r.operation for r in order_calls(sim)] == ["getOrders", "getOrder", "getOrder"]


def test_the_stopped_pull_fails_the_run_visibly_and_resumes_after_the_reset(
    store_engine: Engine,
    sim: SimulatedEbay,
    clock: FakeClock,
    make_connector: ConnectorFactory,
) -> None:
    ids = plain_orders(sim, clock, 450)
    connector = make_connector(daily_call_limit=6, daily_reserve=4)
    result = PullRunner(store_engine, connector).run()
    assert result.outcome == "failed" and result.error_kind == "rate_limited"
    assert result.error is not None and "resets at" in result.error
    with store_engine.connect() as connection:
        # A used-up day is not a credentials problem: the account is not flagged.
        assert connection.execute(select(ACCOUNT_STATE)).all() == []

    # The pushes still have their reserve today.
    order_id = ids[0]
    line = sim.order(order_id)["lineItems"][0]
    pushed = connector.push_tracking(
        ShipmentDraft(
            order_external_id=order_id,
            reference="r1",
            carrier_code="USPS",
            tracking_number="9400100000000000000001",
            shipped_at=clock.now() - timedelta(hours=1),
            lines=(ShipmentLine(line["lineItemId"], line["quantity"]),),
        )
    )
    assert pushed.outcome.value == "applied"

    clock.advance((connector.quota.resets_at() - clock.now()).total_seconds() + 60)
    connector_next_day = make_connector(daily_call_limit=10, daily_reserve=4)
    again = PullRunner(store_engine, connector_next_day).run()
    assert again.outcome == "succeeded" and again.fetched >= 450


# -- 429 errorId 2001 -----------------------------------------------------------------------


def test_a_429_without_retry_after_waits_a_minute_then_goes_on(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    plain_orders(sim, clock, 5)
    sim.faults.add(Fault.status(429, body=TOO_MANY), path="/order", times=1)
    got = list(make_connector().fetch_orders(window(clock)))
    assert len(got) == 5
    assert [r.status for r in order_calls(sim)] == [429, 200]
    waits = [s for s in clock.sleeps if s >= 1]
    assert len(waits) == 1 and 60 <= waits[0] <= 66, "one pause of a minute (plus jitter)"


def test_a_429_with_retry_after_waits_what_it_says(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    plain_orders(sim, clock, 5)
    sim.faults.add(Fault.status(429, body=TOO_MANY, retry_after=7), path="/order", times=1)
    list(make_connector().fetch_orders(window(clock)))
    waits = [s for s in clock.sleeps if s >= 1]
    assert len(waits) == 1 and 7 <= waits[0] <= 7.7


def test_a_used_up_ebay_quota_costs_three_calls_then_stops_with_the_reason(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    plain_orders(sim, clock, 5)
    sim.exhaust_quota()  # another application on the same keyset used the day's calls
    connector = make_connector()
    with pytest.raises(RateLimitedError) as caught:
        list(connector.fetch_orders(window(clock)))
    assert [r.status for r in order_calls(sim)] == [429, 429, 429]
    waits = sorted(s for s in clock.sleeps if s >= 1)
    assert len(waits) == 2 and 60 <= waits[0] <= 66 and 300 <= waits[1] <= 330
    error = caught.value
    assert "429" in error.message and "2001" in error.message and ACCOUNT in error.message
    assert "resets at" in error.message and error.code == "2001"
    assert "another application" in error.fix

    # The next run does not start the pauses over: one call, and it gives up at once.
    with pytest.raises(RateLimitedError):
        list(connector.fetch_orders(window(clock)))
    assert len(order_calls(sim)) == 4


def test_the_sim_answers_429_with_ebays_body_and_the_quota_resets_at_midnight_pacific(
    sim: SimulatedEbay, clock: FakeClock, make_connector: ConnectorFactory
) -> None:
    plain_orders(sim, clock, 2)
    sim.daily_limits["order"] = 3
    connector = make_connector()
    connector.check()
    connector.check()
    connector.check()
    with pytest.raises(RateLimitedError):
        connector.check()
    assert sim.calls_today() == 3
    clock.advance((connector.quota.resets_at() - clock.now()).total_seconds())
    connector.check()
    assert sim.calls_today() == 1
