"""paginate() and the five paginators, against small simulated list endpoints."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import structlog

from orderhub.sdk.errors import PaginationLoopError, RejectedError, TransientError
from orderhub.sdk.http import HttpClient
from orderhub.sdk.paginate import (
    LinkHeaderPaginator,
    NextTokenPaginator,
    NextUrlPaginator,
    OffsetPaginator,
    Page,
    PageNumberPaginator,
    Paginator,
    dig,
    paginate,
)
from orderhub.sdk.retry import RetryPolicy
from orderhub.testing.clock import FakeClock

Handler = Callable[[httpx.Request], httpx.Response]

ORDERS = [{"id": n} for n in range(1, 451)]


class Api:
    """Wraps a handler and records every request it serves."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def query(self, index: int) -> dict[str, str]:
        return dict(self.requests[index].url.params)


@pytest.fixture
def make_http() -> Iterator[Callable[..., tuple[HttpClient, Api]]]:
    made: list[HttpClient] = []

    def factory(
        handler: Handler, base_url: str = "https://api.example/v1"
    ) -> tuple[HttpClient, Api]:
        api = Api(handler)
        client = HttpClient(
            base_url=base_url,
            account_id="acct",
            rate_limits={},
            default_rate_limit=None,
            retry_policy=RetryPolicy(max_attempts=3),
            clock=FakeClock(),
            log=structlog.get_logger(),
            transport=httpx.MockTransport(api),
            rng=random.Random(1),
        )
        made.append(client)
        return client, api

    yield factory
    for client in made:
        client.close()


MakeHttp = Callable[..., tuple[HttpClient, Api]]


def ids(records: Any) -> list[int]:
    return [r["id"] for r in records]


# -- next token -----------------------------------------------------------------------------


