"""The connector conformance suite: subclass :class:`ConnectorConformance` once per connector
and every standard test that applies to the connector's declared capabilities runs against
the author's simulated channel, on a fake clock, with the real store.

The tests are grouped by their name's second word: ``contract``, ``connection``, ``fetch``,
``resilience``, ``normalization``, ``sync``, ``push`` and ``hygiene``. Their names are stable
and say what is promised, because connector authors read them in failure reports; every
failure message names the problem and what to change. The "Writing a connector" walkthrough
(CONTRIBUTING.md) documents every hook below.
"""

from __future__ import annotations

import base64
import binascii
import copy
import inspect
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, quote_plus, unquote_plus

import pytest
from sqlalchemy import Engine

from orderhub.sdk.clock import Clock
from orderhub.sdk.connector import Capability, Connector, SyncWindow
from orderhub.sdk.drafts import (
    OrderDraft,
    PushOutcome,
    PushResult,
    ShipmentDraft,
    ShipmentLine,
    validate_order,
)
from orderhub.sdk.errors import (
    AuthError,
    ConnectorError,
    PaginationLoopError,
    RejectedError,
    TransientError,
)
from orderhub.sdk.secrets import looks_secret
from orderhub.sync.window import chunks, plan_window
from orderhub.testing.kit.golden import (
    diff_text,
    fixture_files,
    load_fixture,
    render_golden,
    update_golden_requested,
    write_golden,
)
from orderhub.testing.kit.guards import (
    GuardedClock,
    GuardedTransport,
    ImpureCall,
    KitTransport,
    SimulatedCrash,
)
from orderhub.testing.kit.harness import Harness, LogCapture
from orderhub.testing.sim import Fault, SimRequest, SimulatedApi

__all__ = ["ConnectorConformance"]

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


