"""read_window: re-reads while the total moves, refuses repeated pages, gives up after a
bounded number of reads; records_at: the records path."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from orderhub.sdk import (
    HttpClient,
    ListingProgress,
    OffsetPaginator,
    PageNumberPaginator,
    PaginationLoopError,
    RetryPolicy,
    TransientError,
    read_window,
    records_at,
)
from orderhub.sdk.progress import as_total
from orderhub.testing import FakeClock


class Shop:
    """A page-numbered order list (X-WP-Total header) whose orders can shift while paged."""

    def __init__(self, n: int, per_page: int = 2) -> None:
        self.ids = list(range(1, n + 1))
        self.per_page = per_page
        self.requests: list[httpx.Request] = []
        self.after_page: Any = None
        self.ignore_page = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        page = 1 if self.ignore_page else int(request.url.params.get("page", "1"))
        chunk = self.ids[(page - 1) * self.per_page : page * self.per_page]
        response = httpx.Response(
            200,
            json=[{"id": i} for i in chunk],
            headers={"X-WP-Total": str(len(self.ids))},
        )
        if self.after_page is not None:
            self.after_page(page)
        return response


def http_for(shop: Shop) -> HttpClient:
    clock = FakeClock()
    return HttpClient(
        base_url="https://shop.example.test/",
        account_id="acct",
        rate_limits={},
        default_rate_limit=None,
        retry_policy=RetryPolicy(max_attempts=1),
        clock=clock,
        log=structlog.get_logger(),
        transport=httpx.MockTransport(shop.handle),
    )


def read(shop: Shop, **options: Any) -> list[int]:
    return [
        raw["id"]
        for raw in read_window(
            http_for(shop),
            "list_orders",
            "orders",
            paginator=lambda: PageNumberPaginator(per_page=shop.per_page, total_pages_header=None),
            records="",
            total_header="X-WP-Total",
            **options,
        )
    ]


def test_a_stable_window_is_read_once() -> None:
    shop = Shop(5)
    assert read(shop) == [1, 2, 3, 4, 5]
    assert len(shop.requests) == 3


def test_an_order_leaving_the_window_while_paged_makes_the_window_read_again() -> None:
    shop = Shop(6)

    def after(page: int) -> None:
        if page == 1 and 2 in shop.ids:
            shop.ids.remove(2)  # modified while paged: leaves the window, 3 moves to page 1

    shop.after_page = after
    with capture_logs() as logs:
        got = read(shop, log=structlog.get_logger())
    assert set(got) >= {1, 3, 4, 5, 6}, "no order skipped"
    assert [e["event"] for e in logs].count("sync.window_reread") == 1


def test_a_window_that_never_settles_is_transient_after_max_reads() -> None:
    shop = Shop(4)
    counter = iter(range(100, 200))

    def after(page: int) -> None:
        if page == 1:
            shop.ids.append(next(counter))

    shop.after_page = after
    with pytest.raises(TransientError, match="read 2 times without a stable total") as caught:
        read(shop, max_reads=2, label="Shop account x: ")
    assert caught.value.message.startswith("Shop account x: ")
    assert caught.value.fix


def test_a_repeated_page_stops_the_read_with_the_fix() -> None:
    shop = Shop(6)
    shop.ignore_page = True
    with pytest.raises(PaginationLoopError) as caught:
        read(shop, loop_fix="Exclude the API from the cache.")
    assert "page 2" in caught.value.message and "page 1" in caught.value.message
    assert caught.value.fix == "Exclude the API from the cache."
    assert len(shop.requests) == 2


def test_before_page_runs_before_every_request() -> None:
    shop = Shop(5)
    calls: list[int] = []
    read(shop, before_page=lambda: calls.append(len(shop.requests)))
    assert calls == [0, 1, 2]


def test_a_body_total_works_with_offset_paging() -> None:
    ids = list(range(7))

    def handle(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        body = {
            "total": len(ids),
            "data": {"orders": [{"orderId": i} for i in ids[offset : offset + limit]]},
        }
        return httpx.Response(200, json=body)

    http = HttpClient(
        base_url="https://api.example.test/",
        account_id="acct",
        rate_limits={},
        default_rate_limit=None,
        retry_policy=RetryPolicy(max_attempts=1),
        clock=FakeClock(),
        log=structlog.get_logger(),
        transport=httpx.MockTransport(handle),
    )
    got = read_window(
        http,
        "getOrders",
        "order",
        paginator=lambda: OffsetPaginator(limit=3),
        records="data.orders",
        total_path="total",
        record_id="orderId",
    )
    assert [raw["orderId"] for raw in got] == ids


def test_every_page_reports_the_records_read_and_the_announced_total() -> None:
    shop = Shop(5)
    http = http_for(shop)
    seen: list[ListingProgress] = []
    with http.watching_listings(seen.append):
        for _ in range(2):  # two listings (WooCommerce reads "any", then "trash")
            for consumed, _raw in enumerate(
                read_window(
                    http,
                    "list_orders",
                    "orders",
                    paginator=lambda: PageNumberPaginator(per_page=2, total_pages_header=None),
                    records="",
                    total_header="X-WP-Total",
                ),
                1,
            ):
                # A page is reported when it arrives, before its records are handed on.
                assert seen[-1].read >= consumed
    assert [(p.listing, p.read, p.total) for p in seen] == [
        (1, 2, 5),
        (1, 4, 5),
        (1, 5, 5),
        (2, 2, 5),
        (2, 4, 5),
        (2, 5, 5),
    ]
    # Outside the block nobody listens, and reading reports nothing.
    assert list(read(shop)) == [1, 2, 3, 4, 5]
    assert len(seen) == 6


def test_a_reread_starts_its_count_again_with_the_new_total() -> None:
    shop = Shop(6)

    def after(page: int) -> None:
        if page == 1 and 2 in shop.ids:
            shop.ids.remove(2)

    shop.after_page = after
    http = http_for(shop)
    seen: list[ListingProgress] = []
    with http.watching_listings(seen.append):
        list(
            read_window(
                http,
                "list_orders",
                "orders",
                paginator=lambda: PageNumberPaginator(per_page=2, total_pages_header=None),
                records="",
                total_header="X-WP-Total",
            )
        )
    first = [p for p in seen if p.reread == 0]
    second = [p for p in seen if p.reread == 1]
    assert first[0].total == 6 and second, seen
    assert second[0].read == 2 and {p.total for p in second} == {5}
    assert second[-1].read == 5


def test_a_body_total_is_reported_and_no_total_is_none() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        body: dict[str, Any] = {
            "orders": [{"orderId": i} for i in range(offset, min(offset + 3, 7))]
        }
        if request.url.params.get("total") != "no":
            body["total"] = 7
        return httpx.Response(200, json=body)

    http = HttpClient(
        base_url="https://api.example.test/",
        account_id="acct",
        rate_limits={},
        default_rate_limit=None,
        retry_policy=RetryPolicy(max_attempts=1),
        clock=FakeClock(),
        log=structlog.get_logger(),
        transport=httpx.MockTransport(handle),
    )
    for params, total_path, expected in (
        ({}, "total", 7),
        ({"total": "no"}, "total", None),  # announced nowhere on this answer
        ({}, None, None),  # not watched
    ):
        seen: list[ListingProgress] = []
        with http.watching_listings(seen.append):
            got = list(
                read_window(
                    http,
                    "getOrders",
                    "order",
                    params=params,
                    paginator=lambda: OffsetPaginator(limit=3, total_path=None),
                    records="orders",
                    total_path=total_path,
                    record_id="orderId",
                )
            )
        assert len(got) == 7
        assert [p.read for p in seen] == [3, 6, 7]
        assert {p.total for p in seen} == {expected}


@pytest.mark.parametrize(
    ("announced", "expected"),
    [
        ("412", 412),
        (" 412 ", 412),
        (412, 412),
        ("", None),
        ("None", None),
        (-1, None),
        (True, None),
        ("4.5", None),
        ("٤١٢", None),  # Arabic-Indic digits: isdigit() says yes, a channel never sends them
        ("9" * 40, None),
        (10**30, None),
    ],
)
def test_only_a_believable_total_is_reported(announced: Any, expected: int | None) -> None:
    assert as_total(announced) == expected


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("", [{"id": 1}, "junk", {"id": 2}], [{"id": 1}, {"id": 2}]),
        ("orders", {"orders": [{"id": 1}]}, [{"id": 1}]),
        ("orders", {"total": 0}, []),
        ("payload.Orders", {"payload": {"Orders": [{"id": 3}]}}, [{"id": 3}]),
    ],
)
def test_records_at_extracts_the_list(path: str, body: Any, expected: list[Any]) -> None:
    assert records_at(path, "op")(body) == expected


@pytest.mark.parametrize(
    ("path", "body", "missing_is_empty"),
    [
        ("", {"orders": []}, True),
        ("orders", [{"id": 1}], True),
        ("orders", {"orders": "none"}, True),
        ("orders", {"total": 0}, False),
        ("orders", "<html>proxy error</html>", True),
    ],
)
def test_records_at_refuses_a_body_of_the_wrong_shape(
    path: str, body: Any, missing_is_empty: bool
) -> None:
    with pytest.raises(TransientError, match="searchOrders"):
        records_at(path, "searchOrders", missing_is_empty=missing_is_empty)(body)
