"""What every conformance group shares: the declarations and hooks a connector's test
class fills in, the ``conformance`` fixture (a fresh :class:`~orderhub.testing.kit.harness.Harness`
per test) and the helpers the groups use. The groups are mixins of :class:`ConformanceBase`
(``checks_contract``, ``checks_fetch``, ...); :class:`~orderhub.testing.kit.ConnectorConformance`
combines all of them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from orderhub.sdk.clock import Clock
from orderhub.sdk.connector import Capability, Connector, SyncWindow
from orderhub.sdk.drafts import (
    OrderDraft,
    PushResult,
    ShipmentDraft,
    ShipmentLine,
)
from orderhub.testing.kit.golden import fixture_files
from orderhub.testing.kit.harness import Harness
from orderhub.testing.sim import SimRequest, SimulatedApi

__all__ = ["MIN_FAKE_SECRET", "MIN_PII", "ConformanceBase"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TODO = re.compile(r"\b(TODO|FIXME|TBD|XXX)\b")
#: Secrets shorter than this cannot be told apart from ordinary text in a log scan.
MIN_FAKE_SECRET = 8
#: Buyer values shorter than this (a country code, "Mr") are not looked for in the logs.
MIN_PII = 5
_RETRY_AFTER = 7.0


def _overrides(cls: type[Connector[Any]], method: str) -> bool:
    return getattr(cls, method) is not getattr(Connector, method)


def _fail(message: str) -> None:
    pytest.fail(message, pytrace=False)


def _to_order_or_none(connector: Connector[Any], raw: dict[str, Any]) -> OrderDraft | None:
    """``to_order(raw)``, or None when the connector refuses the record (as it should for
    a malformed one)."""
    try:
        return connector.to_order(raw)
    except Exception:
        return None


class ConformanceBase:
    """Base class of a connector's conformance test class. Not collected itself.

    Declare (class attributes):

    ``connector_class``
        The :class:`~orderhub.sdk.Connector` subclass under test.
    ``settings``
        Fake settings, as the configuration would give them: secret fields as plain
        strings (the kit validates them into the settings model, so they become
        ``SecretStr``). Use distinctive fake secrets of at least 8 characters: the hygiene
        test looks for them in the log output.
    ``list_path``
        The path prefix of the orders list endpoint, below the simulator's ``base_path``
        (``"/orders"``): faults are injected there and requests counted there.
    ``page_size_hint``
        Orders per page the simulator serves this connector (default: the connector's
        ``page_size``); multi-page tests add about two and a half pages of orders.
    ``sim_operations``
        The connector's operation names (the first argument of ``self.http`` calls, the keys
        of ``rate_limits``) mapped to the simulator's route operations, for the operations
        ``fetch_orders`` uses. The rate-limit test enforces the connector's declared plan
        (``rate_limits[op]`` or ``default_rate_limit``) on those simulator operations.
        Empty (the default): every key of ``rate_limits`` is enforced on the simulator
        operation of the same name.
    ``push_path`` / ``push_method``
        The request that creates a shipment on the channel (``push_method`` default
        ``"POST"``); ``push_path`` may hold ``{external_id}``. The lost-response test
        drops the answer to that request once (narrowed by :meth:`is_push_request`).
    ``fixtures_dir`` / ``golden_dir``
        Fixture JSON files (one raw order each; ``malformed_*.json`` must be refused) and
        their golden files (default: ``golden`` next to ``fixtures_dir``).
    ``account_id``, ``start_time``, ``sim_base_url``
        The account the connector is built for, the fake clock's start, and the base URL
        given to :meth:`base_url_settings`.

    Implement (hooks, called once per test that needs them, with the test's fresh
    simulator): :meth:`make_api`, :meth:`add_orders`, :meth:`change_order`, and, when the
    channel allows it, :meth:`add_malformed_order`, :meth:`repeat_next_page`; with
    ``Capability.PUSH_TRACKING``: :meth:`shipments_on_channel` (and optionally
    :meth:`shipment_for`).
    """

    __test__: ClassVar[bool] = False

    connector_class: ClassVar[type[Connector[Any]]]
    settings: ClassVar[Mapping[str, Any]] = {}
    list_path: ClassVar[str] = ""
    page_size_hint: ClassVar[int | None] = None
    sim_operations: ClassVar[Mapping[str, str]] = {}
    push_path: ClassVar[str] = ""
    push_method: ClassVar[str] = "POST"
    fixtures_dir: ClassVar[Path | None] = None
    golden_dir: ClassVar[Path | None] = None
    account_id: ClassVar[str] = "conformance"
    start_time: ClassVar[datetime] = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    sim_base_url: ClassVar[str] = "https://channel.example"
    readme: ClassVar[Path | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass is collected whatever its name, unless it says otherwise (an
        # intermediate base shared by several connectors sets __test__ = False).
        if "__test__" not in cls.__dict__:
            cls.__test__ = True

    # -- hooks -----------------------------------------------------------------------------

    def make_api(self, clock: Clock) -> SimulatedApi:
        """The simulated channel, on ``clock`` (a ``FakeClock``). Called once per test.
        It must accept the credentials in :attr:`settings`."""
        raise NotImplementedError("implement make_api(clock) -> your SimulatedApi subclass")

    def base_url_settings(self, base_url: str) -> dict[str, Any]:
        """Settings merged over :attr:`settings` to point the connector at the simulator.

        ``base_url`` is :attr:`sim_base_url`. The kit's transport reaches the simulator
        whatever the host, so only connectors that need the address in several settings
        (an OAuth token URL) override this. Default: ``{"base_url": base_url}`` when the
        settings model requires a ``base_url`` that :attr:`settings` leaves out, else
        nothing (a default ``base_url`` with the API's path is kept).
        """
        field = self.connector_class.settings_model.model_fields.get("base_url")
        if field is not None and field.is_required() and "base_url" not in self.settings:
            return {"base_url": base_url}
        return {}

    def add_orders(self, api: Any, n: int, start: datetime, end: datetime) -> list[str]:
        """Create ``n`` valid orders on the simulator, last modified within ``[start,
        end)`` (UTC; :func:`~orderhub.testing.kit.spread_times` spreads them), and return
        their external ids (as ``to_order`` reports them)."""
        raise NotImplementedError("implement add_orders(api, n, start, end) -> external ids")

    def change_order(self, api: Any, external_id: str) -> None:
        """Change the order's status on the simulator the way the channel would (cancel
        it, ship it), moving its last-modified time to the simulator's now."""
        raise NotImplementedError("implement change_order(api, external_id)")

    def add_malformed_order(self, api: Any, when: datetime) -> str | None:
        """Create an order, last modified at ``when``, that ``to_order`` must refuse (a
        missing total, a quantity that is not a number), listed like any other. Return its
        external id (or None when the channel's id cannot be known). Not overridden: the
        quarantine test is skipped."""
        raise NotImplementedError

    def repeat_next_page(self, api: Any) -> None:
        """Make the simulator serve a repeated page: the next page's answer carries the
        token (or link) the client just used. Not overridden, the kit answers the second
        page request of the list endpoint with the first page's answer, which works for
        token, link, next-URL and page-number paging. Override to use the simulator's own
        loop (``TokenPager.repeat_next_token``), or call ``pytest.skip(reason)`` when the
        channel's paging cannot repeat."""
        raise NotImplementedError

    def shipment_for(self, api: Any, order: OrderDraft) -> ShipmentDraft:
        """The shipment the push tests send for ``order`` (its draft, as ``to_order`` made
        it from the simulator's answer). Default: every line in full, carrier UPS, one
        tracking number, ``completes_order=True``. Override for channels that need a
        particular carrier code."""
        return ShipmentDraft(
            order_external_id=order.external_id,
            reference=f"orderhub-conformance-{order.external_id}",
            carrier_code="UPS",
            carrier_name="UPS",
            tracking_number="1Z999AA10123456784",
            shipped_at=order.updated_at,
            lines=tuple(ShipmentLine(line.external_id, line.quantity) for line in order.lines),
            marketplace=order.marketplace,
            completes_order=True,
        )

    def shipments_on_channel(self, api: Any, external_id: str) -> int:
        """How many shipments (tracking uploads) the simulator holds for the order.
        Required with ``Capability.PUSH_TRACKING``."""
        raise NotImplementedError

    def is_push_request(self, request: SimRequest) -> bool:
        """Whether a request to ``push_path`` is the one that creates the shipment. Default:
        every one. Override where reads and writes share a path (a GraphQL endpoint: look
        for the mutation's name in ``request.body``), so the lost-response test loses the
        answer to the write, not to the read before it."""
        return True

    # -- the harness -------------------------------------------------------------------------

    @pytest.fixture
    def conformance(self) -> Iterator[Harness]:
        """A fresh :class:`~orderhub.testing.kit.harness.Harness` for one standard test."""
        if not isinstance(getattr(type(self), "connector_class", None), type):
            _fail(f"{type(self).__name__} must set connector_class = <your Connector subclass>")
        harness = Harness(self)
        try:
            yield harness
        finally:
            harness.close()
        errors = list(harness.api.handler_errors)
        if errors:
            _fail(
                f"the simulator raised {len(errors)} error(s) while answering "
                f"(answered as HTTP 500): {errors[0]!r}; fix the simulator"
            )

    # -- helpers -----------------------------------------------------------------------------

    def _push(self, connector: Connector[Any], shipment: ShipmentDraft) -> PushResult:
        result = connector.push_tracking(shipment)
        assert isinstance(result, PushResult), "push_tracking must return a PushResult"
        return result

    def _declares(self, capability: Capability) -> bool:
        return capability in self.connector_class.capabilities

    def _require(self, capability: Capability) -> None:
        if not self._declares(capability):
            pytest.skip(f"{self.connector_class.__name__} does not declare {capability!r}")

    def _multi_page_count(self, harness: Harness) -> int:
        return 2 * harness.page_size + harness.page_size // 2 + 1

    def _recent_window(self, harness: Harness) -> SyncWindow:
        return harness.window(timedelta(days=3), timedelta(hours=1))

    def _add_recent(self, harness: Harness, n: int) -> tuple[SyncWindow, list[str]]:
        window = self._recent_window(harness)
        ids = harness.add_orders(
            n, window.start + timedelta(hours=1), window.end - timedelta(hours=1)
        )
        return window, ids

    def _fixtures(self) -> tuple[list[Path], list[Path]]:
        if self.fixtures_dir is None:
            return [], []
        if not self.fixtures_dir.is_dir():
            _fail(f"fixtures_dir {self.fixtures_dir} is not a directory")
        return fixture_files(self.fixtures_dir)

    def _push_order(self, harness: Harness) -> tuple[str, ShipmentDraft]:
        window, ids = self._add_recent(harness, 1)
        connector = harness.connector()
        drafts = {d.external_id: d for d in harness.drafts(harness.fetch(window, connector))}
        if ids[0] not in drafts:
            _fail(f"the order {ids[0]} added for the push test was not fetched back")
        shipment = self.shipment_for(harness.api, drafts[ids[0]])
        harness.api.clear_requests()
        return ids[0], shipment

    def _shipments(self, harness: Harness, external_id: str) -> int:
        if type(self).shipments_on_channel is ConformanceBase.shipments_on_channel:
            _fail(
                "the connector declares PUSH_TRACKING: implement "
                "shipments_on_channel(api, external_id) -> int in the test class"
            )
        return self.shipments_on_channel(harness.api, external_id)
