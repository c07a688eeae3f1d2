"""RawQueryPaginator (sdk/paginate.py): the inner paginator moves the parameters, the
query string reaches the server exactly as written; and auth_refusal (sdk/responses.py)."""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from orderhub.sdk import (
    OffsetPaginator,
    PageNumberPaginator,
    RawQueryPaginator,
    RetryPolicy,
    auth_refusal,
    read_window,
)
from orderhub.sdk.http import HttpClient
from orderhub.testing import FakeClock

FILTER = "filter=modified:%5B2026-01-01T00:00:00Z..%5D"


def client(handler: Any) -> HttpClient:
    return HttpClient(
        base_url="https://api.example/v1/",
        account_id="a",
        rate_limits={},
        default_rate_limit=None,
        retry_policy=RetryPolicy(max_attempts=1),
        clock=FakeClock(),
        log=structlog.get_logger(),
        transport=httpx.MockTransport(handler),
    )


def test_every_page_keeps_the_hand_written_query_and_moves_the_offset() -> None:
    seen: list[str] = []
    orders = [{"id": str(n)} for n in range(5)]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.query.decode())
        offset = int(request.url.params["offset"])
        return httpx.Response(200, json={"orders": orders[offset : offset + 2], "total": 5})

    got = list(
        read_window(
            client(handler),
            "list",
            "orders",
            paginator=lambda: RawQueryPaginator(
                OffsetPaginator(limit=2),
                "orders",
                lambda params: f"{FILTER}&limit={params['limit']}&offset={params['offset']}",
            ),
            records="orders",
            total_path="total",
        )
    )
    assert got == orders
    assert seen == [f"{FILTER}&limit=2&offset={offset}" for offset in (0, 2, 4)]


def test_the_page_is_described_in_the_inner_paginator_s_words() -> None:
    raw = RawQueryPaginator(PageNumberPaginator(per_page=10), "orders", str)
    url, params = raw.first({})
    assert url.startswith("orders?") and params == {}
    assert "page" in raw.describe(url, params)


def _response(status: int, body: Any) -> httpx.Response:
    return httpx.Response(
        status, json=body, request=httpx.Request("GET", "https://api.example/v1/orders")
    )


def test_a_refused_token_names_the_request_and_the_channel_s_codes() -> None:
    refusals = {401: ("the token is refused", "Check the keys. "), 403: ("no scope", "Scope. ")}
    error = auth_refusal(
        _response(401, {"errors": [{"errorId": 1001}, {"errorId": True}]}),
        label="Shop account a: ",
        refusals=refusals,
        fix_suffix="Authorise again.",
    )
    assert error is not None and error.status == 401
    assert error.message == (
        "Shop account a: GET /v1/orders answered HTTP 401 (errorIds [1001]): the token is refused"
    )
    assert error.fix == "Check the keys. Authorise again."
    plain = auth_refusal(_response(403, "nope"), label="", refusals=refusals, code_key="code")
    assert plain is not None and "(codes none): no scope" in plain.message
    assert auth_refusal(_response(404, {}), label="", refusals=refusals) is None
