"""Paging through list endpoints: one :func:`paginate` loop, one small paginator per style.

A connector's ``fetch_orders`` is usually one call::

    yield from paginate(
        self.http, "getOrders", "orders/2026-01-01/orders",
        params={"lastUpdatedAfter": ..., "marketplaceIds": ...},
        paginator=NextTokenPaginator(),
        records=lambda body: body["orders"],
    )

:func:`paginate` owns the loop (lazy fetching, page counting, loop detection, a hard page
cap); a paginator only says which request comes first and which comes next. Five styles
ship ready: :class:`NextTokenPaginator` (Amazon), :class:`OffsetPaginator` (eBay),
:class:`LinkHeaderPaginator` (Shopify, WordPress), :class:`PageNumberPaginator`
(WooCommerce) and :class:`NextUrlPaginator` (eBay's ``next``). A paginator is stateful and
serves one :func:`paginate` call: build a new one each time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import httpx

from orderhub.sdk.errors import PaginationLoopError, RejectedError
from orderhub.sdk.http import HttpClient, scrub

__all__ = [
    "LinkHeaderPaginator",
    "NextTokenPaginator",
    "NextUrlPaginator",
    "OffsetPaginator",
    "Page",
    "PageNumberPaginator",
    "Paginator",
    "RawQueryPaginator",
    "paginate",
]

DEFAULT_MAX_PAGES = 100_000


@dataclass(frozen=True, slots=True)
class Page:
    """One fetched page, as handed to :meth:`Paginator.next`.

    ``url`` and ``params`` are what this page was requested with (``url`` as given, possibly
    relative to ``base_url``); ``response.request.url`` is the absolute URL actually used.
    ``count`` is the number of records ``records(body)`` gave for this page, ``number`` the
    1-based page number within this :func:`paginate` call, ``base_url`` the client's API root.
    """

    number: int
    url: str
    params: dict[str, Any]
    response: httpx.Response
    body: Any
    count: int
    base_url: str


@runtime_checkable
class Paginator(Protocol):
    """The two questions :func:`paginate` asks. One instance per :func:`paginate` call.

    Optionally a paginator may define ``describe(url, params) -> str``, a short label of the
    cursor of a request (``"page token 2YgYW55…"``), used in the loop-detection message.
    """

    def first(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        """The first request: a URL override (None: the ``url`` given to paginate) and the
        query parameters, usually ``params`` plus a page size."""
        ...

    def next(self, page: Page) -> tuple[str, dict[str, Any]] | None:
        """The request after ``page`` as ``(url, params)``, or None when ``page`` was the
        last one."""
        ...


def dig(body: Any, path: str) -> Any:
    """The value at a dotted ``path`` in a JSON body (``"pagination.nextToken"``), or None
    when any step is missing or not an object."""
    value = body
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _prefix(value: str, size: int = 12) -> str:
    return value if len(value) <= size else value[:size] + "…"


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal():
        return int(value.strip())
    return None


class NextTokenPaginator:
    """Token paging: the body carries the next page's token; the next request sends it.

    ``token_path`` is the dotted path of the token in the body (Amazon Orders 2026-01-01:
    ``"pagination.nextToken"``; Orders v0: ``"payload.NextToken"``), ``param`` the query
    parameter it goes back in (``"paginationToken"``; v0: ``"NextToken"``). With
    ``keep_params`` (the default) the next request re-sends the first request's parameters
    plus the token, as Amazon requires; without it the token is sent alone. Paging stops
    when the body has no token (or an empty one).
    """

    def __init__(
        self,
        token_path: str = "pagination.nextToken",  # noqa: S107 - a JSON path, not a secret
        param: str = "paginationToken",
        *,
        keep_params: bool = True,
    ) -> None:
        self.token_path = token_path
        self.param = param
        self.keep_params = keep_params
        self._params: dict[str, Any] = {}

    def first(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        self._params = dict(params)
        return None, dict(params)

    def next(self, page: Page) -> tuple[str, dict[str, Any]] | None:
        token = dig(page.body, self.token_path)
        if token is None or token == "":
            return None
        params = dict(self._params) if self.keep_params else {}
        params[self.param] = str(token)
        return page.url, params

    def describe(self, url: str, params: Mapping[str, Any]) -> str:
        token = params.get(self.param)
        return f"page token {_prefix(str(token))}" if token else "first page"


class OffsetPaginator:
    """Offset/limit paging (eBay ``getOrders``: ``limit`` ≤ 200, ``offset``, ``total``).

    The first request sends ``limit`` and ``offset`` (``start`` unless ``params`` already has
    one). The offset then moves by the number of records actually received, so a channel
    that caps the page size below ``limit`` is still read completely. Paging stops on an
    empty page, or when ``offset + count >= total`` if the body carries ``total_path``
    (None: no total), or, without a total, on a page shorter than ``limit``.
    """

    def __init__(
        self,
        limit: int = 200,
        limit_param: str = "limit",
        offset_param: str = "offset",
        total_path: str | None = "total",
        *,
        start: int = 0,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.limit_param = limit_param
        self.offset_param = offset_param
        self.total_path = total_path
        self.start = start

    def first(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        first = dict(params)
        first.setdefault(self.limit_param, self.limit)
        first.setdefault(self.offset_param, self.start)
        return None, first

    def next(self, page: Page) -> tuple[str, dict[str, Any]] | None:
        if page.count == 0:
            return None
        offset = (_as_int(page.params.get(self.offset_param)) or 0) + page.count
        total = _as_int(dig(page.body, self.total_path)) if self.total_path else None
        if total is not None:
            if offset >= total:
                return None
        else:
            limit = _as_int(page.params.get(self.limit_param)) or self.limit
            if page.count < limit:
                return None
        return page.url, {**page.params, self.offset_param: offset}

    def describe(self, url: str, params: Mapping[str, Any]) -> str:
        return f"offset {params.get(self.offset_param)}"


class PageNumberPaginator:
    """Page-number paging (WooCommerce: ``page`` from 1, ``per_page`` ≤ 100,
    ``X-WP-TotalPages`` header).

    Stops on an empty page; otherwise when the page number reaches the total from the
    ``total_pages_header`` response header, or, when that header is absent (or
    ``total_pages_header`` is None), on a page shorter than ``per_page``. ``per_page=None``
    sends no page size (the channel's default) and then only an empty page or the header
    ends paging. Sort the request by a stable key: records that move between pages while
    paging are otherwise skipped or repeated (the overlap re-read catches skipped ones).
    """

    def __init__(
        self,
        page_param: str = "page",
        per_page_param: str = "per_page",
        per_page: int | None = 100,
        total_pages_header: str | None = "X-WP-TotalPages",
        *,
        start: int = 1,
    ) -> None:
        self.page_param = page_param
        self.per_page_param = per_page_param
        self.per_page = per_page
        self.total_pages_header = total_pages_header
        self.start = start

    def first(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        first = dict(params)
        first[self.page_param] = self.start
        if self.per_page is not None:
            first[self.per_page_param] = self.per_page
        return None, first

    def next(self, page: Page) -> tuple[str, dict[str, Any]] | None:
        if page.count == 0:
            return None
        current = _as_int(page.params.get(self.page_param))
        if current is None:
            current = self.start
        total_pages = None
        if self.total_pages_header:
            total_pages = _as_int(page.response.headers.get(self.total_pages_header))
        if total_pages is not None:
            if current >= total_pages:
                return None
        elif self.per_page is not None and page.count < self.per_page:
            return None
        return page.url, {**page.params, self.page_param: current + 1}

    def describe(self, url: str, params: Mapping[str, Any]) -> str:
        return f"page number {params.get(self.page_param)}"


class LinkHeaderPaginator:
    """RFC 8288 ``Link`` header paging (Shopify REST, WordPress/WooCommerce).

    The next request goes to the ``rel="next"`` URL exactly as given and with no other
    parameters (Shopify refuses filters next to ``page_info``). Paging stops when the
    response has no such link.
    """

    def __init__(self, rel: str = "next") -> None:
        self.rel = rel

    def first(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        return None, dict(params)

    def next(self, page: Page) -> tuple[str, dict[str, Any]] | None:
        link = page.response.links.get(self.rel)
        target = link.get("url") if link else None
        if not target:
            return None
        # A relative link is relative to the page it came with (RFC 8288 §3.2).
        return str(page.response.request.url.join(target)), {}

    def describe(self, url: str, params: Mapping[str, Any]) -> str:
        return f'"{self.rel}" link'


class NextUrlPaginator:
    """Next-URL paging: the body carries the next page's URL (eBay's ``next``).

    The URL is used as given, with no other parameters. It may be absolute, or a path:
    eBay documents ``/order?limit=10&offset=40`` (relative to the API root,
    ``…/sell/fulfillment/v1``) while live answers carry the full path
    ``/sell/fulfillment/v1/order?…``. A path that already starts with the API root's path is
    taken from the host root, any other path from the API root. A path without a leading
    slash is relative to the API root. Paging stops when the body has no next URL.
    """

    def __init__(self, next_path: str = "next") -> None:
        self.next_path = next_path

    def first(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        return None, dict(params)

    def next(self, page: Page) -> tuple[str, dict[str, Any]] | None:
        target = dig(page.body, self.next_path)
        if not isinstance(target, str) or not target.strip():
            return None
        return self.resolve(target.strip(), page.base_url), {}

    @staticmethod
    def resolve(target: str, base_url: str) -> str:
        """The absolute URL of a next link ``target`` served by the API at ``base_url``."""
        if urlsplit(target).scheme:
            return target
        root = httpx.URL(base_url if base_url.endswith("/") else base_url + "/")
        origin = f"{root.scheme}://{root.netloc.decode('ascii')}"
        root_path = root.path.rstrip("/")
        if target.startswith("/"):
            path = urlsplit(target).path
            if root_path and not (path == root_path or path.startswith(root_path + "/")):
                return origin + root_path + target
            return origin + target
        return str(root.join(target))

    def describe(self, url: str, params: Mapping[str, Any]) -> str:
        return "next URL"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


class RawQueryPaginator:
    """Pages of ``path?<render(params)>``, where ``params`` are what ``inner`` (a paginator
    that keeps the URL and moves parameters, such as an offset or page-number one) asks
    for. ``describe`` tells the page by the inner paginator's words.

    For channels that want the query string exactly as written: httpx encodes parameters
    by its own rules (a ``:`` becomes ``%3A``), eBay wants
    ``filter=lastmodifieddate:%5B…%5D`` (brackets encoded, colons not). ``render`` writes
    the inner paginator's parameters into the URL by hand, so :func:`paginate` and
    :func:`~orderhub.sdk.read_window` send nothing httpx could re-encode::

        paginator=lambda: RawQueryPaginator(
            OffsetPaginator(limit=200), "order",
            lambda params: orders_query(window.start, window.end, **params),
        )
    """

    def __init__(
        self, inner: Paginator, path: str, render: Callable[[dict[str, Any]], str]
    ) -> None:
        self.inner = inner
        self.path = path
        self.render = render
        self._params: dict[str, Any] = {}

    def _at(self, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self._params = dict(params)
        return f"{self.path}?{self.render(self._params)}", {}

    def first(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        return self._at(self.inner.first(dict(params))[1])

    def next(self, page: Page) -> tuple[str, dict[str, Any]] | None:
        following = self.inner.next(replace(page, url=self.path, params=self._params))
        return None if following is None else self._at(following[1])

    def describe(self, url: str, params: Mapping[str, Any]) -> str:
        describe = getattr(self.inner, "describe", None)
        return str(describe(url, self._params)) if callable(describe) else url


def paginate(
    http: HttpClient,
    operation: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    paginator: Paginator,
    records: Callable[[Any], Iterable[dict[str, Any]]],
    headers: Mapping[str, str] | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
    allow_other_hosts: bool = False,
    on_page: Callable[[Page], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield every record of every page of a list endpoint, fetching pages lazily.

    Each page is fetched with ``http.get_json(operation, ...)`` (so it is rate-limited,
    retried and logged) only once the consumer has taken every record of the previous page;
    ``http.stats.pages`` counts the pages fetched. ``records(body)`` extracts a page's
    records. ``paginator`` decides the first and the following requests. ``on_page`` is
    called with each page as soon as it is fetched, before its records are yielded (progress
    reports: :func:`~orderhub.sdk.windows.read_window` uses it).

    Raises :class:`~orderhub.sdk.errors.PaginationLoopError` when a request would repeat one
    already made in this call (the channel served the same token, URL or page twice) or
    when more than ``max_pages`` pages come; :class:`~orderhub.sdk.errors.RejectedError`
    when a next-page URL points to another host than the page it came from (credentials
    would go with it; ``allow_other_hosts=True`` lifts this); and whatever
    :meth:`HttpClient.get_json` raises.
    """
    return _pages(
        http,
        operation,
        url,
        params=dict(params or {}),
        paginator=paginator,
        records=records,
        headers=headers,
        max_pages=max_pages,
        allow_other_hosts=allow_other_hosts,
        on_page=on_page,
    )


