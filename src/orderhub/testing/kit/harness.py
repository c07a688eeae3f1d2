"""One conformance test's world: a fake clock, the simulated channel on it, and connectors
bound to that channel through the kit's transport, plus the helpers the standard tests share
(fetching, syncing into a real store, reading the store back, capturing the real log output).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import structlog
from pydantic import SecretStr, ValidationError
from sqlalchemy import Engine, func, select

from orderhub.logs import configure_logging, get_redactor, reset_logging
from orderhub.sdk.clock import Clock
from orderhub.sdk.connector import Connector, ConnectorContext, ConnectorSettings, SyncWindow
from orderhub.sdk.drafts import OrderDraft
from orderhub.sdk.secrets import paused_registration
from orderhub.store.ingest import EVENTS, ORDERS, QUARANTINE, read_cursor
from orderhub.sync.pull import ORDERS_STREAM, PullResult, PullRunner
from orderhub.testing.clock import FakeClock
from orderhub.testing.kit.guards import KitTransport, RequestLimitExceeded
from orderhub.testing.sim import RecordedRequest, SimulatedApi

if TYPE_CHECKING:
    from orderhub.testing.kit.base import ConformanceBase

__all__ = ["Harness", "LogCapture", "spread_times"]


def spread_times(start: datetime, end: datetime, n: int) -> list[datetime]:
    """``n`` times spread evenly over ``[start, end)``, at whole seconds, oldest first
    (``end == start``: all at ``start`` exactly, used by the window-edge checks).

    For ``add_orders`` hooks: the channels keep modification times at whole seconds, and
    evenly spread times keep every order clear of the window's edges.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if end < start:
        raise ValueError("end must not be before start")
    if end == start:
        # An exact time: the kit's window-edge checks put orders right on an edge.
        return [start] * n
    span = (end - start).total_seconds()
    step = span / max(n, 1)
    times = []
    for index in range(n):
        moment = start + timedelta(seconds=step * index + step / 2)
        times.append(moment.replace(microsecond=0))
    return times


class LogCapture:
    """orderhub's real log output (redactor and JSON renderer included) for the duration of a
    ``with`` block, one parsed event per line in :attr:`events`.

    The account's secrets are deliberately *not* registered with the redactor (production
    registers them as a last line of defence): the scan must see what the connector and the
    framework emit themselves.
    """

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.lines: list[str] = []
        self.events: list[dict[str, Any]] = []

    @contextmanager
    def capturing(self) -> Iterator[LogCapture]:
        redactor = get_redactor()
        redactor.clear_secrets()
        configure_logging(level="debug", fmt="json", stream=self.buffer)
        try:
            with paused_registration():
                yield self
        finally:
            reset_logging()
            redactor.clear_secrets()
            self.lines = self.buffer.getvalue().splitlines()
            self.events = []
            for line in self.lines:
                try:
                    parsed = json.loads(line)
                except ValueError:
                    parsed = {"event": "<not JSON>", "text": line}
                self.events.append(parsed if isinstance(parsed, dict) else {"value": parsed})

    def named(self, event: str) -> list[dict[str, Any]]:
        """The captured events called ``event``."""
        return [e for e in self.events if e.get("event") == event]


