"""The simulated eBay's state, transport and hooks: the constructor, the raw query string
kept for the bracket-encoding check, error answers and order lookup.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx

from orderhub.sdk.clock import Clock
from orderhub.sims.ebay.errors import (
    INVALID_TOKEN,
    SYSTEM_ERROR,
    TOO_MANY_REQUESTS,
    _errors,
    ebay_error,
)
from orderhub.sims.ebay.records import (
    ACCESS_TOKEN_TTL,
    API_PATH,
    CARRIERS,
    SCOPE,
    SCOPE_READONLY,
    EbayOrderRecord,
)
from orderhub.testing.sim import (
    OAuth2TokenEndpoint,
    OrderStore,
    RecordedRequest,
    SimRequest,
    SimResponse,
    SimTransport,
    SimulatedApi,
)
from orderhub.testing.sim.transport import to_httpx_response, to_sim_request

_UNENCODED = re.compile(r"[\[\]{}|]")


def _raw_param(raw_query: str, name: str) -> str | None:
    for pair in raw_query.split("&"):
        key, sep, value = pair.partition("=")
        if sep and key == name:
            return value
    return None


class _RawQueryTransport(SimTransport):
    """The in-process transport, handing the query string exactly as sent to the
    simulator (``request.context["raw_query"]``)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        sim_request = to_sim_request(request, body)
        sim_request.context["raw_query"] = request.url.query.decode("ascii", "replace")
        return to_httpx_response(self.api.handle(sim_request), request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        sim_request = to_sim_request(request, body)
        sim_request.context["raw_query"] = request.url.query.decode("ascii", "replace")
        return to_httpx_response(self.api.handle(sim_request), request)


class EbayBase(SimulatedApi):
    """State, transport, error hooks and lookups shared by every part of :class:`SimulatedEbay`."""

    #: eBay's throttling answers carry no Retry-After.
    throttle_sends_retry_after = False

    def __init__(
        self,
        clock: Clock,
        *,
        client_id: str = "ebay-client",
        client_secret: str = "ebay-secret",  # noqa: S107 - the simulator's test credential
        refresh_token: str = "v^1.1#sim",  # noqa: S107 - the simulator's test credential
        seed: int = 0,
        daily_limit: int = 100_000,
        seller_id: str = "sim_seller",
        carriers: Sequence[str] = CARRIERS,
        enforce_remaining_quantity: bool = True,
        strict_filter_encoding: bool = True,
    ) -> None:
        super().__init__(clock)
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.seed = seed
        self.seller_id = seller_id
        self.carriers = {c.lower(): c for c in carriers}
        self.enforce_remaining_quantity = enforce_remaining_quantity
        self.strict_filter_encoding = strict_filter_encoding
        #: Daily call limit per resource.
        self.daily_limits: dict[str, int] = {"order": daily_limit}
        #: Seconds to announce in ``Retry-After`` on a 429 (eBay sends none: ``None``).
        self.quota_retry_after: float | None = None
        self.oauth = OAuth2TokenEndpoint(
            clock,
            clients={client_id: client_secret},
            access_token_ttl=ACCESS_TOKEN_TTL,
            token_type="User Access Token",  # noqa: S106 - eBay's token type name
            return_refresh_token=False,
            access_token_prefix="v^1.1#i^1#p^3#r^1#sim-",  # noqa: S106 - a prefix
        )
        self._consented: dict[str, frozenset[str]] = {}
        self.add_refresh_token(refresh_token, scopes=(SCOPE, SCOPE_READONLY))
        self.store: OrderStore[EbayOrderRecord] = OrderStore(clock, first_id=1)
        self._by_order_id: dict[str, int] = {}
        self._ids: list[int] = []
        self._usage: dict[tuple[str, date], int] = {}
        self._raw: list[tuple[RecordedRequest, str | None]] = []
        self._rng = random.Random(seed)
        self._helper_lock = threading.RLock()
        self._prefix = 10 + seed % 80
        self._next_request_id = 5_000_000_000 + seed * 1000

    # -- transport and record --------------------------------------------------------------------

    def transport(self) -> SimTransport:
        """An in-process transport that also hands the raw query string to the simulator."""
        return _RawQueryTransport(self)

    def handle(self, request: SimRequest) -> SimResponse:
        with self.lock:
            response = super().handle(request)
            if self.requests:
                self._raw.append((self.requests[-1], request.context.get("raw_query")))
                if self.max_recorded is not None and len(self._raw) > self.max_recorded:
                    del self._raw[: len(self._raw) - self.max_recorded]
            return response

    def raw_query(self, record: RecordedRequest) -> str | None:
        """The query string of a recorded request exactly as the client sent it (in-process
        transport only; ``None`` over a real socket)."""
        with self.lock:
            for item, raw in self._raw:
                if item is record:
                    return raw
        return None

    def clear_requests(self) -> None:
        with self.lock:
            super().clear_requests()
            self._raw.clear()

    def relative_path(self, path: str) -> str:
        """Paths below the API root (``/order/...``) for faults and ``requests_to``."""
        if path == API_PATH or path.startswith(API_PATH + "/"):
            return path[len(API_PATH) :] or "/"
        return path

    # -- errors and hooks ------------------------------------------------------------------------

    def error_response(
        self, status: int, code: str, message: str, extra: dict[str, Any] | None = None
    ) -> SimResponse:
        error_id = int(code) if code.isdigit() else 2004
        return _errors(status, ebay_error(error_id, message))

    def no_route(self, request: SimRequest) -> SimResponse:
        return _errors(
            404,
            ebay_error(
                2002,
                "Resource not found",
                long_message="The resource you are looking for does not exist.",
                domain="ACCESS",
            ),
        )

    def status_error(self, status: int) -> SimResponse:
        if status == 429:
            return _errors(429, TOO_MANY_REQUESTS)
        if status == 401:
            return _errors(401, INVALID_TOKEN)
        if status >= 500:
            return _errors(status, SYSTEM_ERROR)
        return super().status_error(status)

    def throttle_response(
        self, request: SimRequest, operation: str, retry_after: float
    ) -> SimResponse:
        return _errors(429, TOO_MANY_REQUESTS)

    # -- OAuth -----------------------------------------------------------------------------------

    def add_refresh_token(
        self, refresh_token: str, *, scopes: Sequence[str] = (SCOPE, SCOPE_READONLY)
    ) -> None:
        """Register a seller's consent for ``scopes``."""
        with self.lock:
            self.oauth.add_refresh_token(refresh_token, self.client_id)
            self._consented[refresh_token] = frozenset(scopes)

    def _bad(
        self,
        error_id: int,
        message: str,
        long_message: str,
        parameters: dict[str, str] | None = None,
    ) -> SimResponse:
        return _errors(
            400, ebay_error(error_id, message, long_message=long_message, parameters=parameters)
        )

    # -- lookups ---------------------------------------------------------------------------------

    def _find(self, order_id: str) -> EbayOrderRecord | None:
        internal = self._by_order_id.get(order_id)
        return self.store.get(internal) if internal is not None else None

    def _invalid_order(self, order_id: str) -> SimResponse:
        return self._bad(
            32100,
            "Invalid order ID",
            f"Invalid order ID: {order_id[:40]}",
            {"orderId": order_id[:40]},
        )

    def order_ids(self) -> list[str]:
        """Every order id, oldest order first."""
        with self.lock:
            return [self.store.require(i).order_id for i in self._ids]

    def _require(self, order_id: str) -> EbayOrderRecord:
        record = self._find(order_id)
        if record is None:
            raise KeyError(f"no simulated eBay order {order_id}")
        return record