def amazon_2026(page_size: int = 100) -> Handler:
    """Amazon Orders 2026-01-01 style: ``pagination.nextToken``; filters re-sent each time."""

    def handler(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        assert params["lastUpdatedAfter"] == "2026-01-01T00:00:00Z"  # filters always re-sent
        start = int(params.get("paginationToken", "tok-0").removeprefix("tok-"))
        chunk = ORDERS[start : start + page_size]
        body: dict[str, Any] = {"orders": chunk}
        if start + page_size < len(ORDERS):
            body["pagination"] = {"nextToken": f"tok-{start + page_size}"}
        return httpx.Response(200, json=body)

    return handler


def test_next_token_multi_page(make_http: MakeHttp) -> None:
    http, api = make_http(amazon_2026())
    got = list(
        paginate(
            http,
            "getOrders",
            "orders/2026-01-01/orders",
            params={"lastUpdatedAfter": "2026-01-01T00:00:00Z"},
            paginator=NextTokenPaginator(),
            records=lambda body: body["orders"],
        )
    )
    assert ids(got) == [o["id"] for o in ORDERS]
    assert len(api.requests) == 5
    assert "paginationToken" not in api.query(0)
    assert api.query(1) == {
        "lastUpdatedAfter": "2026-01-01T00:00:00Z",
        "paginationToken": "tok-100",
    }
    assert http.stats.pages == 5


def test_next_token_v0_payload_path(make_http: MakeHttp) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("NextToken")
        if token is None:
            return httpx.Response(
                200, json={"payload": {"Orders": [{"id": 1}], "NextToken": "2YgYW55"}}
            )
        assert token == "2YgYW55"
        assert request.url.params["MarketplaceIds"] == "ATVPDKIKX0DER"
        return httpx.Response(200, json={"payload": {"Orders": [{"id": 2}]}})

    http, api = make_http(handler)
    got = paginate(
        http,
        "getOrders",
        "orders/v0/orders",
        params={"MarketplaceIds": "ATVPDKIKX0DER"},
        paginator=NextTokenPaginator("payload.NextToken", "NextToken"),
        records=lambda body: body["payload"]["Orders"],
    )
    assert ids(got) == [1, 2]
    assert len(api.requests) == 2


def test_next_token_without_keep_params(make_http: MakeHttp) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "t" in request.url.params:
            return httpx.Response(200, json={"items": [{"id": 2}]})
        return httpx.Response(200, json={"items": [{"id": 1}], "next": "abc"})

    http, api = make_http(handler)
    got = paginate(
        http,
        "op",
        "items",
        params={"q": "x"},
        paginator=NextTokenPaginator("next", "t", keep_params=False),
        records=lambda body: body["items"],
    )
    assert ids(got) == [1, 2]
    assert api.query(1) == {"t": "abc"}


def test_next_token_empty_result(make_http: MakeHttp) -> None:
    http, api = make_http(lambda r: httpx.Response(200, json={"orders": [], "pagination": {}}))
    got = list(
        paginate(
            http,
            "getOrders",
            "orders",
            paginator=NextTokenPaginator(),
            records=lambda b: b["orders"],
        )
    )
    assert got == []
    assert len(api.requests) == 1
    assert http.stats.pages == 1


def test_next_token_repeated_is_a_loop(make_http: MakeHttp) -> None:
    long_token = "Zm9vYmFy" * 40  # long opaque token, as Amazon's are

    def handler(request: httpx.Request) -> httpx.Response:
        # The API keeps handing out the same token: page 2 would be asked for forever.
        return httpx.Response(
            200, json={"orders": [{"id": 1}], "pagination": {"nextToken": long_token}}
        )

    http, api = make_http(handler)
    with pytest.raises(PaginationLoopError) as info:
        list(
            paginate(
                http,
                "getOrders",
                "orders",
                paginator=NextTokenPaginator(),
                records=lambda b: b["orders"],
            )
        )
    message = info.value.message
    assert "getOrders" in message
    assert "token" in message
    assert long_token not in message
    assert len(message) < 250
    assert len(api.requests) == 2  # the repeated request is never sent


def test_next_token_cycle_of_two_is_a_loop(make_http: MakeHttp) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        nxt = {"A": "B", "B": "A"}.get(request.url.params.get("paginationToken", ""), "A")
        return httpx.Response(200, json={"orders": [{"id": 1}], "pagination": {"nextToken": nxt}})

    http, api = make_http(handler)
    with pytest.raises(PaginationLoopError):
        list(
            paginate(
                http,
                "getOrders",
                "orders",
                paginator=NextTokenPaginator(),
                records=lambda b: b["orders"],
            )
        )
    assert len(api.requests) == 3


# -- offset ---------------------------------------------------------------------------------


def ebay_offset(cap: int = 200, with_total: bool = True) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        limit = min(int(request.url.params["limit"]), cap)
        offset = int(request.url.params["offset"])
        body: dict[str, Any] = {
            "orders": ORDERS[offset : offset + limit],
            "offset": offset,
            "limit": limit,
        }
        if with_total:
            body["total"] = len(ORDERS)
        return httpx.Response(200, json=body)

    return handler


def test_offset_multi_page(make_http: MakeHttp) -> None:
    http, api = make_http(ebay_offset())
    got = paginate(
        http,
        "getOrders",
        "order",
        paginator=OffsetPaginator(limit=200),
        records=lambda b: b["orders"],
    )
    assert ids(got) == [o["id"] for o in ORDERS]
    assert [api.query(i)["offset"] for i in range(len(api.requests))] == ["0", "200", "400"]


def test_offset_channel_caps_page_size_below_limit(make_http: MakeHttp) -> None:
    http, api = make_http(ebay_offset(cap=100))
    got = paginate(
        http,
        "getOrders",
        "order",
        paginator=OffsetPaginator(limit=200),
        records=lambda b: b["orders"],
    )
    assert ids(got) == [o["id"] for o in ORDERS]  # nothing skipped
    assert len(api.requests) == 5


def test_offset_without_total_stops_on_short_page(make_http: MakeHttp) -> None:
    http, api = make_http(ebay_offset(with_total=False))
    got = paginate(
        http,
        "op",
        "order",
        paginator=OffsetPaginator(limit=150, total_path=None),
        records=lambda b: b["orders"],
    )
    assert len(list(got)) == 450
    # 150, 150, 150, then an empty page proves the end (450 is a multiple of 150).
    assert len(api.requests) == 4


def test_offset_empty(make_http: MakeHttp) -> None:
    http, api = make_http(lambda r: httpx.Response(200, json={"orders": [], "total": 0}))
    assert (
        list(
            paginate(
                http, "op", "order", paginator=OffsetPaginator(), records=lambda b: b["orders"]
            )
        )
        == []
    )
    assert len(api.requests) == 1


def test_offset_keeps_filters(make_http: MakeHttp) -> None:
    http, api = make_http(ebay_offset())
    list(
        paginate(
            http,
            "op",
            "order",
            params={"filter": "lastmodifieddate:[2026-01-01T00:00:00.000Z..]"},
            paginator=OffsetPaginator(limit=200),
            records=lambda b: b["orders"],
        )
    )
    assert all(api.query(i)["filter"].startswith("lastmodifieddate") for i in range(3))


def test_offset_endless_api_hits_page_cap(make_http: MakeHttp) -> None:
    # No total, always full pages: only the page cap stops it.
    http, api = make_http(lambda r: httpx.Response(200, json={"orders": [{"id": 1}] * 10}))
    with pytest.raises(PaginationLoopError) as info:
        list(
            paginate(
                http,
                "op",
                "order",
                paginator=OffsetPaginator(limit=10, total_path=None),
                records=lambda b: b["orders"],
                max_pages=7,
            )
        )
    assert "7 pages" in info.value.message
    assert len(api.requests) == 7


# -- page number ----------------------------------------------------------------------------


def woocommerce(total: int = 250, header: bool = True) -> Handler:
    orders = [{"id": n} for n in range(1, total + 1)]

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        per_page = int(request.url.params["per_page"])
        chunk = orders[(page - 1) * per_page : page * per_page]
        headers = {}
        if header:
            headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(-(-total // per_page))}
        return httpx.Response(200, json=chunk, headers=headers)

    return handler


def test_page_number_with_total_pages_header(make_http: MakeHttp) -> None:
    http, api = make_http(woocommerce(total=200))
    got = paginate(
        http,
        "orders.list",
        "orders",
        paginator=PageNumberPaginator(per_page=100),
        records=lambda b: b,
    )
    assert ids(got) == list(range(1, 201))
    # The header says 2 pages: no third request for an empty page.
    assert [api.query(i)["page"] for i in range(len(api.requests))] == ["1", "2"]
    assert api.query(0)["per_page"] == "100"


def test_page_number_without_header_stops_on_short_page(make_http: MakeHttp) -> None:
    http, api = make_http(woocommerce(total=250, header=False))
    got = paginate(
        http,
        "orders.list",
        "orders",
        paginator=PageNumberPaginator(total_pages_header=None),
        records=lambda b: b,
    )
    assert len(list(got)) == 250
    assert len(api.requests) == 3


def test_page_number_empty(make_http: MakeHttp) -> None:
    http, api = make_http(woocommerce(total=0))
    assert (
        list(
            paginate(
                http, "orders.list", "orders", paginator=PageNumberPaginator(), records=lambda b: b
            )
        )
        == []
    )
    assert len(api.requests) == 1


def test_page_number_lying_header_hits_page_cap(make_http: MakeHttp) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[{"id": 1}] * 2, headers={"X-WP-TotalPages": "999999"})

    http, api = make_http(handler)
    with pytest.raises(PaginationLoopError):
        list(
            paginate(
                http,
                "orders.list",
                "orders",
                paginator=PageNumberPaginator(per_page=2),
                records=lambda b: b,
                max_pages=5,
            )
        )
    assert len(api.requests) == 5


# -- Link header ----------------------------------------------------------------------------


SHOP = "https://shop.myshopify.com/admin/api/2026-07"


def shopify(pages: int = 3) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        info = request.url.params.get("page_info")
        index = int(info.removeprefix("p")) if info else 0
        if info is not None:
            # Shopify refuses filters next to page_info.
            assert set(request.url.params.keys()) <= {"page_info", "limit"}
        headers = {}
        links = []
        if index + 1 < pages:
            links.append(f'<{SHOP}/orders.json?page_info=p{index + 1}&limit=2>; rel="next"')
        if index > 0:
            links.append(f'<{SHOP}/orders.json?page_info=p{index - 1}&limit=2>; rel="previous"')
        if links:
            headers["Link"] = ", ".join(links)
        body = {"orders": [{"id": index * 2 + 1}, {"id": index * 2 + 2}]}
        return httpx.Response(200, json=body, headers=headers)

    return handler


def test_link_header_multi_page(make_http: MakeHttp) -> None:
    http, api = make_http(shopify(), base_url="https://shop.myshopify.com/admin/api/2026-07")
    got = paginate(
        http,
        "orders.list",
        "orders.json",
        params={"status": "any", "limit": 2},
        paginator=LinkHeaderPaginator(),
        records=lambda b: b["orders"],
    )
    assert ids(got) == [1, 2, 3, 4, 5, 6]
    assert api.query(0) == {"status": "any", "limit": "2"}
    assert api.query(1) == {"page_info": "p1", "limit": "2"}
    assert api.query(2) == {"page_info": "p2", "limit": "2"}


def test_link_header_single_page(make_http: MakeHttp) -> None:
    http, api = make_http(shopify(pages=1), base_url="https://shop.myshopify.com/admin/api/2026-07")
    got = paginate(
        http,
        "orders.list",
        "orders.json",
        paginator=LinkHeaderPaginator(),
        records=lambda b: b["orders"],
    )
    assert ids(got) == [1, 2]
    assert len(api.requests) == 1


def test_link_header_loop(make_http: MakeHttp) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        link = '<https://api.example/v1/orders?page_info=same>; rel="next"'
        return httpx.Response(200, json=[{"id": 1}], headers={"Link": link})

    http, api = make_http(handler)
    with pytest.raises(PaginationLoopError) as info:
        list(
            paginate(
                http, "orders.list", "orders", paginator=LinkHeaderPaginator(), records=lambda b: b
            )
        )
    assert "orders.list" in info.value.message
    assert "link" in info.value.message
    assert len(api.requests) == 2


def test_link_header_relative_link(make_http: MakeHttp) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return httpx.Response(200, json=[{"id": 2}])
        return httpx.Response(
            200, json=[{"id": 1}], headers={"Link": '</v1/orders?page=2>; rel="next"'}
        )

    http, api = make_http(handler)
    assert ids(
        paginate(http, "op", "orders", paginator=LinkHeaderPaginator(), records=lambda b: b)
    ) == [1, 2]
    assert str(api.requests[1].url) == "https://api.example/v1/orders?page=2"


def test_link_to_another_host_is_refused(make_http: MakeHttp) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json=[{"id": 1}], headers={"Link": '<https://evil.example/steal>; rel="next"'}
        )

    http, api = make_http(handler)
    with pytest.raises(RejectedError) as info:
        list(paginate(http, "op", "orders", paginator=LinkHeaderPaginator(), records=lambda b: b))
    assert "evil.example" in info.value.message
    assert len(api.requests) == 1


# -- next URL -------------------------------------------------------------------------------


def ebay_next(style: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/sell/fulfillment/v1/order"
        offset = int(request.url.params.get("offset", "0"))
        body: dict[str, Any] = {"orders": ORDERS[offset : offset + 200], "total": len(ORDERS)}
        nxt = offset + 200
        if nxt < len(ORDERS):
            query = f"limit=200&offset={nxt}"
            body["next"] = {
                "documented": f"/order?{query}",
                "full_path": f"/sell/fulfillment/v1/order?{query}",
                "absolute": f"https://api.ebay.com/sell/fulfillment/v1/order?{query}",
            }[style]
        return httpx.Response(200, json=body)

    return handler


@pytest.mark.parametrize("style", ["documented", "full_path", "absolute"])
def test_next_url_all_forms(make_http: MakeHttp, style: str) -> None:
    http, api = make_http(ebay_next(style), base_url="https://api.ebay.com/sell/fulfillment/v1")
    got = paginate(
        http,
        "getOrders",
        "order",
        params={"limit": 200},
        paginator=NextUrlPaginator(),
        records=lambda b: b["orders"],
    )
    assert ids(got) == [o["id"] for o in ORDERS]
    assert [str(r.url) for r in api.requests][1:] == [
        "https://api.ebay.com/sell/fulfillment/v1/order?limit=200&offset=200",
        "https://api.ebay.com/sell/fulfillment/v1/order?limit=200&offset=400",
    ]


def test_next_url_loop(make_http: MakeHttp) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"orders": [{"id": 1}], "next": "/order?limit=1&offset=1"})

    http, api = make_http(handler, base_url="https://api.ebay.com/sell/fulfillment/v1")
    with pytest.raises(PaginationLoopError) as info:
        list(
            paginate(
                http,
                "getOrders",
                "order",
                paginator=NextUrlPaginator(),
                records=lambda b: b["orders"],
            )
        )
    assert "getOrders" in info.value.message
    assert "next URL" in info.value.message
    assert len(api.requests) == 2


