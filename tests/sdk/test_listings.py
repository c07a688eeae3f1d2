"""Listing: a list endpoint declared once, read as a sync window or all at once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from orderhub.sdk import (
    HttpClient,
    Listing,
    PageNumberPaginator,
    PaginationLoopError,
    RetryPolicy,
    TransientError,
)
from orderhub.testing import FakeClock


class Shop:
    """Page-numbered lists with an X-WP-Total header; records the requests it answers."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.requests: list[httpx.Request] = []
        self.after_first_page: Any = None
        self.body: Any = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        page = int(request.url.params.get("page", "1"))
        chunk = self.ids[(page - 1) * 2 : page * 2]
        body = self.body if self.body is not None else [{"id": i} for i in chunk]
        response = httpx.Response(200, json=body, headers={"X-WP-Total": str(len(self.ids))})
        if page == 1 and self.after_first_page is not None:
            self.after_first_page()
        return response


def client(shop: Shop) -> HttpClient:
    return HttpClient(
        base_url="https://shop.example.test/api/",
        account_id="acct",
        rate_limits={},
        default_rate_limit=None,
        retry_policy=RetryPolicy(max_attempts=1),
        clock=FakeClock(),
        log=structlog.get_logger(),
        transport=httpx.MockTransport(shop.handle),
    )


def pages() -> PageNumberPaginator:
    return PageNumberPaginator(per_page=2, total_pages_header=None)


ORDERS = Listing(
    "list_orders",
    "orders",
    pages,
    params={"orderby": "id"},
    total_header="X-WP-Total",
    loop_fix="Exclude the API from the cache.",
)


def test_a_window_sends_the_listings_params_and_the_windows() -> None:
    shop = Shop([1, 2, 3])
    got = [raw["id"] for raw in ORDERS.window(client(shop), {"after": "2026-01-01"})]
    assert got == [1, 2, 3]
    first = shop.requests[0].url
    assert first.path == "/api/orders"
    assert (first.params["orderby"], first.params["after"]) == ("id", "2026-01-01")


def test_a_window_whose_total_moves_is_read_again() -> None:
    shop = Shop([1, 2, 3, 4])

    def change() -> None:
        if 2 in shop.ids:
            shop.ids.remove(2)

    shop.after_first_page = change
    with capture_logs() as logs:
        got = {raw["id"] for raw in ORDERS.window(client(shop), {}, log=structlog.get_logger())}
    assert got >= {1, 3, 4}
    assert [entry["event"] for entry in logs].count("sync.window_reread") == 1


def test_a_repeated_page_stops_the_window_with_the_listings_fix() -> None:
    shop = Shop([1, 2, 3, 4, 5])
    shop.body = [{"id": 1}, {"id": 2}]  # a cache answering every page with page 1
    with pytest.raises(PaginationLoopError) as caught:
        list(ORDERS.window(client(shop), {}))
    assert caught.value.fix == "Exclude the API from the cache."


def test_all_reads_every_page_once_from_another_url_when_asked() -> None:
    shop = Shop([1, 2, 3])
    products = Listing("list_products", "products", pages, params={"order": "asc"})
    http = client(shop)
    assert [raw["id"] for raw in products.all(http)] == [1, 2, 3]
    assert [raw["id"] for raw in products.all(http, {"type": "x"}, url="products/9/variations")]
    last = shop.requests[-1].url
    assert last.path == "/api/products/9/variations"
    assert (last.params["order"], last.params["type"]) == ("asc", "x")


def test_a_body_that_is_not_the_declared_list_is_transient() -> None:
    shop = Shop([1])
    shop.body = {"error": "maintenance"}
    with pytest.raises(TransientError, match="list_orders"):
        list(ORDERS.all(client(shop)))
