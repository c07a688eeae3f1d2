"""The WooCommerce connector: orders in through REST API v3.

Paging note: WooCommerce pages by page number. If an order inside the window is modified
while we page, it leaves the ``modified_before`` filter and every later order shifts one
place towards the front, so one order would be skipped. The connector pages by ascending
id and compares ``X-WP-Total`` on every page with the first; when it changed, it reads the
window again (upserts make the second read free of duplicates).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from orderhub.sdk import (
    Capability,
    Connector,
    OrderDraft,
    Page,
    PageNumberPaginator,
    RateLimit,
    SyncWindow,
    TransientError,
    paginate,
)

from .mapping import to_draft
from .settings import WooCommerceSettings

LIST_ORDERS = "list_orders"
_MAX_REREADS = 3


def _wc_time(value: datetime) -> str:
    # With dates_are_gmt=true WooCommerce compares against the *_gmt columns.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class _QueryAuth(httpx.Auth):
    """Keys as query parameters, for servers that strip the Authorization header."""

    def __init__(self, key: str, secret: str) -> None:
        self._params = {"consumer_key": key, "consumer_secret": secret}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.url = request.url.copy_merge_params(self._params)
        yield request


class _TotalWatcher(PageNumberPaginator):
    """Page-number paging that remembers every ``X-WP-Total`` it saw."""

    def __init__(self, per_page: int) -> None:
        super().__init__(per_page=per_page)
        self.totals: list[str] = []

    def next(self, page: Page) -> tuple[str, dict[str, Any]] | None:
        self.totals.append(page.response.headers.get("X-WP-Total", ""))
        return super().next(page)


class WooCommerceConnector(Connector[WooCommerceSettings]):
    """Pulls a WooCommerce shop's orders (REST API v3, HTTP Basic auth with API keys)."""

    name = "woocommerce"
    version = "0.1.0"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.FETCH_ORDERS, Capability.CANCELLATIONS}
    )
    settings_model = WooCommerceSettings
    # WooCommerce core documents no limit, but shared hosts and WAFs throttle bursts:
    # stay polite by default.
    default_rate_limit = RateLimit(rate=5.0, burst=10)
    lookback = timedelta(minutes=10)
    max_window = timedelta(days=7)
    page_size = 100

    def auth(self) -> httpx.Auth:
        key = self.settings.consumer_key.get_secret_value()
        secret = self.settings.consumer_secret.get_secret_value()
        if self.settings.auth_in_query:
            return _QueryAuth(key, secret)
        return httpx.BasicAuth(key, secret)

    def check(self) -> None:
        self.http.get_json(LIST_ORDERS, "orders", params={"per_page": 1})

    def fetch_orders(self, window: SyncWindow) -> Iterator[dict[str, Any]]:
        params = {
            "modified_after": _wc_time(window.start),
            "modified_before": _wc_time(window.end),
            "dates_are_gmt": "true",
            "orderby": "id",
            "order": "asc",
            "status": "any",
        }
        for _attempt in range(_MAX_REREADS):
            watcher = _TotalWatcher(per_page=self.page_size)
            yield from paginate(
                self.http,
                LIST_ORDERS,
                "orders",
                params=params,
                paginator=watcher,
                records=_order_list,
            )
            if len(set(watcher.totals)) <= 1:
                return
            self.log.info("woocommerce.window_shifted", totals=watcher.totals[:5])
        raise TransientError(
            "orders kept changing while being paged; the window was read "
            f"{_MAX_REREADS} times without a stable total",
            fix="Nothing to do: the next run reads the window again.",
        )

    def to_order(self, raw: dict[str, Any]) -> OrderDraft:
        return to_draft(raw, self.settings.status_map)


def _order_list(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise TransientError("the orders endpoint did not answer with a JSON list")
    return body
