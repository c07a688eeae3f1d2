"""The kit's request-limits contract fails a connector without a bounded deadline or cap."""

from __future__ import annotations

import math

import pytest

from orderhub.testing.kit import ConnectorConformance
from orderhub_connectors.woocommerce import WooCommerceConnector


class Unbounded(WooCommerceConnector):
    request_deadline = math.inf


class Huge(WooCommerceConnector):
    max_response_bytes = 2**40


@pytest.mark.parametrize("cls", [Unbounded, Huge])
def test_an_unbounded_connector_fails_the_contract(cls: type[WooCommerceConnector]) -> None:
    suite = type("Suite", (ConnectorConformance,), {"connector_class": cls})
    with pytest.raises(AssertionError, match="declare"):
        suite().test_contract_requests_have_a_bounded_deadline_and_size()


def test_the_first_party_defaults_pass() -> None:
    suite = type("Suite", (ConnectorConformance,), {"connector_class": WooCommerceConnector})
    suite().test_contract_requests_have_a_bounded_deadline_and_size()
