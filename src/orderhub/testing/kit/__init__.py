"""The connector test kit: one short test class gives a connector the whole conformance suite.

::

    from orderhub.testing.kit import ConnectorConformance, spread_times

    class TestPetShopConformance(ConnectorConformance):
        connector_class = PetShopConnector
        settings = {"base_url": "https://petshop.example/api/", "api_token": "pt_fake_3f9a1c"}
        list_path = "/orders"
        push_path = "/orders/{external_id}/shipments"
        fixtures_dir = Path(__file__).parent / "fixtures"

        def make_api(self, clock):
            return SimulatedPetShop(clock, api_token="pt_fake_3f9a1c")

        def add_orders(self, api, n, start, end):
            return [api.add_order(modified=t)["id"] for t in spread_times(start, end, n)]

        def change_order(self, api, external_id):
            api.set_status(external_id, "cancelled")

        def shipments_on_channel(self, api, external_id):
            return len(api.shipments(external_id))

The standard tests (contract, connection, fetch, resilience, normalization, sync, push,
hygiene) are methods of :class:`ConnectorConformance`; the ones that do not apply to the
connector's declared capabilities skip with the reason. The "Writing a connector"
walkthrough in CONTRIBUTING.md documents every hook. Golden files are rewritten with
``pytest --update-golden``.

A connector's own tests use the same parts: :class:`ConnectorBuilder` for their
``make_connector`` fixture, and the golden-file helpers (:func:`fixture_files`,
:func:`load_fixture`, :func:`golden_text` with the ``update_golden`` fixture,
:func:`render_golden`, :func:`draft_to_json` and :func:`draft_from_json`).
"""

from orderhub.testing.kit.builder import ConnectorBuilder
from orderhub.testing.kit.conformance import ConnectorConformance
from orderhub.testing.kit.fake import ChannelRules, FakeChannel, NextToken, PageNumbers
from orderhub.testing.kit.golden import (
    draft_from_json,
    draft_to_json,
    fixture_files,
    golden_text,
    load_fixture,
    render_golden,
    write_golden,
)
from orderhub.testing.kit.guards import (
    GuardedClock,
    GuardedTransport,
    ImpureCall,
    KitTransport,
    RequestLimitExceeded,
    SimulatedCrash,
)
from orderhub.testing.kit.harness import Harness, LogCapture, spread_times
from orderhub.testing.kit.recorded import RecordedApi, RecordedConformance, load_scenarios
from orderhub.testing.kit.stateful import FakeChannelHooks, StatefulConformance

__all__ = [
    "ChannelRules",
    "ConnectorBuilder",
    "ConnectorConformance",
    "FakeChannel",
    "FakeChannelHooks",
    "GuardedClock",
    "GuardedTransport",
    "Harness",
    "ImpureCall",
    "KitTransport",
    "LogCapture",
    "NextToken",
    "PageNumbers",
    "RecordedApi",
    "RecordedConformance",
    "RequestLimitExceeded",
    "SimulatedCrash",
    "StatefulConformance",
    "draft_from_json",
    "draft_to_json",
    "fixture_files",
    "golden_text",
    "load_fixture",
    "load_scenarios",
    "render_golden",
    "spread_times",
    "write_golden",
]