def test_next_url_empty(make_http: MakeHttp) -> None:
    http, api = make_http(lambda r: httpx.Response(200, json={"orders": [], "total": 0}))
    assert (
        list(
            paginate(
                http, "op", "order", paginator=NextUrlPaginator(), records=lambda b: b["orders"]
            )
        )
        == []
    )
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    ("target", "base", "expected"),
    [
        (
            "/order?offset=2",
            "https://api.ebay.com/sell/fulfillment/v1",
            "https://api.ebay.com/sell/fulfillment/v1/order?offset=2",
        ),
        (
            "/order?offset=2",
            "https://api.ebay.com/sell/fulfillment/v1/",
            "https://api.ebay.com/sell/fulfillment/v1/order?offset=2",
        ),
        (
            "/sell/fulfillment/v1/order?offset=2",
            "https://api.ebay.com/sell/fulfillment/v1/",
            "https://api.ebay.com/sell/fulfillment/v1/order?offset=2",
        ),
        (
            "order?offset=2",
            "https://api.ebay.com/sell/fulfillment/v1/",
            "https://api.ebay.com/sell/fulfillment/v1/order?offset=2",
        ),
        (
            "https://apiz.ebay.com/x?y=1",
            "https://api.ebay.com/sell/fulfillment/v1/",
            "https://apiz.ebay.com/x?y=1",
        ),
        ("/orders?page=2", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/orders?page=2"),
    ],
)
def test_next_url_resolution(target: str, base: str, expected: str) -> None:
    assert NextUrlPaginator.resolve(target, base) == expected


