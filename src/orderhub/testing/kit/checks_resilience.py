"""The resilience group: 429 with and without Retry-After, 5xx retried then given up,
other 4xx not retried, the declared rate limit kept, timeouts and cut bodies retried."""

from __future__ import annotations

import pytest

from orderhub.sdk.errors import (
    RejectedError,
    TransientError,
)
from orderhub.testing.kit.base import (
    _RETRY_AFTER,
    ConformanceBase,
)
from orderhub.testing.kit.harness import Harness
from orderhub.testing.sim import Fault

__all__ = ["ResilienceChecks"]


class ResilienceChecks(ConformanceBase):
    __test__ = False

    # -- resilience --------------------------------------------------------------------------

    def test_resilience_429_waits_for_retry_after(self, conformance: Harness) -> None:
        """After a 429 with ``Retry-After: 7`` the next request waits at least 7 seconds."""
        window, ids = self._add_recent(conformance, 3)
        wait = min(_RETRY_AFTER, self.connector_class.retry_policy.max_retry_after)
        rule = conformance.api.faults.add(
            Fault.status(429, retry_after=wait), path=self.list_path, times=1
        )
        got = conformance.fetch_ids(window)
        assert rule.fired == 1, "the 429 was not served: is list_path right?"
        assert set(got) == set(ids), "the fetch did not complete after the 429"
        requests = conformance.list_requests()
        throttled = next(i for i, r in enumerate(requests) if r.fault)
        assert throttled + 1 < len(requests), "the throttled request was never retried"
        waited = (requests[throttled + 1].time - requests[throttled].time).total_seconds()
        assert waited >= wait, (
            f"the request after a 429 with Retry-After: {wait:g} went out {waited:g} s later: "
            "honour Retry-After (a 429 must reach the HTTP helper as RateLimitedError)"
        )

    def test_resilience_429_without_retry_after_is_retried_after_a_pause(
        self, conformance: Harness
    ) -> None:
        """A 429 without ``Retry-After`` is retried, after a pause, and the fetch completes."""
        window, ids = self._add_recent(conformance, 3)
        rule = conformance.api.faults.add(Fault.status(429), path=self.list_path, times=1)
        got = conformance.fetch_ids(window)
        assert rule.fired == 1, "the 429 was not served: is list_path right?"
        assert set(got) == set(ids), "the fetch did not complete after a 429"
        requests = conformance.list_requests()
        throttled = next(i for i, r in enumerate(requests) if r.fault)
        assert throttled + 1 < len(requests), "the throttled request was never retried"
        waited = (requests[throttled + 1].time - requests[throttled].time).total_seconds()
        assert waited > 0, "a 429 without Retry-After was retried at once: back off first"

    def test_resilience_5xx_is_retried_then_succeeds(self, conformance: Harness) -> None:
        """Two 503s in a row are retried with a pause, and the fetch completes."""
        window, ids = self._add_recent(conformance, 3)
        rule = conformance.api.faults.add(Fault.status(503), path=self.list_path, times=2)
        got = conformance.fetch_ids(window)
        assert rule.fired == 2, "the 503s were not served: is list_path right?"
        assert set(got) == set(ids), "the fetch did not complete after two 503s"
        times = [r.time for r in conformance.list_requests()[:3]]
        assert times[1] > times[0] and times[2] > times[1], "5xx retries must back off"

    def test_resilience_5xx_is_given_up_after_the_retry_policy(self, conformance: Harness) -> None:
        """A 503 that persists raises TransientError after ``retry_policy.max_attempts``."""
        window, _ids = self._add_recent(conformance, 3)
        conformance.api.faults.add(Fault.status(503), path=self.list_path, times=None)
        with pytest.raises(TransientError):
            conformance.fetch(window)
        attempts = self.connector_class.retry_policy.max_attempts
        sent = len(conformance.list_requests())
        assert sent == attempts, (
            f"{sent} list requests against a persistent 503; the retry policy allows "
            f"{attempts} attempts: give up with TransientError (the next run tries again)"
        )

    def test_resilience_other_4xx_is_not_retried(self, conformance: Harness) -> None:
        """A 400 raises RejectedError after exactly one request."""
        window, _ids = self._add_recent(conformance, 3)
        conformance.api.faults.add(Fault.status(400), path=self.list_path, times=None)
        with pytest.raises(RejectedError):
            conformance.fetch(window)
        sent = len(conformance.list_requests())
        assert sent == 1, f"a 400 was sent {sent} times: the channel refused it, do not retry"

    def test_resilience_declared_rate_limit_is_respected(self, conformance: Harness) -> None:
        """With the declared plan enforced by the simulator, no request is refused and none
        goes out before the token bucket allows it."""
        cls = self.connector_class
        mapping = dict(self.sim_operations) or {op: op for op in cls.rate_limits}
        plans = {
            sim_op: plan
            for conn_op, sim_op in mapping.items()
            if (plan := cls.rate_limits.get(conn_op, cls.default_rate_limit)) is not None
        }
        if not plans:
            pytest.skip(
                f"{cls.__name__} declares no rate limit for the operations it fetches with "
                "(declare the channel's published plan in rate_limits, and map operation "
                "names in sim_operations when the simulator names them differently)"
            )
        api = conformance.api
        for sim_op, plan in plans.items():
            api.rate_limits.set(sim_op, plan)
        window, _ids = self._add_recent(conformance, self._multi_page_count(conformance))
        connector = conformance.connector()
        wanted = max(plan.burst for plan in plans.values()) + 5
        for _round in range(40):
            conformance.fetch(window, connector)
            used = [r for r in api.requests if r.operation in plans]
            if len(used) >= wanted:
                break
        used = [r for r in api.requests if r.operation in plans]
        assert used, (
            f"fetch_orders used none of the simulator operations {sorted(plans)}: map the "
            "connector's list operation to the simulator's in sim_operations"
        )
        refused = [r for r in api.requests if r.throttled]
        assert not refused, (
            f"the simulator refused {len(refused)} request(s) with 429 ({refused[0].operation}): "
            "requests went out faster than the declared plan; send every request through "
            "self.http with the operation name its rate_limits entry uses"
        )
        for sim_op, plan in plans.items():
            times = [r.time for r in api.requests if r.operation == sim_op]
            for index, moment in enumerate(times):
                earliest = (index + 1 - plan.burst) / plan.rate
                elapsed = (moment - times[0]).total_seconds()
                assert elapsed >= earliest - 1e-3, (
                    f"request {index + 1} on {sim_op} went out {elapsed:.3f} s after the first; "
                    f"the plan ({plan.rate:g}/s, burst {plan.burst}) allows it after "
                    f"{earliest:.3f} s"
                )

    def test_resilience_timeouts_and_truncated_bodies_are_retried(
        self, conformance: Harness
    ) -> None:
        """A timeout, a body cut short and a dropped connection are retried; all orders come."""
        window, ids = self._add_recent(conformance, self._multi_page_count(conformance))
        faults = conformance.api.faults
        rules = [
            faults.add(Fault.timeout(), path=self.list_path, times=1),
            faults.add(Fault.truncated(), path=self.list_path, times=1, skip=1),
            faults.add(Fault.truncated(mode="connection"), path=self.list_path, times=1, skip=2),
        ]
        got = conformance.fetch_ids(window)
        assert all(rule.fired == 1 for rule in rules), "not every fault was served"
        assert set(got) == set(ids), (
            f"{len(set(ids) - set(got))} orders missing after timeouts and truncated answers"
        )