class ConnectorConformance:
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
        if type(self).shipments_on_channel is ConnectorConformance.shipments_on_channel:
            _fail(
                "the connector declares PUSH_TRACKING: implement "
                "shipments_on_channel(api, external_id) -> int in the test class"
            )
        return self.shipments_on_channel(harness.api, external_id)

    # -- contract ----------------------------------------------------------------------------

    def test_contract_capabilities_match_the_methods_overridden(self) -> None:
        """Each declared capability has its methods, and each method its capability."""
        cls = self.connector_class
        caps = cls.capabilities
        problems = []
        if not _NAME.match(cls.name or ""):
            problems.append(f"name {cls.name!r} must be a lowercase identifier (the entry point)")
        if not _overrides(cls, "check"):
            problems.append("check() is not implemented (one cheap authenticated call)")
        fetches = _overrides(cls, "fetch_orders") and _overrides(cls, "to_order")
        if (Capability.FETCH_ORDERS in caps) != fetches:
            problems.append(
                "FETCH_ORDERS is declared but fetch_orders/to_order are not both implemented"
                if not fetches
                else "fetch_orders and to_order are implemented but FETCH_ORDERS is not declared"
            )
        pushes = _overrides(cls, "push_tracking")
        if (Capability.PUSH_TRACKING in caps) != pushes:
            problems.append(
                "PUSH_TRACKING is declared but push_tracking is not implemented"
                if not pushes
                else "push_tracking is implemented but PUSH_TRACKING is not declared"
            )
        lists = _overrides(cls, "fetch_products")
        if (Capability.CATALOG in caps) != lists:
            problems.append(
                "CATALOG is declared but fetch_products() is not implemented"
                if not lists
                else "fetch_products() is implemented but CATALOG is not declared"
            )
        if Capability.PARTIAL_SHIPMENTS in caps and Capability.PUSH_TRACKING not in caps:
            problems.append("PARTIAL_SHIPMENTS needs PUSH_TRACKING")
        if Capability.CANCELLATIONS in caps and Capability.FETCH_ORDERS not in caps:
            problems.append("CANCELLATIONS needs FETCH_ORDERS")
        assert not problems, f"{cls.__name__}: " + "; ".join(problems)

    def test_contract_requests_have_a_bounded_deadline_and_size(self) -> None:
        """``request_deadline`` and ``max_response_bytes`` are finite and sensible, so no
        channel can hold a run forever or fill the worker's memory."""
        cls = self.connector_class
        problems = []
        if not 1 <= cls.request_deadline <= 600:
            problems.append(
                f"request_deadline = {cls.request_deadline!r} s: declare 1 to 600 seconds "
                "(one whole request, connect to last byte)"
            )
        if not 64 * 1024 <= cls.max_response_bytes <= 256 * 1024 * 1024:
            problems.append(
                f"max_response_bytes = {cls.max_response_bytes!r}: declare 64 KiB to 256 MiB"
            )
        if cls.timeout > cls.request_deadline:
            problems.append("timeout (one socket operation) is longer than request_deadline")
        assert not problems, "; ".join(problems)

    def test_contract_secrets_are_secret_typed_and_hidden_from_repr(
        self, conformance: Harness
    ) -> None:
        """Credentials are ``SecretStr`` settings, and no ``repr``/``str`` shows them."""
        settings = conformance.settings
        model = type(settings)
        problems = []
        for name in model.model_fields:
            value = getattr(settings, name)
            if isinstance(value, str) and looks_secret(name):
                problems.append(
                    f"setting {name!r} looks like a credential but is a plain str: declare it "
                    "as pydantic.SecretStr (configured as "
                    f'{name}_env = "VAR"; repr() then hides it)'
                )
        secrets = conformance.secrets
        for name, value in secrets.items():
            if len(value) < MIN_FAKE_SECRET:
                problems.append(
                    f"the fake value of secret setting {name!r} is too short to be found in "
                    f"text: use a distinctive fake of at least {MIN_FAKE_SECRET} characters"
                )
        connector = conformance.connector()
        shown = {
            "repr(settings)": repr(settings),
            "str(settings)": str(settings),
            "settings.model_dump_json()": settings.model_dump_json(),
            "repr(connector)": repr(connector),
            "str(connector)": str(connector),
        }
        for name, value in secrets.items():
            for where, text in shown.items():
                if value in text:
                    problems.append(f"{where} shows secret setting {name!r}")
        assert not problems, "; ".join(problems)

    def test_contract_entry_point_name_matches(self) -> None:
        """The class is registered in ``orderhub.connectors`` under its ``name``."""
        from importlib.metadata import entry_points

        cls = self.connector_class
        registered = list(entry_points(group="orderhub.connectors"))
        for ep in registered:
            if ep.name != cls.name:
                continue
            loaded = ep.load()
            assert loaded is cls, (
                f'the entry point "{ep.name}" = "{ep.value}" loads {loaded!r}, not '
                f"{cls.__module__}.{cls.__qualname__}: two connectors claim the name {cls.name!r}"
            )
            return
        package = cls.__module__.split(".")
        for ep in registered:
            module = ep.value.split(":", 1)[0]
            if package[: len(module.split("."))] != module.split("."):
                continue
            loaded = _load_quietly(ep)
            assert loaded is not cls, (
                f'{cls.__qualname__} is registered as "{ep.name}" but its name is '
                f'"{cls.name}": the entry-point name must equal the class\'s name'
            )
        pytest.skip(
            f"{cls.__qualname__} is not registered yet: add "
            f'`{cls.name} = "{cls.__module__.rsplit(".", 1)[0]}:{cls.__qualname__}"` under '
            '[project.entry-points."orderhub.connectors"] in pyproject.toml and run '
            "`pip install -e .`"
        )

    def test_contract_readme_has_no_todo_left(self) -> None:
        """The connector's README (``readme``, default ``README.md`` next to its package)
        holds no to-do marker: sellers and ops read it to configure the account."""
        path = self.readme or Path(inspect.getfile(self.connector_class)).parent / "README.md"
        if not path.is_file():
            pytest.skip(f"no README at {path} (the repository checks that every connector has one)")
        left = [
            f"line {number}: {line.strip()[:80]}"
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
            if _TODO.search(line)
        ]
        assert not left, (
            f"{path.name} still has {len(left)} to-do marker(s); replace them with the "
            "channel's real facts:\n" + "\n".join(left[:10])
        )

    # -- connection --------------------------------------------------------------------------

    def test_connection_check_passes(self, conformance: Harness) -> None:
        """``check()`` succeeds against the simulator with the test's credentials."""
        connector = conformance.connector()
        try:
            connector.check()
        except ConnectorError as exc:
            _fail(f"check() failed against the simulator: {exc.kind.value}: {exc}")
        assert conformance.api.requests, "check() sent no request: it must make one API call"

    def test_connection_401_raises_auth_error_without_retry(self, conformance: Harness) -> None:
        """A channel answering 401 makes ``check()`` raise ``AuthError`` at once."""
        conformance.api.faults.add(Fault.status(401), times=None)
        connector = conformance.connector()
        with pytest.raises(AuthError):
            connector.check()
        sent = [
            (r.method, r.path, sorted(r.query.items()), r.body) for r in conformance.api.requests
        ]
        repeated = [item for index, item in enumerate(sent) if item in sent[:index]]
        assert not repeated, (
            f"after a 401 the same request was sent again ({repeated[0][0]} {repeated[0][1]}): "
            "bad credentials never get better by retrying; let AuthError through"
        )

    # -- fetch -------------------------------------------------------------------------------

    def test_fetch_reads_every_page(self, conformance: Harness) -> None:
        """All orders of a window spanning several pages come back, each once."""
        window, ids = self._add_recent(conformance, self._multi_page_count(conformance))
        got = conformance.fetch_ids(window)
        missing = set(ids) - set(got)
        assert not missing, (
            f"{len(missing)} of {len(ids)} orders were not fetched (e.g. {sorted(missing)[:3]}): "
            "every page must be read"
        )
        doubled = sorted({i for i in got if got.count(i) > 1})
        assert not doubled, f"orders fetched twice (pages overlap): {doubled[:5]}"
        pages = len(conformance.list_requests())
        assert pages >= 3, (
            f"{len(ids)} orders came in {pages} list request(s); page_size_hint "
            f"({conformance.page_size}) must be the page size the simulator serves"
        )

    def test_fetch_sends_the_window_to_the_api(self, conformance: Harness) -> None:
        """Only orders modified inside the window come back, filtered by the channel."""
        page = conformance.page_size
        window = conformance.window(timedelta(days=2), timedelta(days=1))
        inside = conformance.add_orders(
            max(3, page // 2), window.start + timedelta(hours=1), window.end - timedelta(hours=1)
        )
        now = conformance.now
        before = conformance.add_orders(3 * page, now - timedelta(days=4), now - timedelta(days=3))
        after = conformance.add_orders(page, now - timedelta(hours=20), now - timedelta(hours=1))
        got = conformance.fetch_ids(window)
        outside = set(got) & (set(before) | set(after))
        assert not outside, (
            f"fetch_orders returned {len(outside)} orders modified outside the window: send "
            "window.start and window.end to the API as its modified-since/until filter"
        )
        assert set(got) == set(inside), (
            f"{len(set(inside) - set(got))} orders modified inside the window were not fetched"
        )
        total_pages = -(-(len(inside) + len(before) + len(after)) // page)
        requests = len(conformance.list_requests())
        assert requests < total_pages, (
            f"{requests} list requests for {len(inside)} orders in the window: the connector "
            "seems to page through every order and filter locally; let the API filter "
            f"(page_size_hint is {page})"
        )

    def test_fetch_detects_a_repeated_page(self, conformance: Harness) -> None:
        """A channel serving a page token (link, page) twice ends in PaginationLoopError."""
        hook = type(self).repeat_next_page
        if hook is None:
            pytest.skip("the test class sets repeat_next_page = None")
        window, _ids = self._add_recent(conformance, self._multi_page_count(conformance))
        if hook is ConnectorConformance.repeat_next_page:
            conformance.transport.replay_next_page(self.list_path)
        else:
            self.repeat_next_page(conformance.api)
        connector = conformance.connector()
        try:
            records = conformance.fetch(window, connector, limit=50)
        except PaginationLoopError:
            return
        if conformance.transport.replayed == 0 and hook is ConnectorConformance.repeat_next_page:
            _fail(
                "no second page was requested, so no page could be repeated: check "
                "page_size_hint and list_path, or override repeat_next_page"
            )
        _fail(
            f"the channel served a page again (same next-page token or link) and fetch_orders "
            f"went on without noticing ({len(records)} records, some twice): page with "
            "orderhub.sdk.paginate, which raises PaginationLoopError on a repeated request, "
            "or compare each page with the ones before"
        )

    def test_fetch_empty_window_yields_nothing(self, conformance: Harness) -> None:
        """A window without orders yields no record (and does not fail)."""
        now = conformance.now
        conformance.add_orders(3, now - timedelta(days=4), now - timedelta(days=3))
        conformance.add_orders(3, now - timedelta(hours=20), now - timedelta(hours=2))
        window = conformance.window(timedelta(days=2), timedelta(days=1))
        got = conformance.fetch(window)
        assert got == [], f"fetch_orders yielded {len(got)} record(s) for an empty window"

    def test_fetch_reads_orders_exactly_at_the_window_edges(self, conformance: Harness) -> None:
        """An order modified exactly at ``window.start`` comes with that window, and one
        modified exactly at ``window.end`` with that window or the next: windows meet, so
        an order on an edge is never lost between two runs."""
        window = conformance.window(timedelta(days=2), timedelta(days=1))
        start, end = window.start.replace(microsecond=0), window.end.replace(microsecond=0)
        window = SyncWindow(start=start, end=end)
        [at_start] = conformance.add_orders(1, start, start)
        [at_end] = conformance.add_orders(1, end, end)
        first = conformance.fetch_ids(window)
        following = conformance.fetch_ids(SyncWindow(start=end, end=end + timedelta(hours=1)))
        assert at_start in first, (
            "an order modified exactly at window.start was not fetched: the window's start "
            "is inclusive (send it as modified-since; when the channel compares strictly, "
            "start a second early)"
        )
        assert at_end in first or at_end in following, (
            "an order modified exactly at window.end came neither with that window nor with "
            "the next one starting there: windows are half-open [start, end) and meet, so an "
            "order on the edge must come with one of them"
        )

    def test_fetch_reads_an_order_created_long_before_the_window(
        self, conformance: Harness
    ) -> None:
        """An order created weeks before the window and changed inside it comes back: the
        window filters on last-modified time, never on creation time (nor on a creation
        window the API applies by default)."""
        now = conformance.now
        created = now - timedelta(days=25)
        [old] = conformance.add_orders(1, created, created + timedelta(hours=1))
        self.change_order(conformance.api, old)
        conformance.clock.advance(timedelta(hours=2).total_seconds())
        window = conformance.window(timedelta(hours=3), timedelta(hours=1))
        got = conformance.fetch_ids(window)
        assert old in got, (
            "an order created 25 days before the window and changed inside it was not "
            "fetched: filter on the last-modified time (and send a creation bound wide "
            "enough, or none, when the API applies a default creation window)"
        )

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

    # -- normalization -----------------------------------------------------------------------

    def _normalisation_inputs(self, harness: Harness) -> list[tuple[str, dict[str, Any]]]:
        valid, _malformed = self._fixtures()
        inputs = [(path.name, load_fixture(path)) for path in valid]
        window, _ids = self._add_recent(harness, 5)
        raws = harness.fetch(window)
        inputs.extend((f"simulated order {index + 1}", raw) for index, raw in enumerate(raws))
        return inputs

    def test_normalization_to_order_is_pure(self, conformance: Harness) -> None:
        """``to_order`` sends nothing, reads no clock, leaves its input alone and gives the
        same draft for the same input, every time and on every instance."""
        inputs = self._normalisation_inputs(conformance)
        clock = GuardedClock(conformance.clock)
        transport = GuardedTransport(conformance.transport)
        first = conformance.connector(clock=clock, transport=transport)
        second = conformance.connector(clock=clock, transport=transport)
        for name, raw in inputs:
            pristine = copy.deepcopy(raw)
            try:
                with clock.armed(), transport.armed():
                    drafts = [
                        first.to_order(copy.deepcopy(pristine)),
                        first.to_order(raw),
                        second.to_order(copy.deepcopy(pristine)),
                    ]
            except ImpureCall as exc:
                _fail(
                    f"to_order({name}) {exc}: to_order must be pure (no I/O, no clock, no "
                    "randomness); take times from the payload, and fetch anything extra in "
                    "fetch_orders"
                )
            assert raw == pristine, f"to_order({name}) changed its input: copy what you modify"
            assert drafts[0] == drafts[1] == drafts[2], (
                f"to_order({name}) gave different drafts for the same input: it must be "
                "deterministic (no clock, no randomness, no state kept between calls)"
            )

    def test_normalization_drafts_are_valid(self, conformance: Harness) -> None:
        """Every fixture and every simulated order gives a draft ``validate_order`` accepts
        (UTC times, ISO currency, positive integer quantities, Decimal money)."""
        connector = conformance.connector()
        problems = []
        for name, raw in self._normalisation_inputs(conformance):
            try:
                draft = connector.to_order(raw)
            except Exception as exc:
                problems.append(f"{name}: to_order raised {type(exc).__name__}: {exc}")
                continue
            found = validate_order(draft)
            if found:
                problems.append(f"{name}: {'; '.join(found)}")
        assert not problems, "invalid drafts:\n" + "\n".join(problems)

    def test_normalization_golden_files_match(
        self, conformance: Harness, request: pytest.FixtureRequest
    ) -> None:
        """Each fixture's draft equals its golden file (``--update-golden`` rewrites them)."""
        valid, _malformed = self._fixtures()
        if not valid:
            pytest.skip("no fixtures_dir with fixture JSON files: golden files need fixtures")
        assert self.fixtures_dir is not None
        golden_dir = self.golden_dir or self.fixtures_dir.parent / "golden"
        update = update_golden_requested(bool(request.config.getoption("update_golden", False)))
        connector = conformance.connector()
        problems = []
        for path in valid:
            produced = render_golden(connector.to_order(load_fixture(path)))
            golden = golden_dir / path.name
            if update:
                write_golden(golden, produced)
                continue
            if not golden.exists():
                problems.append(f"{path.name}: no golden file {golden}")
                continue
            expected = golden.read_text(encoding="utf-8")
            if json.loads(expected) != json.loads(produced):
                problems.append(diff_text(expected, produced, path.name))
        stale = sorted({p.name for p in golden_dir.glob("*.json")} - {p.name for p in valid})
        if stale:
            problems.append(f"golden files without a fixture: {', '.join(stale)} (delete them)")
        assert not problems, (
            "golden files differ from what to_order makes of the fixtures (run pytest "
            "--update-golden after an intended change, then review the diff):\n"
            + "\n".join(problems)
        )

    def test_normalization_malformed_fixtures_are_refused(self, conformance: Harness) -> None:
        """Each ``malformed_*.json`` fixture raises (MalformedRecordError, ideally) or gives
        a draft ``validate_order`` refuses; either way the record is quarantined."""
        _valid, malformed = self._fixtures()
        if not malformed:
            pytest.skip("no malformed_*.json fixtures")
        connector = conformance.connector()
        accepted = []
        for path in malformed:
            draft = _to_order_or_none(connector, load_fixture(path))
            if draft is not None and not validate_order(draft):
                accepted.append(path.name)
        assert not accepted, (
            f"to_order accepted {', '.join(accepted)}: raise MalformedRecordError naming the "
            "bad field (parse_money / parse_utc / require do)"
        )

    # -- sync with the real store ------------------------------------------------------------

    def test_sync_first_run_stores_every_order(
        self, conformance: Harness, store_engine: Engine
    ) -> None:
        """The first run stores every order of the backfill once, and succeeds."""
        start, end = conformance.sync_range(timedelta(days=3))
        ids = conformance.add_orders(self._multi_page_count(conformance), start, end)
        result = conformance.sync(store_engine)
        assert result.outcome == "succeeded", f"{result.error_kind}: {result.error}"
        stored = conformance.stored(store_engine)
        missing = set(ids) - set(stored)
        assert not missing, f"{len(missing)} orders not stored, e.g. {sorted(missing)[:3]}"
        assert conformance.order_rows(store_engine) == len(ids)
        assert result.counts.created == len(ids)
        assert result.counts.quarantined == 0, "valid simulated orders were quarantined"

    def test_sync_second_run_writes_nothing(
        self, conformance: Harness, store_engine: Engine
    ) -> None:
        """A second run over unchanged orders creates, updates and records nothing."""
        start, end = conformance.sync_range(timedelta(days=3))
        conformance.add_orders(conformance.page_size + 3, start, end)
        connector = conformance.connector()
        first = conformance.sync(store_engine, connector)
        assert first.outcome == "succeeded", f"{first.error_kind}: {first.error}"
        changed, events = (
            conformance.last_change(store_engine),
            conformance.event_count(store_engine),
        )
        conformance.clock.advance(300)
        second = conformance.sync(store_engine, connector)
        assert second.outcome == "succeeded", f"{second.error_kind}: {second.error}"
        assert (second.counts.created, second.counts.updated) == (0, 0), (
            f"the second run created {second.counts.created} and updated "
            f"{second.counts.updated} orders that did not change: to_order must give the same "
            "draft for the same payload"
        )
        assert conformance.last_change(store_engine) == changed
        assert conformance.event_count(store_engine) == events

    def test_sync_crash_mid_run_never_moves_the_cursor_past_committed_data(
        self, conformance: Harness, store_engine: Engine
    ) -> None:
        """A process dying mid-run leaves every order older than the cursor stored, and a
        rerun stores them all, once."""
        cls = self.connector_class
        start, end = conformance.sync_range(cls.max_window * 5 / 2)
        ids = conformance.add_orders(self._multi_page_count(conformance), start, end)
        # A dry read of the same windows, to learn how many requests a whole run sends and
        # when each order was modified.
        probe_transport = KitTransport(conformance.api)
        probe = conformance.connector(transport=probe_transport)
        planned = plan_window(
            now=conformance.now,
            cursor=None,
            since=None,
            lookback=cls.lookback,
            settle_delay=cls.settle_delay,
            initial_backfill=cls.initial_backfill,
        )
        raws = [
            raw for chunk in chunks(planned, cls.max_window) for raw in probe.fetch_orders(chunk)
        ]
        modified = {d.external_id: d.updated_at for d in conformance.drafts(raws, probe)}
        total = probe_transport.sent
        assert total >= 2, f"a whole run sent {total} request(s): nothing to crash between"

        crashing = KitTransport(conformance.api)
        crashing.crash_after = total // 2
        try:
            conformance.sync(store_engine, conformance.connector(transport=crashing))
        except SimulatedCrash:
            pass
        else:
            _fail(
                "the run finished although the process died mid-run: something caught a "
                "BaseException (never catch BaseException; `except Exception` is enough)"
            )
        stored = set(conformance.stored(store_engine))
        cursor = conformance.cursor(store_engine)
        if cursor is not None:
            lost = sorted(i for i, when in modified.items() if when < cursor and i not in stored)
            assert not lost, (
                f"the cursor moved to {cursor.isoformat()} but {len(lost)} orders modified "
                f"before it were never committed (e.g. {lost[:3]}): declare "
                "sorted_by_updated_at = True only when fetch_orders yields oldest first"
            )
        rerun = conformance.sync(store_engine)
        assert rerun.outcome == "succeeded", f"{rerun.error_kind}: {rerun.error}"
        missing = set(ids) - set(conformance.stored(store_engine))
        assert not missing, f"after the rerun {len(missing)} orders are still missing"
        assert conformance.order_rows(store_engine) == len(ids), "the rerun stored duplicates"

    def test_sync_malformed_record_is_quarantined(
        self, conformance: Harness, store_engine: Engine
    ) -> None:
        """An order ``to_order`` cannot read is quarantined; the others are stored."""
        if type(self).add_malformed_order is ConnectorConformance.add_malformed_order:
            pytest.skip("add_malformed_order is not implemented in the test class")
        start, end = conformance.sync_range(timedelta(days=3))
        ids = conformance.add_orders(conformance.page_size // 2 + 3, start, end)
        bad = self.add_malformed_order(conformance.api, start + (end - start) / 2)
        result = conformance.sync(store_engine)
        assert result.outcome == "succeeded", f"{result.error_kind}: {result.error}"
        stored = conformance.stored(store_engine)
        assert set(ids) <= set(stored), "the valid orders next to a malformed one must be stored"
        if bad is not None:
            assert str(bad) not in stored, "the malformed order was stored"
        quarantined = conformance.quarantined(store_engine)
        assert len(quarantined) == 1, f"{len(quarantined)} records quarantined, expected 1"
        if bad is not None:
            assert quarantined[0]["external_id"] == str(bad), (
                "the quarantined record is labelled "
                f"{quarantined[0]['external_id']!r}, not {bad!r}: make external_id(raw) "
                "find the order id in the raw payload"
            )

    def test_sync_order_changed_between_runs_is_updated(
        self, conformance: Harness, store_engine: Engine
    ) -> None:
        """An order whose status changes on the channel is updated, with a status event."""
        start, end = conformance.sync_range(timedelta(days=3))
        ids = conformance.add_orders(3, start, end)
        connector = conformance.connector()
        first = conformance.sync(store_engine, connector)
        assert first.outcome == "succeeded", f"{first.error_kind}: {first.error}"
        before = conformance.stored(store_engine).get(ids[1])
        assert before is not None, f"order {ids[1]} was not stored by the first run"
        conformance.clock.advance(60)
        self.change_order(conformance.api, ids[1])
        conformance.clock.advance(self.connector_class.settle_delay.total_seconds() + 120)
        second = conformance.sync(store_engine, connector)
        assert second.outcome == "succeeded", f"{second.error_kind}: {second.error}"
        after = conformance.stored(store_engine)
        assert after[ids[1]] != before, (
            f"order {ids[1]} is still {before!r} after the channel changed it: the window "
            "must catch orders modified since the last run"
        )
        assert second.counts.updated == 1, f"{second.counts.updated} orders updated, expected 1"
        kinds = [event["kind"] for event in conformance.events_of(store_engine, ids[1])]
        assert "status_changed" in kinds, f"no status_changed event, only {kinds}"

    # -- push --------------------------------------------------------------------------------

    def _push(self, connector: Connector[Any], shipment: ShipmentDraft) -> PushResult:
        result = connector.push_tracking(shipment)
        assert isinstance(result, PushResult), "push_tracking must return a PushResult"
        return result

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

    # -- hygiene -----------------------------------------------------------------------------

    def test_hygiene_logs_carry_no_secret_and_no_buyer_pii(
        self, conformance: Harness, sqlite_engine: Engine
    ) -> None:
        """The real log output (redactor included) of a check, a sync with a throttled and a
        failed request, a quarantined record and a push holds no secret and no buyer
        name, e-mail, phone or street line."""
        start, end = conformance.sync_range(timedelta(days=3))
        ids = conformance.add_orders(conformance.page_size + 3, start, end)
        malformed = type(self).add_malformed_order is not ConnectorConformance.add_malformed_order
        if malformed:
            self.add_malformed_order(conformance.api, start + (end - start) / 3)
        window = SyncWindow(start=start - timedelta(hours=1), end=end + timedelta(minutes=1))
        quiet = conformance.connector()
        # The malformed order has no draft, hence no buyer data to look for.
        raws = conformance.fetch(window, quiet)
        drafts = [d for d in (_to_order_or_none(quiet, raw) for raw in raws) if d is not None]
        needles = self._needles(conformance, drafts)
        conformance.api.clear_requests()

        capture = LogCapture()
        with capture.capturing():
            connector = conformance.connector()
            connector.check()
            faults = conformance.api.faults
            faults.add(Fault.status(429, retry_after=2), path=self.list_path, times=1)
            faults.add(Fault.status(503), path=self.list_path, times=1, skip=1)
            result = conformance.sync(sqlite_engine, connector)
            if self._declares(Capability.PUSH_TRACKING):
                order = next(d for d in drafts if d.external_id == ids[0])
                self._push(connector, self.shipment_for(conformance.api, order))
            # A gateway echoing the request (credentials included) in its error answer.
            conformance.transport.echo_next()
            errors: list[str] = []
            try:
                conformance.fetch(window, connector)
            except ConnectorError as exc:
                errors = [exc.message, exc.fix or ""]
        assert result.outcome == "succeeded", f"{result.error_kind}: {result.error}"
        assert capture.named("http.request") and capture.named("sync.finished"), (
            "the log output was not captured (no http.request / sync.finished events)"
        )
        secrets = set(conformance.secrets.values())
        leaks = []
        for event in capture.events:
            text = json.dumps(event, ensure_ascii=False)
            decoded = _decoded_forms(text)
            for label, value in needles:
                if value in text:
                    keys = ", ".join(_keys_holding(event, value)) or "?"
                    leaks.append(f"{event.get('event')!r} ({keys}) shows {label}")
                elif value in secrets and any(value in form for form in decoded):
                    leaks.append(f"{event.get('event')!r} shows {label}, encoded")
        for text in errors:
            for label, value in needles:
                if value in secrets and any(
                    value in form for form in [text, *_decoded_forms(text)]
                ):
                    leaks.append(f"the error raised for an echoing 400 answer shows {label}")
        assert not leaks, (
            "the log output shows secrets or buyer data (never log payloads, addresses or "
            "credentials; messages name ids and fields only):\n" + "\n".join(sorted(set(leaks)))
        )

    @staticmethod
    def _needles(harness: Harness, drafts: list[OrderDraft]) -> list[tuple[str, str]]:
        needles: list[tuple[str, str]] = []
        for name, value in harness.secrets.items():
            for form in {value, quote(value, safe=""), quote_plus(value)}:
                needles.append((f"the secret setting {name!r}", form))
        for draft in drafts:
            for who in ("buyer", "ship_to"):
                address = getattr(draft, who)
                if address is None:
                    continue
                for field in ("name", "company", "email", "phone", "line1", "line2"):
                    value = getattr(address, field)
                    if isinstance(value, str) and len(value.strip()) >= MIN_PII:
                        needles.append((f"the {who} {field} of order {draft.external_id}", value))
        return needles


_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")


def _decoded_forms(text: str) -> list[str]:
    """``text`` URL-decoded, and every base64-looking run in it decoded (a Basic header, a
    token in a query string, a JSON-escaped value): secrets must not show in any of them."""
    forms = [unquote_plus(text), text.encode().decode("unicode_escape", "ignore")]
    for chunk in _BASE64.findall(text):
        padded = chunk + "=" * (-len(chunk) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                forms.append(decode(padded).decode("utf-8", "ignore"))
            except (ValueError, binascii.Error):
                continue
    return forms


def _to_order_or_none(connector: Connector[Any], raw: dict[str, Any]) -> OrderDraft | None:
    """``to_order(raw)``, or None when the connector refuses the record (as it should for
    a malformed one)."""
    try:
        return connector.to_order(raw)
    except Exception:
        return None


def _load_quietly(ep: Any) -> Any:
    """The object an entry point names, or None when it fails to load (another connector's
    import problem is not this connector's test failure)."""
    try:
        return ep.load()
    except Exception:
        return None


def _keys_holding(event: Any, needle: str, prefix: str = "") -> list[str]:
    """The dotted keys of ``event`` whose text holds ``needle``."""
    found: list[str] = []
    if isinstance(event, dict):
        for key, value in event.items():
            found.extend(_keys_holding(value, needle, f"{prefix}{key}."))
    elif isinstance(event, list):
        for value in event:
            found.extend(_keys_holding(value, needle, prefix))
    elif needle in str(event):
        found.append(prefix.rstrip(".") or "value")
    return found
