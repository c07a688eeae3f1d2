"""Reading one sync window through a page-numbered or offset list endpoint, robustly.

Offset and page-number paging shift under you: when an order inside the window is modified
while the window is paged, it leaves the window's filter and every later order moves one
place forward, so one order would be skipped. :func:`read_window` watches the total the
channel announces on every page (a header such as WooCommerce's ``X-WP-Total`` or a body
field such as eBay's ``total``) and, when it changed, reads the window again (upserts make
the second read free of duplicates), at most ``max_reads`` times before it gives up with a
:class:`TransientError` (the next run reads the window again).

Page numbers and offsets leave nothing for :func:`paginate`'s loop detection to see (every
request asks for a new page), so the reader also watches the answers: a page that lists
exactly the records of an earlier page (a cache or proxy that ignores the page parameter)
stops the read with :class:`PaginationLoopError` instead of reporting the same records
while the others are missed.

A connector's ``fetch_orders`` is then one call::

    yield from read_window(
        self.http, "list_orders", "orders", params=params,
        paginator=lambda: PageNumberPaginator(per_page=100),
        records="",                       # the body is the list
        total_header="X-WP-Total",
        log=self.log,
    )
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from orderhub.sdk.errors import PaginationLoopError, TransientError
from orderhub.sdk.http import HttpClient
from orderhub.sdk.paginate import Page, Paginator, dig, paginate
from orderhub.sdk.progress import ListingProgress, as_total

__all__ = ["DEFAULT_MAX_READS", "read_window", "records_at"]

#: How many times a window is read before the reader gives up on a stable total.
DEFAULT_MAX_READS = 3

_LOOP_FIX = (
    "Check for a page cache, CDN or proxy between orderhub and the channel that ignores the "
    "page or offset parameter, and exclude the API from it."
)


def records_at(
    path: str, operation: str, *, missing_is_empty: bool = True
) -> Callable[[Any], list[dict[str, Any]]]:
    """A ``records`` function for :func:`paginate`: the list at dotted ``path`` of the body
    (``""``: the body itself is the list), like singer-sdk's ``records_jsonpath``.

    A body that is not what the path expects (not an object, or not a list where the list
    should be) raises :class:`TransientError` naming ``operation``: it is a proxy's error
    page or a truncated answer more often than a real change of the API. A path missing
    from an object is an empty page (eBay leaves the array out of an empty page), or a
    TransientError with ``missing_is_empty=False``. Items that are not objects are left
    out (``to_order`` could not read them).
    """

    def records(body: Any) -> list[dict[str, Any]]:
        if not path:
            found = body
        elif not isinstance(body, Mapping):
            raise TransientError(f"{operation} did not answer with a JSON object")
        else:
            found = dig(body, path)
            if found is None and missing_is_empty:
                return []
        if not isinstance(found, list):
            where = f"an {path!r} field that is not a list" if path else "something not a list"
            raise TransientError(f"{operation} answered with {where}")
        return [item for item in found if isinstance(item, dict)]

    return records


class _Watcher:
    """Wraps one paginator: keeps each page's announced total and refuses a page that
    repeats the records of an earlier one."""

    def __init__(
        self,
        inner: Paginator,
        *,
        operation: str,
        total_header: str | None,
        total_path: str | None,
        record_id: Callable[[dict[str, Any]], Any],
        records: Callable[[Any], Iterable[dict[str, Any]]],
        before_page: Callable[[], None] | None,
        loop_fix: str,
        label: str,
    ) -> None:
        self.inner = inner
        self.operation = operation
        self.total_header = total_header
        self.total_path = total_path
        self.record_id = record_id
        self.records = records
        self.before_page = before_page
        self.loop_fix = loop_fix
        self.label = label
        self.totals: list[str] = []
        # A digest of each page's ids, not the ids: a long window has many pages.
        self._served: dict[bytes, int] = {}
        describe = getattr(inner, "describe", None)
        if describe is not None:
            self.describe = describe

    def first(self, params: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
        if self.before_page is not None:
            self.before_page()
        return self.inner.first(params)

    def announced(self, page: Page) -> str | None:
        """The total this page announces, as text (None: no total is watched)."""
        if self.total_header is not None:
            return str(page.response.headers.get(self.total_header, ""))
        if self.total_path is not None:
            return str(dig(page.body, self.total_path))
        return None

    def next(self, page: Page) -> tuple[str, dict[str, Any]] | None:
        announced = self.announced(page)
        if announced is not None:
            self.totals.append(announced)
        ids = tuple(str(self.record_id(item)) for item in self.records(page.body))
        if ids:
            digest = hashlib.blake2b(repr(ids).encode(), digest_size=16).digest()
            earlier = self._served.setdefault(digest, page.number)
            if earlier != page.number:
                raise PaginationLoopError(
                    f"{self.label}{self.operation}: page {page.number} lists the same records "
                    f"as page {earlier}; the other records of the window cannot be reached",
                    fix=self.loop_fix,
                )
        following = self.inner.next(page)
        if following is not None and self.before_page is not None:
            self.before_page()
        return following

    @property
    def stable(self) -> bool:
        return len(set(self.totals)) <= 1


def read_window(
    http: HttpClient,
    operation: str,
    url: str,
    *,
    paginator: Callable[[], Paginator],
    records: str | Callable[[Any], Iterable[dict[str, Any]]],
    params: Mapping[str, Any] | None = None,
    total_header: str | None = None,
    total_path: str | None = None,
    record_id: str | Callable[[dict[str, Any]], Any] = "id",
    max_reads: int = DEFAULT_MAX_READS,
    before_page: Callable[[], None] | None = None,
    log: Any = None,
    label: str = "",
    loop_fix: str = _LOOP_FIX,
    headers: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield every record of one window, reading it again while its total moves.

    ``paginator`` builds a fresh paginator for each read. ``records`` is a dotted path to
    the page's list (see :func:`records_at`) or a function of the body. The total is read
    from ``total_header`` or ``total_path`` (neither: no re-reads, only the repeated-page
    check). ``record_id`` (a key, or a function of a record) identifies records for the
    repeated-page check. ``before_page`` runs before every request (a daily quota check).
    ``log`` gets a ``sync.window_reread`` event (one stable name for every channel; the
    bound logger carries the account and channel) with the first totals whenever a window
    is read again.
    After every page the client hears how far the listing has got
    (:meth:`HttpClient.report_listing`: records read, the announced total), so a progress
    display can show ``180/412`` with no code in the connector.
    ``label`` prefixes error messages (``"eBay account x: "``); ``loop_fix`` is the fix of
    the repeated-page error.

    Raises :class:`TransientError` after ``max_reads`` reads without a stable total,
    :class:`PaginationLoopError` on a repeated page, and whatever :func:`paginate` raises.
    """
    extract = records_at(records, operation) if isinstance(records, str) else records
    ident = (lambda item: item.get(record_id)) if isinstance(record_id, str) else record_id
    listing = http.next_listing()
    for attempt in range(max_reads):
        watcher = _Watcher(
            paginator(),
            operation=operation,
            total_header=total_header,
            total_path=total_path,
            record_id=ident,
            records=extract,
            before_page=before_page,
            loop_fix=loop_fix,
            label=label,
        )
        yield from paginate(
            http,
            operation,
            url,
            params=params,
            paginator=watcher,
            records=extract,
            headers=headers,
            on_page=_reporter(http, watcher, operation, listing, attempt),
        )
        if watcher.stable:
            return
        if log is not None:
            log.info("sync.window_reread", totals=watcher.totals[:5])
    raise TransientError(
        f"{label}records kept changing while being paged; the window was read "
        f"{max_reads} times without a stable total",
        fix="Nothing to do: the next run reads the window again.",
    )


def _reporter(
    http: HttpClient, watcher: _Watcher, operation: str, listing: int, reread: int
) -> Callable[[Page], None]:
    """An ``on_page`` for :func:`paginate` that reports one read of a listing."""
    read = 0

    def report(page: Page) -> None:
        nonlocal read
        read += page.count
        announced = watcher.announced(page)
        http.report_listing(
            ListingProgress(
                listing=listing,
                operation=operation,
                read=read,
                total=as_total(announced) if announced is not None else None,
                reread=reread,
            )
        )

    return report
