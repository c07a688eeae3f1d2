"""The push group (Tier 2): a push is applied once, a second push and a retry after a
lost answer create no second shipment."""

from __future__ import annotations

from orderhub.sdk.connector import Capability
from orderhub.sdk.drafts import PushOutcome
from orderhub.sdk.errors import ConnectorError
from orderhub.testing.kit.base import (
    ConformanceBase,
    _fail,
)
from orderhub.testing.kit.harness import Harness
from orderhub.testing.sim import Fault

__all__ = ["PushChecks"]


class PushChecks(ConformanceBase):
    __test__ = False

    # -- push --------------------------------------------------------------------------------

    def test_push_succeeds(self, conformance: Harness) -> None:
        """A first push is APPLIED and creates one shipment on the channel."""
        self._require(Capability.PUSH_TRACKING)
        external_id, shipment = self._push_order(conformance)
        result = self._push(conformance.connector(), shipment)
        assert result.outcome is PushOutcome.APPLIED, (
            f"the first push of a shipment answered {result.outcome.value}"
        )
        assert self._shipments(conformance, external_id) == 1

    def test_push_again_is_already_applied(self, conformance: Harness) -> None:
        """Pushing the same shipment again succeeds without a second shipment."""
        self._require(Capability.PUSH_TRACKING)
        external_id, shipment = self._push_order(conformance)
        connector = conformance.connector()
        self._push(connector, shipment)
        again = self._push(connector, shipment)
        assert again.outcome in (PushOutcome.APPLIED, PushOutcome.ALREADY_APPLIED)
        count = self._shipments(conformance, external_id)
        assert count == 1, (
            f"pushing the same shipment twice left {count} shipments on the channel: look "
            "for it (by reference or tracking number) before creating it"
        )

    def test_push_retried_after_a_lost_response_creates_no_second_shipment(
        self, conformance: Harness
    ) -> None:
        """The channel creates the shipment but the answer is lost; the push is retried (as
        the push runner does after a retryable error) and no second shipment appears."""
        self._require(Capability.PUSH_TRACKING)
        if not self.push_path:
            _fail("the connector declares PUSH_TRACKING: set push_path in the test class")
        external_id, shipment = self._push_order(conformance)
        rule = conformance.api.faults.add(
            Fault.timeout(processed=True),
            path=self.push_path.format(external_id=external_id),
            method=self.push_method,
            times=1,
            where=self.is_push_request,
        )
        connector = conformance.connector()
        for _attempt in range(3):
            try:
                self._push(connector, shipment)
                break
            except ConnectorError as exc:
                if not exc.retryable:
                    _fail(
                        f"a lost answer made push_tracking raise {type(exc).__name__} "
                        f"({exc}), which is not retryable: the push would never be retried"
                    )
        else:
            _fail("push_tracking kept failing after the answer to one request was lost")
        assert rule.fired == 1, (
            f"no {self.push_method} request matched push_path {self.push_path!r}: fix "
            "push_path / push_method"
        )
        count = self._shipments(conformance, external_id)
        assert count == 1, (
            f"{count} shipments on the channel after a lost answer and a retry: never "
            "re-send a create blindly; look for the shipment first (or use the channel's "
            "idempotency key)"
        )
