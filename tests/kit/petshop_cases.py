"""The conformance suite run against the reference connector and each broken variant.

Copied as ``test_petshop_cases.py`` next to the generated ``petshop`` package and
``broken_connectors.py`` by ``test_kit_fails_broken_connectors.py``, which runs it in a
pytest subprocess and reads the outcome of every standard test of every class.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import broken_connectors as broken
import petshop
from petshop.simulator import SimulatedPetshop

from orderhub.sdk import Clock
from orderhub.testing.kit import ConnectorConformance, load_fixture, spread_times

FIXTURES = Path(petshop.__file__).parent / "tests" / "fixtures"


class PetshopCase(ConnectorConformance):
    __test__ = False
    connector_class = petshop.PetshopConnector
    settings = {"api_token": "petshop_fake_token_2b7e9d41c8"}
    list_path = "/orders"
    push_path = "/orders/{external_id}/shipments"
    fixtures_dir = FIXTURES

    def make_api(self, clock: Clock) -> SimulatedPetshop:
        return SimulatedPetshop(clock, api_token=self.settings["api_token"])

    def add_orders(
        self, api: SimulatedPetshop, n: int, start: datetime, end: datetime
    ) -> list[str]:
        order = load_fixture(FIXTURES / "order_paid.json")
        return [api.add_order(order, modified=t)["id"] for t in spread_times(start, end, n)]

    def change_order(self, api: SimulatedPetshop, external_id: str) -> None:
        api.set_status(external_id, "cancelled")

    def add_malformed_order(self, api: SimulatedPetshop, when: datetime) -> str:
        order = load_fixture(FIXTURES / "malformed_total_not_a_number.json")
        return str(api.add_order(order, modified=when)["id"])

    def repeat_next_page(self, api: SimulatedPetshop) -> None:
        api.repeat_next_token()

    def shipments_on_channel(self, api: SimulatedPetshop, external_id: str) -> int:
        return len(api.shipments(external_id))


class TestReference(PetshopCase):
    pass


class TestIgnoresRetryAfter(PetshopCase):
    connector_class = broken.IgnoresRetryAfter


class TestDropsTheWindow(PetshopCase):
    connector_class = broken.DropsTheWindow


class TestLoopsOnARepeatedToken(PetshopCase):
    connector_class = broken.LoopsOnARepeatedToken


class TestToOrderReadsTheClock(PetshopCase):
    connector_class = broken.ToOrderReadsTheClock


class TestLogsItsSecret(PetshopCase):
    connector_class = broken.LogsItsSecret


class TestPushDuplicatesOnRetry(PetshopCase):
    connector_class = broken.PushDuplicatesOnRetry


class TestSendsUnderAnUndeclaredOperation(PetshopCase):
    connector_class = broken.SendsUnderAnUndeclaredOperation


class TestMissesTheWindowStart(PetshopCase):
    connector_class = broken.MissesTheWindowStart


class TestFiltersOnCreation(PetshopCase):
    connector_class = broken.FiltersOnCreation


class TestLogsBasicCredentials(PetshopCase):
    connector_class = broken.LogsBasicCredentials


class TestEchoesCredentialsInErrors(PetshopCase):
    connector_class = broken.EchoesCredentialsInErrors


class TestReadmeWithTodo(PetshopCase):
    """The reference connector, its README still holding a to-do marker."""

    readme = Path(__file__).parent / "README_WITH_TODO.md"


class TestReferenceWithKitReplay(PetshopCase):
    """The reference connector with the kit's own page replay instead of the simulator's
    repeated token (what a test class gets when it does not implement repeat_next_page)."""

    repeat_next_page = ConnectorConformance.repeat_next_page  # type: ignore[assignment]


class TestLoopsOnARepeatedTokenWithKitReplay(TestReferenceWithKitReplay):
    connector_class = broken.LoopsOnARepeatedToken