# -- the loop itself ------------------------------------------------------------------------


def test_pages_are_fetched_lazily(make_http: MakeHttp) -> None:
    http, api = make_http(amazon_2026(page_size=100))
    records = paginate(
        http,
        "getOrders",
        "orders",
        params={"lastUpdatedAfter": "2026-01-01T00:00:00Z"},
        paginator=NextTokenPaginator(),
        records=lambda body: body["orders"],
    )
    assert api.requests == []  # nothing sent before the consumer asks
    first_page = list(itertools.islice(records, 100))
    assert len(first_page) == 100
    assert len(api.requests) == 1  # page 2 not fetched until page 1 is consumed
    nxt = next(iter(records))
    assert nxt["id"] == 101
    assert len(api.requests) == 2
    assert http.stats.pages == 2


def test_paging_survives_a_transient_failure(make_http: MakeHttp) -> None:
    inner = amazon_2026()
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 3:
            return httpx.Response(503)
        return inner(request)

    http, api = make_http(flaky)
    got = list(
        paginate(
            http,
            "getOrders",
            "orders",
            params={"lastUpdatedAfter": "2026-01-01T00:00:00Z"},
            paginator=NextTokenPaginator(),
            records=lambda body: body["orders"],
        )
    )
    assert ids(got) == [o["id"] for o in ORDERS]  # no gap, no duplicate
    assert len(api.requests) == 6
    assert http.stats.pages == 5
    assert http.stats.retries == 1


