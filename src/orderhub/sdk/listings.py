"""A channel's list endpoints, declared once and read with one call.

Most connectors read two or three list endpoints (orders, products, a product's variants)
with the same paginator, records path and fixed query each time. A :class:`Listing` holds
those parts, like a singer-sdk stream's ``path``, ``records_jsonpath`` and paginator:
:meth:`Listing.window` reads one sync window robustly (:func:`~orderhub.sdk.windows.read_window`:
stable-total re-reads, repeated-page detection) and :meth:`Listing.all` reads every record
once (:func:`~orderhub.sdk.paginate.paginate`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from orderhub.sdk.http import HttpClient
from orderhub.sdk.paginate import Paginator, paginate
from orderhub.sdk.windows import _LOOP_FIX, read_window, records_at

__all__ = ["Listing"]


@dataclass(frozen=True)
class Listing:
    """One list endpoint: ``operation`` (the rate-limit and log name), ``url`` (relative to
    the API root), a ``paginator`` factory (a fresh paginator for every read), the
    ``records`` path of a page's list (``""``: the body is the list) and ``params`` sent with
    every read. ``total_header`` / ``total_path`` say where the channel announces the
    listing's total (for :meth:`window`'s re-reads); ``loop_fix`` is the fix of its
    repeated-page error (by default the SDK's generic one).
    """

    operation: str
    url: str
    paginator: Callable[[], Paginator]
    records: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    total_header: str | None = None
    total_path: str | None = None
    loop_fix: str = _LOOP_FIX

    def window(
        self, http: HttpClient, params: Mapping[str, Any], *, log: Any = None
    ) -> Iterator[dict[str, Any]]:
        """Every record of one sync window, ``params`` (the window's filter) added to the
        listing's own; see :func:`~orderhub.sdk.windows.read_window` for the re-reads and
        what it raises. ``log`` gets the re-read events (pass the connector's ``self.log``).
        """
        return read_window(
            http,
            self.operation,
            self.url,
            params={**self.params, **params},
            paginator=self.paginator,
            records=self.records,
            total_header=self.total_header,
            total_path=self.total_path,
            log=log,
            loop_fix=self.loop_fix,
        )

    def all(
        self, http: HttpClient, params: Mapping[str, Any] | None = None, *, url: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every record of the listing, read once (no window: a catalog, a sub-listing),
        from ``url`` instead of the listing's own when given (``products/12/variations``).
        Raises what :func:`~orderhub.sdk.paginate.paginate` raises."""
        return paginate(
            http,
            self.operation,
            url or self.url,
            params={**self.params, **(params or {})},
            paginator=self.paginator(),
            records=records_at(self.records, self.operation),
        )