class Harness:
    """Built fresh for every standard test by the ``conformance`` fixture.

    ``clock`` is a :class:`FakeClock` shared by the simulator and every connector;
    ``api`` is the author's simulator (``make_api``); ``transport`` the kit's transport in
    front of it; ``settings`` the validated settings model.
    """

    def __init__(self, suite: ConformanceBase) -> None:
        self.suite = suite
        self.cls: type[Connector[Any]] = suite.connector_class
        self.clock = FakeClock(suite.start_time)
        api = suite.make_api(self.clock)
        if not isinstance(api, SimulatedApi):
            pytest.fail(
                f"make_api returned {type(api).__name__}; it must return the simulated "
                "channel, a subclass of orderhub.testing.sim.SimulatedApi",
                pytrace=False,
            )
        self.api = api
        self.transport = KitTransport(api)
        self.settings = self._build_settings()
        self.page_size = suite.page_size_hint or self.cls.page_size
        self._built: list[Connector[Any]] = []

    # -- building ------------------------------------------------------------------------

    def _build_settings(self) -> ConnectorSettings:
        values = {**self.suite.settings, **self.suite.base_url_settings(self.suite.sim_base_url)}
        try:
            return self.cls.settings_model.model_validate(values)
        except ValidationError as exc:
            pytest.fail(
                f"the test class's settings do not validate as "
                f"{self.cls.settings_model.__name__}:\n{exc}\nFix the `settings` dict "
                "(secret fields are given as plain strings; the kit makes them SecretStr).",
                pytrace=False,
            )

    @property
    def secrets(self) -> dict[str, str]:
        """Every secret setting (a ``SecretStr`` field) by field name, with its value."""
        found: dict[str, str] = {}
        for name in type(self.settings).model_fields:
            value = getattr(self.settings, name)
            if isinstance(value, SecretStr) and value.get_secret_value():
                found[name] = value.get_secret_value()
        return found

    def connector(
        self,
        *,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        settings: ConnectorSettings | None = None,
    ) -> Connector[Any]:
        """A new connector instance for the simulated channel (closed after the test)."""
        context: ConnectorContext[Any] = ConnectorContext(
            account_id=self.suite.account_id,
            settings=settings if settings is not None else self.settings,
            clock=clock if clock is not None else self.clock,
            log=structlog.get_logger(),
            transport=transport if transport is not None else self.transport,
        )
        connector = self.cls(context)
        self._built.append(connector)
        return connector

    def close(self) -> None:
        for connector in self._built:
            connector.close()
        self._built.clear()

    # -- time ----------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def window(self, start_ago: timedelta, end_ago: timedelta) -> SyncWindow:
        """The window from ``start_ago`` to ``end_ago`` before now."""
        return SyncWindow(start=self.now - start_ago, end=self.now - end_ago)

    def sync_range(self, span: timedelta) -> tuple[datetime, datetime]:
        """Where a sync test puts its orders: within the first run's backfill, clear of the
        settle delay, ``span`` long at most."""
        latest = self.now - self.cls.settle_delay - timedelta(minutes=5)
        reach = min(span, self.cls.initial_backfill - timedelta(hours=1))
        return latest - reach, latest

    # -- the channel ---------------------------------------------------------------------

    def add_orders(self, n: int, start: datetime, end: datetime) -> list[str]:
        """Call the ``add_orders`` hook and check its answer."""
        ids = self.suite.add_orders(self.api, n, start, end)
        if not isinstance(ids, list) or len(ids) != n:
            pytest.fail(
                f"add_orders(api, {n}, ...) must return a list of the {n} new orders' "
                f"external ids; it returned {ids!r:.200}",
                pytrace=False,
            )
        return [str(item) for item in ids]

    def list_requests(self) -> list[RecordedRequest]:
        """The requests the simulator received on ``list_path``."""
        return self.api.requests_to(self.suite.list_path)

    # -- fetching ------------------------------------------------------------------------

    def fetch(
        self, window: SyncWindow, connector: Connector[Any] | None = None, *, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Every raw record ``fetch_orders(window)`` yields. Fails the test when the read
        sends more than ``limit`` requests (paging that would not end)."""
        connector = connector or self.connector()
        before = self.transport.sent
        self.transport.limit = before + limit
        try:
            return list(connector.fetch_orders(window))
        except RequestLimitExceeded:
            pytest.fail(
                f"fetch_orders sent more than {limit} requests for a window of a few pages: "
                "paging does not stop (is the next-page token or offset ever updated?)",
                pytrace=False,
            )
        finally:
            self.transport.limit = None

    def drafts(
        self, raws: list[dict[str, Any]], connector: Connector[Any] | None = None
    ) -> list[OrderDraft]:
        """``to_order`` of every record; fails naming the record that cannot be read."""
        connector = connector or self.connector()
        drafts = []
        for index, raw in enumerate(raws):
            try:
                drafts.append(connector.to_order(raw))
            except Exception as exc:
                pytest.fail(
                    f"to_order refused record {index + 1} of a simulated order "
                    f"({type(exc).__name__}: {exc}); the simulator and the mapping disagree",
                    pytrace=False,
                )
        return drafts

    def fetch_ids(self, window: SyncWindow, connector: Connector[Any] | None = None) -> list[str]:
        """The external ids of every order ``fetch_orders(window)`` yields, in order."""
        connector = connector or self.connector()
        return [
            draft.external_id for draft in self.drafts(self.fetch(window, connector), connector)
        ]

    # -- the store -----------------------------------------------------------------------

    def sync(self, engine: Engine, connector: Connector[Any] | None = None) -> PullResult:
        """One pull run of the account into ``engine``."""
        return PullRunner(engine, connector or self.connector(), trigger="cli").run()

    def stored(self, engine: Engine) -> dict[str, str]:
        """``{external id: status}`` of the account's stored orders."""
        with engine.connect() as connection:
            rows = connection.execute(
                select(ORDERS.c.external_id, ORDERS.c.status).where(
                    ORDERS.c.account_id == self.suite.account_id
                )
            ).all()
        return {row.external_id: row.status for row in rows}

    def order_rows(self, engine: Engine) -> int:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    select(func.count())
                    .select_from(ORDERS)
                    .where(ORDERS.c.account_id == self.suite.account_id)
                ).scalar_one()
            )

    def event_count(self, engine: Engine) -> int:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(EVENTS)).scalar_one())

    def events_of(self, engine: Engine, external_id: str) -> list[dict[str, Any]]:
        with engine.connect() as connection:
            rows = connection.execute(
                select(EVENTS.c.kind, EVENTS.c.from_status, EVENTS.c.to_status)
                .join(ORDERS, ORDERS.c.id == EVENTS.c.order_id)
                .where(
                    ORDERS.c.account_id == self.suite.account_id,
                    ORDERS.c.external_id == external_id,
                )
                .order_by(EVENTS.c.id)
            ).all()
        return [dict(row._mapping) for row in rows]

    def quarantined(self, engine: Engine) -> list[dict[str, Any]]:
        with engine.connect() as connection:
            rows = connection.execute(
                select(QUARANTINE.c.external_id, QUARANTINE.c.reason).where(
                    QUARANTINE.c.account_id == self.suite.account_id
                )
            ).all()
        return [dict(row._mapping) for row in rows]

    def cursor(self, engine: Engine) -> datetime | None:
        with engine.connect() as connection:
            return read_cursor(connection, self.suite.account_id, ORDERS_STREAM)

    def last_change(self, engine: Engine) -> datetime | None:
        with engine.connect() as connection:
            value: datetime | None = connection.execute(
                select(func.max(ORDERS.c.last_changed_at)).where(
                    ORDERS.c.account_id == self.suite.account_id
                )
            ).scalar()
            return value
