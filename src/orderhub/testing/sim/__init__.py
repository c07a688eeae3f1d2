"""Building blocks for simulated marketplace APIs.

The simulated WooCommerce, Amazon and eBay are built from these, and so can a connector
author's simulator for a new channel. A minimal one::

    from orderhub.testing.sim import SimRequest, SimResponse, SimulatedApi, route

    class PetShopApi(SimulatedApi):
        base_path = "/api/v1"

        @route("GET", "/orders", operation="listOrders")
        def list_orders(self, request: SimRequest) -> SimResponse:
            return SimResponse.json(200, {"orders": []})

    api = PetShopApi(FakeClock())
    client = httpx.Client(transport=api.transport(), base_url="https://petshop.example")
    api.faults.add(Fault.status(503), times=2)      # fail the next two requests
    api.rate_limits.set("listOrders", RateLimit(rate=1, burst=5))
    with api.serve() as server:                      # the same API over real HTTP
        httpx.get(server.base_url + "/api/v1/orders")
"""

from orderhub.testing.sim.api import RecordedRequest, Route, SimulatedApi, route
from orderhub.testing.sim.clock import ScaledClock
from orderhub.testing.sim.data import copy_json, deep_merge
from orderhub.testing.sim.faults import Fault, FaultKind, FaultPlan, FaultRule
from orderhub.testing.sim.messages import SimRequest, SimResponse
from orderhub.testing.sim.oauth import IssuedToken, OAuth2TokenEndpoint, TokenStatus
from orderhub.testing.sim.paging import (
    InvalidTokenError,
    OffsetPage,
    Page,
    TokenPage,
    TokenPager,
    offset_slice,
    page_number_slice,
)
from orderhub.testing.sim.ratelimit import SimRateLimiter
from orderhub.testing.sim.server import SimServer
from orderhub.testing.sim.store import (
    LiveFeed,
    OrderStore,
    SimRecord,
    creation_times,
    modified_later,
    whole_seconds,
)
from orderhub.testing.sim.transport import SimTransport

__all__ = [
    "Fault",
    "FaultKind",
    "FaultPlan",
    "FaultRule",
    "InvalidTokenError",
    "IssuedToken",
    "LiveFeed",
    "OAuth2TokenEndpoint",
    "OffsetPage",
    "OrderStore",
    "Page",
    "RecordedRequest",
    "Route",
    "ScaledClock",
    "SimRateLimiter",
    "SimRecord",
    "SimRequest",
    "SimResponse",
    "SimServer",
    "SimTransport",
    "SimulatedApi",
    "TokenPage",
    "TokenPager",
    "TokenStatus",
    "copy_json",
    "creation_times",
    "deep_merge",
    "modified_later",
    "offset_slice",
    "page_number_slice",
    "route",
    "whole_seconds",
]
