"""The in-process way to run a simulated API: an httpx transport, no sockets."""

from __future__ import annotations

from typing import Protocol

import httpx

from orderhub.testing.sim.messages import SimRequest, SimResponse, parse_query


class Handles(Protocol):
    """Anything that answers a :class:`SimRequest` (a ``SimulatedApi``)."""

    def handle(self, request: SimRequest) -> SimResponse: ...


def to_sim_request(request: httpx.Request, body: bytes) -> SimRequest:
    """Translate an httpx request."""
    url = request.url
    return SimRequest(
        method=request.method,
        path=url.path,
        query=parse_query(url.query.decode("ascii", errors="replace")),
        headers=httpx.Headers(request.headers),
        body=body,
        base_url=f"{url.scheme}://{url.netloc.decode('ascii')}",
    )


def to_httpx_response(response: SimResponse, request: httpx.Request) -> httpx.Response:
    """Translate an answer, raising the transport error an aborted answer stands for."""
    if response.abort == "timeout":
        raise httpx.ReadTimeout("timed out", request=request)
    if response.abort == "short_body":
        received = len(response.body) // 2
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body "
            f"(received {received} bytes, expected {len(response.body)})",
            request=request,
        )
    return httpx.Response(
        status_code=response.status,
        headers=list(response.headers.items()),
        content=response.body,
        request=request,
    )


class SimTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Routes every request to ``api.handle`` in the calling thread. Works for both
    ``httpx.Client`` and ``httpx.AsyncClient``; any host in the URL reaches the API."""

    def __init__(self, api: Handles) -> None:
        self.api = api

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        return to_httpx_response(self.api.handle(to_sim_request(request, body)), request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        return to_httpx_response(self.api.handle(to_sim_request(request, body)), request)
