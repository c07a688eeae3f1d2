"""TokenBucket and RateLimit on a FakeClock: waits happen on the clock, never for real."""

from __future__ import annotations

import threading

import pytest

from orderhub.sdk.ratelimit import RateLimit, TokenBucket, announced_rate_limit
from orderhub.testing.clock import FakeClock


def test_rate_limit_validation() -> None:
    assert RateLimit(rate=2.0, burst=3).interval == 0.5
    with pytest.raises(ValueError):
        RateLimit(rate=0)
    with pytest.raises(ValueError):
        RateLimit(rate=-1.0)
    with pytest.raises(ValueError):
        RateLimit(rate=1.0, burst=0)


def test_bucket_starts_full_and_burst_goes_out_at_once() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=1.0, burst=3), clock)
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert clock.sleeps == []
    assert bucket.wait_time() == pytest.approx(1.0)


def test_a_plan_starting_empty_waits_one_interval_then_fills_up_to_its_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=2.0, burst=3, start_full=False), clock)
    assert bucket.wait_time() == pytest.approx(0.5)
    assert bucket.acquire() == pytest.approx(0.5)  # the first request waits for its token
    assert bucket.acquire() == pytest.approx(0.5)  # and each one after at the plan's rate
    clock.advance(100.0)  # a pause earns the burst, as for a bucket that started full
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.acquire() == pytest.approx(0.5)


def test_a_new_plan_keeps_an_empty_start_empty() -> None:
    # The header tells the rate, not what the channel's bucket holds.
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=2.0, burst=10, start_full=False), clock)
    bucket.update(RateLimit(rate=4.0, burst=10, start_full=False))
    assert bucket.acquire() == pytest.approx(0.25)


def test_bucket_waits_one_interval_per_token_after_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=0.5, burst=2), clock)
    stamps = []
    for _ in range(5):
        bucket.acquire()
        stamps.append(clock.monotonic())
    start = stamps[0]
    assert [s - start for s in stamps] == pytest.approx([0.0, 0.0, 2.0, 4.0, 6.0])
    assert clock.slept == pytest.approx(6.0)


def test_bucket_refills_with_time_up_to_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=1.0, burst=2), clock)
    bucket.acquire()
    bucket.acquire()
    clock.advance(100.0)  # a long pause earns at most `burst` tokens
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(1.0)


def test_acquire_returns_seconds_waited() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=4.0, burst=1), clock)
    bucket.acquire()
    clock.advance(0.1)
    assert bucket.acquire() == pytest.approx(0.15)
    assert clock.sleeps == [pytest.approx(0.15)]


def test_drain_makes_next_acquire_wait_a_full_interval() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=0.1, burst=5), clock)
    bucket.acquire()
    bucket.drain()
    assert bucket.wait_time() == pytest.approx(10.0)
    assert bucket.acquire() == pytest.approx(10.0)


def test_update_keeps_earned_tokens_capped_by_new_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=1.0, burst=10), clock)
    bucket.update(RateLimit(rate=0.5, burst=2))
    assert bucket.limit == RateLimit(rate=0.5, burst=2)
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(2.0)  # the new rate applies


def test_update_to_larger_burst_does_not_grant_tokens() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=1.0, burst=1), clock)
    bucket.acquire()
    bucket.update(RateLimit(rate=1.0, burst=20))
    assert bucket.acquire() == pytest.approx(1.0)


def test_threads_share_tokens_without_overspending() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=1.0, burst=5), clock)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            bucket.acquire()
            with lock:
                stamps.append(clock.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == 20
    # 20 tokens at burst 5 and 1/s need at least 15 s of refill, however the threads race.
    assert max(stamps) - 1000.0 >= 15.0 - 1e-6


@pytest.mark.parametrize("value", [None, "", "fast", "0", "-1", "nan", "inf"])
def test_an_unusable_announced_rate_keeps_the_declared_plan(value: str | None) -> None:
    assert announced_rate_limit(value, RateLimit(rate=1.0, burst=5)) is None


def test_an_announced_rate_keeps_the_declared_burst() -> None:
    assert announced_rate_limit(" 0.0167 ", RateLimit(rate=0.0056, burst=20)) == RateLimit(
        rate=0.0167, burst=20
    )
    assert announced_rate_limit("2", None) == RateLimit(rate=2.0, burst=1)


def test_an_announced_rate_keeps_the_declared_start() -> None:
    declared = RateLimit(rate=2.0, burst=10, start_full=False)
    assert announced_rate_limit("4", declared) == RateLimit(rate=4.0, burst=10, start_full=False)
    assert announced_rate_limit("4", None) == RateLimit(rate=4.0, burst=1, start_full=True)
