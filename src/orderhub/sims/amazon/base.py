"""The simulated Amazon's state and its answers: the constructor, Amazon's error bodies,
``x-amzn-RequestId`` and ``x-amzn-RateLimit-Limit``, the sandbox hook and order lookup.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from orderhub.sdk.clock import Clock
from orderhub.sims.amazon.records import (
    CARRIER_CODES,
    MARKETPLACES,
    USAGE_PLANS,
    AmazonOrderRecord,
    _by_created,
)
from orderhub.sims.amazon.sandbox import _matches_example, sandbox_examples
from orderhub.testing.sim import (
    OAuth2TokenEndpoint,
    OrderStore,
    SimRequest,
    SimResponse,
    SimulatedApi,
    TokenPager,
)


class AmazonBase(SimulatedApi):
    """State, answers and lookups shared by every part of :class:`SimulatedAmazon`."""

    throttle_sends_retry_after = False

    def __init__(
        self,
        clock: Clock,
        *,
        client_id: str = "amzn-client",
        client_secret: str = "amzn-secret",  # noqa: S107 - the simulator's test credential
        refresh_token: str = "Atzr|sim",  # noqa: S107 - the simulator's test credential
        marketplace_ids: Sequence[str] = ("ATVPDKIKX0DER",),
        seed: int = 0,
        enforce_rate_limits: bool = True,
        serve_sandbox_examples: bool = True,
        carrier_codes: Iterable[str] = CARRIER_CODES,
    ) -> None:
        super().__init__(clock)
        unknown = [m for m in marketplace_ids if m not in MARKETPLACES]
        if unknown or not marketplace_ids:
            raise ValueError(f"unknown or no marketplace ids: {unknown}")
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.marketplace_ids = tuple(marketplace_ids)
        self.seed = seed
        self.serve_sandbox_examples = serve_sandbox_examples
        self.carrier_codes = frozenset(carrier_codes)
        self.lwa = OAuth2TokenEndpoint(
            clock,
            clients={client_id: client_secret},
            access_token_ttl=3600,
            access_token_prefix="Atza|sim-",  # noqa: S106 - a prefix, not a secret
        )
        self.lwa.add_refresh_token(refresh_token, client_id)
        if enforce_rate_limits:
            for operation, limit in USAGE_PLANS.items():
                self.rate_limits.set(operation, limit)
        self.store: OrderStore[AmazonOrderRecord] = OrderStore(clock, first_id=1)
        self._by_order_id: dict[str, int] = {}
        self._rng = random.Random(seed)
        self._pager = TokenPager("searchOrders")
        self._v0_pager = TokenPager("getOrders")
        self._snapshots: OrderedDict[str, list[int]] = OrderedDict()
        self._token_issued: OrderedDict[str, datetime] = OrderedDict()
        self._request_ids = 0
        self._item_ids = 0
        self._helper_lock = threading.RLock()

    # -- errors and answers -----------------------------------------------------------------

    def error_response(
        self, status: int, code: str, message: str, extra: dict[str, Any] | None = None
    ) -> SimResponse:
        error: dict[str, Any] = {"code": code, "message": message, "details": ""}
        error.update(extra or {})
        return SimResponse.json(status, {"errors": [error]})

    def no_route(self, request: SimRequest) -> SimResponse:
        return self.error_response(404, "NotFound", "The resource specified does not exist.")

    def status_error(self, status: int) -> SimResponse:
        if status == 429:
            return self.error_response(
                429, "QuotaExceeded", "You exceeded your quota for the requested resource."
            )
        if status == 500:
            return self.error_response(
                500, "InternalFailure", "We encountered an internal error. Please try again."
            )
        if status == 503:
            return self.error_response(
                503, "ServiceUnavailable", "Service temporarily unavailable. Please try again."
            )
        if status == 403:
            return self.error_response(
                403, "Unauthorized", "Access to requested resource is denied."
            )
        return super().status_error(status)

    def throttle_response(
        self, request: SimRequest, operation: str, retry_after: float
    ) -> SimResponse:
        # Amazon sends no Retry-After and no x-amzn-RateLimit-Limit on a 429.
        return self.status_error(429)

    def handle(self, request: SimRequest) -> SimResponse:
        response = super().handle(request)
        if response.abort is not None or response.header("x-amzn-RequestId") is not None:
            return response
        with self._helper_lock:
            self._request_ids += 1
            request_id = f"sim-{self.seed:04d}-{self._request_ids:08d}"
        headers = {**response.headers, "x-amzn-RequestId": request_id}
        return SimResponse(response.status, headers, response.body, response.abort)

    def _reply(self, operation: str, status: int, body: Any | None = None) -> SimResponse:
        """A JSON (or 204) answer with the operation's ``x-amzn-RateLimit-Limit``."""
        response = SimResponse.empty(status) if body is None else SimResponse.json(status, body)
        limit = self.rate_limits.limit_for(operation)
        if limit is not None and status in (200, 204, 400, 404):
            response.headers["x-amzn-RateLimit-Limit"] = f"{limit.rate:g}"
        return response

    def _invalid(self, operation: str, message: str, details: str = "") -> SimResponse:
        response = self.error_response(400, "InvalidInput", message, {"details": details})
        limit = self.rate_limits.limit_for(operation)
        if limit is not None:
            response.headers["x-amzn-RateLimit-Limit"] = f"{limit.rate:g}"
        return response

    def _sandbox(self, request: SimRequest, operation: str) -> SimResponse | None:
        if not self.serve_sandbox_examples:
            return None
        for example in sandbox_examples():
            if example["operation"] != operation or example["method"] != request.method:
                continue
            if not self._same_api(request, example):
                continue
            if _matches_example(request, example):
                status = int(example["status"])
                body = example["response"] if status != 204 else None
                return self._reply(operation, status, body)
        return None

    @staticmethod
    def _same_api(request: SimRequest, example: dict[str, Any]) -> bool:
        return request.path.startswith("/orders/v0/") == bool(example["api"] == "v0")

    def _lookup(self, order_id: str) -> AmazonOrderRecord | None:
        internal = self._by_order_id.get(order_id)
        return self.store.get(internal) if internal is not None else None

    def _not_found(self, operation: str) -> SimResponse:
        response = self.error_response(404, "NotFound", "The order was not found.")
        limit = self.rate_limits.limit_for(operation)
        if limit is not None:
            response.headers["x-amzn-RateLimit-Limit"] = f"{limit.rate:g}"
        return response

    # -- test and demo helpers ---------------------------------------------------------------

    def record(self, order_id: str) -> AmazonOrderRecord:
        """The stored record of ``order_id`` (``KeyError`` when there is none)."""
        record = self._lookup(order_id)
        if record is None:
            raise KeyError(f"no simulated Amazon order {order_id}")
        return record

    def order_ids(self) -> list[str]:
        """Every order id, oldest first."""
        with self.lock:
            return [r.order_id for r in sorted(self.store, key=_by_created)]

    # -- internals ---------------------------------------------------------------------------

    def _store(self, record: AmazonOrderRecord) -> None:
        if record.order_id in self._by_order_id:
            raise ValueError(f"order {record.order_id} already exists")
        self.store.add(record)
        self._by_order_id[record.order_id] = record.id
