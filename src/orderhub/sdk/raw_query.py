"""Paging where the query string must reach the channel exactly as written.

httpx encodes query parameters by its own rules (a ``:`` becomes ``%3A``); some channels
want a parameter spelt their way instead (eBay's ``filter=lastmodifieddate:%5B…%5D``, with
the brackets encoded and the colons not). :class:`RawQueryPaginator` wraps any paginator:
the inner one decides the parameters of each page as usual, and ``render`` writes them
into the URL by hand, so :func:`~orderhub.sdk.paginate` and
:func:`~orderhub.sdk.read_window` send nothing httpx could re-encode::

    paginator=lambda: RawQueryPaginator(
        OffsetPaginator(limit=200), "order",
        lambda params: orders_query(window.start, window.end, **params),
    )
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from orderhub.sdk.paginate import Page, Paginator

__all__ = ["RawQueryPaginator"]


class RawQueryPaginator:
    """Pages of ``path?<render(params)>``, where ``params`` are what ``inner`` (a paginator
    that keeps the URL and moves parameters, such as an offset or page-number one) asks
    for. ``describe`` tells the page by the inner paginator's words."""

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
