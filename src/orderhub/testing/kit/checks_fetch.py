"""The fetch group: every page, only the window (edges included, filtered on the
last-modified time), repeated pages caught, empty windows empty."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderhub.sdk.connector import SyncWindow
from orderhub.sdk.errors import PaginationLoopError
from orderhub.testing.kit.base import (
    ConformanceBase,
    _fail,
)
from orderhub.testing.kit.harness import Harness

__all__ = ["FetchChecks"]


class FetchChecks(ConformanceBase):
    __test__ = False

    # -- fetch -------------------------------------------------------------------------------

    def test_fetch_reads_every_page(self, conformance: Harness) -> None:
        """All orders of a window spanning several pages come back, each once."""
        window, ids = self._add_recent(conformance, self._multi_page_count(conformance))
        got = conformance.fetch_ids(window)
        missing = set(ids) - set(got)
        assert not missing, (
            f"{len(missing)} of {len(ids)} orders were not fetched (e.g. {sorted(missing)[:3]}): "
            "every page must be read"
        )
        doubled = sorted({i for i in got if got.count(i) > 1})
        assert not doubled, f"orders fetched twice (pages overlap): {doubled[:5]}"
        pages = len(conformance.list_requests())
        assert pages >= 3, (
            f"{len(ids)} orders came in {pages} list request(s); page_size_hint "
            f"({conformance.page_size}) must be the page size the simulator serves"
        )

    def test_fetch_sends_the_window_to_the_api(self, conformance: Harness) -> None:
        """Only orders modified inside the window come back, filtered by the channel."""
        page = conformance.page_size
        window = conformance.window(timedelta(days=2), timedelta(days=1))
        inside = conformance.add_orders(
            max(3, page // 2), window.start + timedelta(hours=1), window.end - timedelta(hours=1)
        )
        now = conformance.now
        before = conformance.add_orders(3 * page, now - timedelta(days=4), now - timedelta(days=3))
        after = conformance.add_orders(page, now - timedelta(hours=20), now - timedelta(hours=1))
        got = conformance.fetch_ids(window)
        outside = set(got) & (set(before) | set(after))
        assert not outside, (
            f"fetch_orders returned {len(outside)} orders modified outside the window: send "
            "window.start and window.end to the API as its modified-since/until filter"
        )
        assert set(got) == set(inside), (
            f"{len(set(inside) - set(got))} orders modified inside the window were not fetched"
        )
        total_pages = -(-(len(inside) + len(before) + len(after)) // page)
        requests = len(conformance.list_requests())
        assert requests < total_pages, (
            f"{requests} list requests for {len(inside)} orders in the window: the connector "
            "seems to page through every order and filter locally; let the API filter "
            f"(page_size_hint is {page})"
        )

    def test_fetch_detects_a_repeated_page(self, conformance: Harness) -> None:
        """A channel serving a page token (link, page) twice ends in PaginationLoopError."""
        hook = type(self).repeat_next_page
        if hook is None:
            pytest.skip("the test class sets repeat_next_page = None")
        window, _ids = self._add_recent(conformance, self._multi_page_count(conformance))
        if hook is ConformanceBase.repeat_next_page:
            conformance.transport.replay_next_page(self.list_path)
        else:
            self.repeat_next_page(conformance.api)
        connector = conformance.connector()
        try:
            records = conformance.fetch(window, connector, limit=50)
        except PaginationLoopError:
            return
        if conformance.transport.replayed == 0 and hook is ConformanceBase.repeat_next_page:
            _fail(
                "no second page was requested, so no page could be repeated: check "
                "page_size_hint and list_path, or override repeat_next_page"
            )
        _fail(
            f"the channel served a page again (same next-page token or link) and fetch_orders "
            f"went on without noticing ({len(records)} records, some twice): page with "
            "orderhub.sdk.paginate, which raises PaginationLoopError on a repeated request, "
            "or compare each page with the ones before"
        )

    def test_fetch_empty_window_yields_nothing(self, conformance: Harness) -> None:
        """A window without orders yields no record (and does not fail)."""
        now = conformance.now
        conformance.add_orders(3, now - timedelta(days=4), now - timedelta(days=3))
        conformance.add_orders(3, now - timedelta(hours=20), now - timedelta(hours=2))
        window = conformance.window(timedelta(days=2), timedelta(days=1))
        got = conformance.fetch(window)
        assert got == [], f"fetch_orders yielded {len(got)} record(s) for an empty window"

    def test_fetch_reads_orders_exactly_at_the_window_edges(self, conformance: Harness) -> None:
        """An order modified exactly at ``window.start`` comes with that window, and one
        modified exactly at ``window.end`` with that window or the next: windows meet, so
        an order on an edge is never lost between two runs."""
        window = conformance.window(timedelta(days=2), timedelta(days=1))
        start, end = window.start.replace(microsecond=0), window.end.replace(microsecond=0)
        window = SyncWindow(start=start, end=end)
        [at_start] = conformance.add_orders(1, start, start)
        [at_end] = conformance.add_orders(1, end, end)
        first = conformance.fetch_ids(window)
        following = conformance.fetch_ids(SyncWindow(start=end, end=end + timedelta(hours=1)))
        assert at_start in first, (
            "an order modified exactly at window.start was not fetched: the window's start "
            "is inclusive (send it as modified-since; when the channel compares strictly, "
            "start a second early)"
        )
        assert at_end in first or at_end in following, (
            "an order modified exactly at window.end came neither with that window nor with "
            "the next one starting there: windows are half-open [start, end) and meet, so an "
            "order on the edge must come with one of them"
        )

    def test_fetch_reads_an_order_created_long_before_the_window(
        self, conformance: Harness
    ) -> None:
        """An order created weeks before the window and changed inside it comes back: the
        window filters on last-modified time, never on creation time (nor on a creation
        window the API applies by default)."""
        now = conformance.now
        created = now - timedelta(days=25)
        [old] = conformance.add_orders(1, created, created + timedelta(hours=1))
        self.change_order(conformance.api, old)
        conformance.clock.advance(timedelta(hours=2).total_seconds())
        window = conformance.window(timedelta(hours=3), timedelta(hours=1))
        got = conformance.fetch_ids(window)
        assert old in got, (
            "an order created 25 days before the window and changed inside it was not "
            "fetched: filter on the last-modified time (and send a creation bound wide "
            "enough, or none, when the API applies a default creation window)"
        )
