"""Tier 2 of the conformance kit: sync and push idempotency against a declared fake.

A connector that passes Tier 1 (:class:`~orderhub.testing.kit.RecordedConformance`) adds
what its channel keeps as state, declared as :class:`~orderhub.testing.kit.fake.ChannelRules`,
and inherits :class:`StatefulConformance`::

    class TestPetShopStateful(StatefulConformance):
        connector_class = PetShopConnector
        settings = {"api_token": "pt_fake_3f9a1c"}
        recorded_dir = HERE / "recorded"
        fixtures_dir = HERE / "fixtures"
        channel = ChannelRules(
            filters={"updated_after": "updated_at >=", "updated_before": "updated_at <"},
            paging=NextToken(), records="orders", shipments_key="shipments",
        )

The kit then builds a :class:`~orderhub.testing.kit.fake.FakeChannel` for every test: its
orders are copies of the first order recorded in ``recorded/pages/`` (new ids, the times
each test asks for), a cancellation sets ``channel.cancel``, the malformed order is a
``malformed_*.json`` fixture, and shipments are what the connector POSTed below the order.
The sync tests (first run, second run unchanged, a crash mid-run, quarantine of a bad
record, a changed or cancelled order) and the push tests (applied once, again, after a
lost answer, and with ``PARTIAL_SHIPMENTS`` partial shipments of a several-line order) run
against it with the real store.

:class:`FakeChannelHooks` is the same fake as the hooks of a whole
:class:`~orderhub.testing.kit.ConnectorConformance`, for a suite that wants every group
against it (the kit's own proofs do).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from orderhub.sdk.clock import Clock
from orderhub.sdk.connector import Capability
from orderhub.sdk.drafts import OrderStatus, PushOutcome
from orderhub.testing.kit.base import ConformanceBase, _fail
from orderhub.testing.kit.checks_push import PushChecks
from orderhub.testing.kit.checks_sync import SyncChecks
from orderhub.testing.kit.fake import ChannelRules, FakeChannel, dig
from orderhub.testing.kit.golden import fixture_files, load_fixture
from orderhub.testing.kit.harness import Harness, spread_times
from orderhub.testing.kit.recorded import load_scenarios

__all__ = ["FakeChannelHooks", "StatefulConformance"]


class FakeChannelHooks(ConformanceBase):
    """The conformance hooks (``make_api``, ``add_orders``, ``change_order``,
    ``add_malformed_order``, ``shipments_on_channel``) answered by a
    :class:`~orderhub.testing.kit.fake.FakeChannel` built from ``recorded_dir`` and
    ``channel``. ``list_path`` defaults to the last segment of the recorded list path
    (``/orders``), ``push_path`` to ``{list_path}/{external_id}/{channel.shipments}``."""

    __test__ = False

    recorded_dir: ClassVar[Path]
    channel: ClassVar[ChannelRules]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.list_path and isinstance(getattr(cls, "recorded_dir", None), Path):
            path = _recorded_list_path(cls.recorded_dir)
            cls.list_path = "/" + path.rstrip("/").rsplit("/", 1)[-1] if path else ""
        rules = getattr(cls, "channel", None)
        if not cls.push_path and isinstance(rules, ChannelRules) and cls.list_path:
            cls.push_path = f"{cls.list_path}/{{external_id}}/{rules.shipments}"

    def make_api(self, clock: Clock) -> FakeChannel:
        rules = getattr(self, "channel", None)
        if not isinstance(rules, ChannelRules):
            pytest.fail(
                f"{type(self).__name__} must set channel = ChannelRules(filters={{...}}, ...)",
                pytrace=False,
            )
        try:
            scenarios = load_scenarios(self.recorded_dir)
            rules.parsed_filters()
        except ValueError as exc:
            _fail(str(exc))
        pages = scenarios["pages"]
        path = pages[0].path
        orders = [
            record
            for answer in pages
            if answer.path == path
            for record in (dig(answer.body, rules.records) or [])
            if isinstance(record, dict)
        ]
        if not orders:
            _fail(
                f"no order in {self.recorded_dir / 'pages'} at records path "
                f"{rules.records!r}: set channel.records to where the list answer holds them"
            )
        values = {**self.settings, **self.base_url_settings(self.sim_base_url)}
        settings = self.connector_class.settings_model.model_validate(values)
        secrets = [
            value.get_secret_value()
            for name in type(settings).model_fields
            if isinstance(value := getattr(settings, name), SecretStr)
        ]
        # Faults and request counts use list_path below the API's root.
        root = path[: -len(self.list_path)] if path.endswith(self.list_path or "\0") else ""
        return FakeChannel(
            clock, rules, template=orders[0], list_path=path, secrets=secrets, root=root
        )

    def add_orders(self, api: Any, n: int, start: datetime, end: datetime) -> list[str]:
        return [api.add(moment) for moment in spread_times(start, end, n)]

    def change_order(self, api: Any, external_id: str) -> None:
        api.change(external_id, self.channel.cancel)

    def add_malformed_order(self, api: Any, when: datetime) -> str | None:
        _valid, malformed = fixture_files(self.fixtures_dir) if self.fixtures_dir else ([], [])
        named = [p for p in malformed if p.name == self.channel.malformed]
        usable = named or [p for p in malformed if self.channel.modified in load_fixture(p)]
        if not usable:
            pytest.skip(
                "no malformed_*.json fixture holding the modified field "
                f"{self.channel.modified!r} (or channel.malformed names none)"
            )
        return str(api.add(when, template=load_fixture(usable[0])))

    def shipments_on_channel(self, api: Any, external_id: str) -> int:
        return len(api.shipments.get(str(external_id), []))


class StatefulConformance(FakeChannelHooks, SyncChecks, PushChecks):
    """Base class of a connector's Tier 2 test class (see the module docstring). Not
    collected itself."""

    __test__ = False

    def test_push_partial_shipments_ship_only_their_lines(self, conformance: Harness) -> None:
        """With ``PARTIAL_SHIPMENTS``: a shipment of one line of several is one shipment
        and leaves the order not shipped on the channel; the shipment of the other lines
        (another tracking number) is a second one; pushing the first again adds none."""
        self._require(Capability.PARTIAL_SHIPMENTS)
        external_id, full = self._push_order(conformance)
        if len(full.lines) < 2:
            pytest.skip("the recorded order has one line: record one with two or more lines")
        first = replace(
            full,
            lines=full.lines[:1],
            completes_order=False,
            reference=f"{full.reference}-1",
            tracking_number="1Z999AA10123456785",
        )
        rest = replace(
            full,
            lines=full.lines[1:],
            reference=f"{full.reference}-2",
            tracking_number="1Z999AA10123456796",
        )
        connector = conformance.connector()
        applied = self._push(connector, first).outcome
        assert applied is PushOutcome.APPLIED, f"the first partial shipment answered {applied}"
        assert self._shipments(conformance, external_id) == 1
        api = conformance.api
        assert isinstance(api, FakeChannel)
        order = connector.to_order(api.orders[external_id])
        assert order.status is not OrderStatus.SHIPPED, (
            "after a shipment of one line of several the order is shipped on the channel: "
            "mark the order shipped only when shipment.completes_order is true"
        )
        self._push(connector, rest)
        count = self._shipments(conformance, external_id)
        assert count == 2, (
            f"{count} shipment(s) after two partial shipments with different tracking "
            "numbers: look for an existing shipment by its tracking number or reference, "
            "not by its order"
        )
        self._push(connector, first)
        count = self._shipments(conformance, external_id)
        assert count == 2, f"pushing the first partial shipment again left {count} shipments"


def _recorded_list_path(folder: Path) -> str:
    """The path the first answer of ``pages/`` was recorded for ("" when unreadable; the
    fixture reports the problem)."""
    first = sorted((folder / "pages").glob("*.json"))
    try:
        return str(json.loads(first[0].read_text("utf-8"))["request"]["path"]) if first else ""
    except (ValueError, KeyError, TypeError, OSError):
        return ""
