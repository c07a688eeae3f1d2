"""Connectors for a connector's own tests (the ones beyond the conformance suite).

A connector's ``conftest.py`` usually needs a ``make_connector`` fixture: connectors of one
class, bound to the test's fake clock and simulated channel, with the test account's
settings unless a test overrides some, and all closed when the test ends.
:class:`ConnectorBuilder` is that fixture's body::

    @pytest.fixture
    def make_connector(clock: FakeClock, sim: SimulatedPetShop) -> Iterator[ConnectorBuilder]:
        with ConnectorBuilder(
            PetShopConnector,
            clock=clock,
            transport=sim.transport,
            settings={"api_token": TOKEN},
            account_id="petshop",
        ) as build:
            yield build

    def test_check(make_connector):
        make_connector().check()
        make_connector(api_token="wrong")  # settings override the defaults
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx
import structlog

from orderhub.sdk.clock import Clock
from orderhub.sdk.connector import Connector, ConnectorContext

__all__ = ["ConnectorBuilder"]

C = TypeVar("C", bound=Connector[Any])


class ConnectorBuilder(Generic[C]):
    """Builds ``connector_class`` instances and closes every one it built on :meth:`close`
    (or at the end of its ``with`` block).

    ``clock`` and ``transport`` (called once per connector, e.g. a simulator's bound
    ``transport`` method) are the defaults of every build; ``settings`` the account's
    settings as the configuration gives them (secrets as plain strings), validated by the
    connector's ``settings_model`` on each build together with the build's overrides.
    """

    def __init__(
        self,
        connector_class: type[C],
        *,
        clock: Clock,
        transport: Callable[[], httpx.BaseTransport],
        settings: Mapping[str, Any],
        account_id: str,
    ) -> None:
        self.connector_class = connector_class
        self.clock = clock
        self.transport = transport
        self.settings = dict(settings)
        self.account_id = account_id
        self.built: list[C] = []

    def __call__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        log: Any = None,
        account_id: str | None = None,
        **settings: Any,
    ) -> C:
        """A new connector: each argument given replaces the default, and ``settings`` are
        merged over the account's settings."""
        values = {**self.settings, **settings}
        connector = self.connector_class(
            ConnectorContext(
                account_id=account_id if account_id is not None else self.account_id,
                settings=self.connector_class.settings_model(**values),
                clock=clock if clock is not None else self.clock,
                log=log if log is not None else structlog.get_logger(),
                transport=transport if transport is not None else self.transport(),
            )
        )
        self.built.append(connector)
        return connector

    def close(self) -> None:
        """Close every connector built so far."""
        for connector in self.built:
            connector.close()
        self.built.clear()

    def __enter__(self) -> ConnectorBuilder[C]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