def _pages(
    http: HttpClient,
    operation: str,
    url: str,
    *,
    params: dict[str, Any],
    paginator: Paginator,
    records: Callable[[Any], Iterable[dict[str, Any]]],
    headers: Mapping[str, str] | None,
    max_pages: int,
    allow_other_hosts: bool,
    on_page: Callable[[Page], None] | None,
) -> Iterator[dict[str, Any]]:
    describe: Callable[[str, Mapping[str, Any]], str] | None = getattr(paginator, "describe", None)
    override, current_params = paginator.first(dict(params))
    current_url = override if override is not None else url
    seen: dict[str, int] = {}
    previous: httpx.URL | None = None
    number = 0
    while True:
        number += 1
        if number > max_pages:
            raise PaginationLoopError(
                f"{operation}: more than {max_pages} pages; stopping (paging may never end)"
            )
        resolved = http.resolve_url(current_url, current_params)
        if (
            previous is not None
            and not allow_other_hosts
            and _origin(resolved) != _origin(previous)
        ):
            raise RejectedError(
                f"{operation}: the next page of page {number - 1} is on another host "
                f"({resolved.host}); not following it with this account's credentials",
                fix="Report this to the connector's maintainers.",
            )
        key = str(resolved)
        if key in seen:
            label = describe(current_url, current_params) if describe else "next-page request"
            label = scrub(label, http.secrets)
            raise PaginationLoopError(
                f"{operation}: the channel sent the same {label} again (page {number} repeats "
                f"page {seen[key]}); stopping instead of paging forever"
            )
        seen[key] = number
        response, body = http.get_json_response(
            operation, current_url, params=current_params, headers=headers
        )
        http.count_page()
        page_records = list(records(body))
        page = Page(
            number=number,
            url=current_url,
            params=current_params,
            response=response,
            body=body,
            count=len(page_records),
            base_url=http.base_url,
        )
        if on_page is not None:
            on_page(page)
        yield from page_records
        following = paginator.next(page)
        if following is None:
            return
        previous = resolved
        current_url, current_params = following
