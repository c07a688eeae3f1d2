"""The conformance suite run against the reference connector and each broken variant.

Copied as ``test_petshop_cases.py`` next to the generated ``petshop`` package and
``broken_connectors.py`` by ``test_kit_fails_broken_connectors.py``, which runs it in a
pytest subprocess and reads the outcome of every standard test of every class. Every
case runs the whole kit against the kit's declared fake channel (``FakeChannelHooks``),
built from the scaffold's recorded answers: no simulator.
"""

from __future__ import annotations

from pathlib import Path

import broken_connectors as broken
import petshop

from orderhub.testing.kit import ChannelRules, ConnectorConformance, FakeChannelHooks, NextToken

TESTS = Path(petshop.__file__).parent / "tests"


class PetshopCase(FakeChannelHooks, ConnectorConformance):
    """Every group of the kit against the declared fake (no simulator): the orders are
    copies of the scaffold's recorded ones."""

    __test__ = False
    connector_class = petshop.PetshopConnector
    settings = {"api_token": "petshop_fake_token_2b7e9d41c8"}
    recorded_dir = TESTS / "recorded"
    fixtures_dir = TESTS / "fixtures"
    sim_operations = {"list_orders": "orders.list"}
    channel = ChannelRules(
        filters={"updated_after": "updated_at >=", "updated_before": "updated_at <"},
        paging=NextToken(),
        records="orders",
        shipments_key="shipments",
    )


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
    """The reference connector with the kit's own page replay (what a test class gets when
    it does not implement repeat_next_page; the fake's suite never does)."""

    repeat_next_page = ConnectorConformance.repeat_next_page


class TestLoopsOnARepeatedTokenWithKitReplay(TestReferenceWithKitReplay):
    connector_class = broken.LoopsOnARepeatedToken
