"""Daily call budgets (sdk/quota.py): the counting day in a time zone (with the US rule for
systems without a time zone database), the reserve kept for tracking uploads, and 429s
waited out one minute, five minutes, then until the reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from orderhub.sdk import (
    US_PACIFIC,
    DailyQuota,
    DailyQuotaSettings,
    QuotaDay,
    RateLimitedError,
    us_pacific_offset_by_rule,
    wait_text,
)
from orderhub.testing import FakeClock

# A Thursday in January: US Pacific time is UTC-8, the day ends at 08:00 UTC.
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def throttled(headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("GET", "https://api.example/v1/orders?limit=1")
    return httpx.Response(429, headers=headers or {}, request=request)


def quota(clock: FakeClock, **options: Any) -> DailyQuota:
    return DailyQuota(limit=10, reserve=3, clock=clock, **options)


def test_the_fallback_rule_agrees_with_the_time_zone_database() -> None:
    zone = pytest.importorskip("zoneinfo").ZoneInfo("America/Los_Angeles")
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    while moment < datetime(2028, 1, 1, tzinfo=UTC):
        assert us_pacific_offset_by_rule(moment) == moment.astimezone(zone).utcoffset(), moment
        moment += timedelta(minutes=30)


@given(st.datetimes(min_value=datetime(2008, 1, 1), max_value=datetime(2036, 12, 31)))
def test_the_reset_is_the_next_midnight_with_or_without_the_database(naive: datetime) -> None:
    instant = naive.replace(tzinfo=UTC)
    for use_zoneinfo in (True, False):
        reset = US_PACIFIC.next_reset(instant, use_zoneinfo=use_zoneinfo)
        assert instant < reset <= instant + timedelta(hours=25)
        assert US_PACIFIC.day(reset, use_zoneinfo=use_zoneinfo) > US_PACIFIC.day(
            instant, use_zoneinfo=use_zoneinfo
        )
        before = reset - timedelta(microseconds=1)
        assert US_PACIFIC.day(before, use_zoneinfo=use_zoneinfo) == US_PACIFIC.day(
            instant, use_zoneinfo=use_zoneinfo
        )


def test_the_day_before_the_november_switch_ends_on_daylight_time_without_the_database() -> None:
    # 2016-11-06 starts at 07:00 UTC (still PDT); daylight time ends at 09:00 UTC that day.
    instant = datetime(2016, 11, 5, 7, 0, tzinfo=UTC)
    for use_zoneinfo in (True, False):
        reset = US_PACIFIC.next_reset(instant, use_zoneinfo=use_zoneinfo)
        assert reset == datetime(2016, 11, 6, 7, 0, tzinfo=UTC)


def test_a_day_in_an_unknown_zone_without_a_fallback_is_the_utc_day() -> None:
    day = QuotaDay("Nowhere/Unknown", "midnight UTC")
    assert day.day(NOW) == NOW.date()
    assert day.next_reset(NOW) == datetime(2026, 1, 16, tzinfo=UTC)


def test_another_zone_is_counted_in_its_own_day() -> None:
    tokyo = QuotaDay("Asia/Tokyo", "midnight Japan time")
    # 12:00 UTC is 21:00 in Tokyo; the day ends at 15:00 UTC.
    assert tokyo.next_reset(NOW) == datetime(2026, 1, 15, 15, tzinfo=UTC)


def test_pulls_keep_the_reserve_and_pushes_may_use_it() -> None:
    clock = FakeClock(NOW)
    budget = quota(clock, label="shop x: ", channel="Shop")
    budget.record(7)
    with pytest.raises(RateLimitedError) as caught:
        budget.ensure("pull")
    error = caught.value
    assert error.message.startswith("shop x: orders in stopped for today to keep 3 of the daily")
    assert "10 Shop API calls" in error.message and "7 calls used today" in error.message
    assert "2026-01-16 08:00 UTC (midnight US Pacific time, in 20 h 00 min)" in error.message
    assert error.code == "daily_call_limit" and error.retry_after == 20 * 3600
    budget.ensure("push")
    budget.record(3)
    with pytest.raises(RateLimitedError, match="tracking uploads wait"):
        budget.ensure("push")


def test_the_count_starts_again_at_the_reset() -> None:
    clock = FakeClock(NOW)
    budget = quota(clock)
    budget.record(5)
    clock.advance((budget.resets_at() - clock.now()).total_seconds() - 1)
    assert budget.used() == 5
    clock.advance(1)
    assert budget.used() == 0


def test_429s_wait_the_pauses_then_until_the_reset_and_any_other_answer_starts_over() -> None:
    clock = FakeClock(NOW)
    budget = quota(clock, channel="Shop", raise_fix="ask Shop for more")
    waits = [budget.throttled(throttled(), reason="quota").retry_after for _ in range(3)]
    assert waits == [60.0, 300.0, 20 * 3600]
    budget.answered(200)
    first = budget.throttled(throttled(), reason="errorId 2001", code="2001")
    assert first.retry_after == 60.0 and first.code == "2001" and first.status == 429
    assert "GET /v1/orders answered HTTP 429 (errorId 2001)" in first.message
    assert "Shop's day resets at 2026-01-16 08:00 UTC" in first.message
    assert "ask Shop for more" in (first.fix or "")


def test_a_retry_after_header_is_left_to_the_http_helper() -> None:
    budget = quota(FakeClock(NOW))
    assert budget.throttled(throttled({"Retry-After": "9"}), reason="x").retry_after is None


def test_the_settings_keep_a_reserve_below_the_limit() -> None:
    settings = DailyQuotaSettings(daily_call_limit=50, daily_reserve=5)
    budget = DailyQuota.from_settings(settings, clock=FakeClock(NOW))
    assert (budget.limit, budget.reserve, budget.budget("pull")) == (50, 5, 45)
    assert DailyQuotaSettings().daily_call_limit == 100_000
    with pytest.raises(ValidationError, match="daily_reserve"):
        DailyQuotaSettings(daily_call_limit=5, daily_reserve=5)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 min"), (59, "0 min"), (420, "7 min"), (3 * 3600 + 300, "3 h 05 min")],
)
def test_waits_read_as_minutes_and_hours(seconds: float, text: str) -> None:
    assert wait_text(seconds) == text