def test_failure_mid_paging_propagates(make_http: MakeHttp) -> None:
    inner = amazon_2026()

    def broken(request: httpx.Request) -> httpx.Response:
        if "paginationToken" in request.url.params:
            return httpx.Response(500)
        return inner(request)

    http, _ = make_http(broken)
    records = paginate(
        http,
        "getOrders",
        "orders",
        params={"lastUpdatedAfter": "2026-01-01T00:00:00Z"},
        paginator=NextTokenPaginator(),
        records=lambda body: body["orders"],
    )
    taken = []
    with pytest.raises(TransientError):
        for record in records:
            taken.append(record)
    assert len(taken) == 100  # page 1 was delivered before page 2 failed


class EveryOther:
    """A connector's own paginator: satisfies the protocol without the shipped classes."""

    def first(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        return "items?from=0", {}

    def next(self, page: Page) -> tuple[str, dict[str, Any]] | None:
        assert page.count == len(page.body["items"])
        if not page.body["items"]:
            return None
        return f"items?from={page.body['items'][-1]['id']}", {}


def test_custom_paginator(make_http: MakeHttp) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["from"])
        return httpx.Response(
            200, json={"items": [{"id": n} for n in range(start + 1, min(start + 3, 7))]}
        )

    http, api = make_http(handler)
    paginator: Paginator = EveryOther()
    assert isinstance(paginator, Paginator)
    got = paginate(http, "op", "ignored", paginator=paginator, records=lambda b: b["items"])
    assert ids(got) == [1, 2, 3, 4, 5, 6]
    assert str(api.requests[0].url) == "https://api.example/v1/items?from=0"


def test_dig() -> None:
    body = {"pagination": {"nextToken": "t"}, "list": [1]}
    assert dig(body, "pagination.nextToken") == "t"
    assert dig(body, "pagination.missing") is None
    assert dig(body, "list.0") is None
    assert dig(None, "a") is None
