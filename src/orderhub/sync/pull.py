"""The pull runner: one run reads one account's changed orders into the store.

Crash safety comes from the order of operations, not from cleanup code: each page of drafts
is committed in one transaction together with the cursor it justifies, so a process killed
at any instant leaves the cursor at or before the last committed data, and the next run
re-reads from there (idempotent upserts absorb the overlap). When the connector yields
records sorted by last-modified time the cursor moves after every page; otherwise it moves
only when a whole window chunk has been read. A chunk that does not fill a page goes on into
the next chunk's page (unless a long token wait comes first), so a backfill of a quiet shop
commits once, not once per chunk.

A page the store refuses is written record by record and only the records it refuses alone
are quarantined, but only for errors a record's values can cause; a store that fails (locked,
full, unreachable, a column missing) or refuses every order of a page alike fails the run with
the cursor where it was, so a fault of ours never hides good orders in quarantine
(:meth:`PullRunner._write_one_by_one`).

On PostgreSQL a page is written behind the run: its transaction runs in a thread of the
run's own while the run reads and normalises the next page, because the server does its
part of a write in its own process and the run's thread would only wait for it. One page
is in flight at most, and the next is handed over only when it has committed, so pages
and their cursors still commit in order; every way out of a run waits for the page in
flight first (:meth:`PullRunner._drain`), and a write that failed fails the run as it
would have had it been written in line. While a page is in flight the run hands the
interpreter to the writer between two records, at most every 100 us
(:func:`_let_the_writer_run`), so the writer is not kept waiting for it after each of the
server's answers. SQLite runs its writes in the calling process, holding the interpreter,
so there the pages are written in line.
"""

from __future__ import annotations

import contextvars
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from orderhub.matching import MatchingConfig
from orderhub.sdk.clock import Interrupted
from orderhub.sdk.connector import Connector, SyncWindow
from orderhub.sdk.drafts import validate_order
from orderhub.sdk.errors import AuthError, ConnectorError, MalformedRecordError
from orderhub.sdk.progress import ListingProgress
from orderhub.store import runs
from orderhub.store.db import replayable
from orderhub.store.ingest import (
    CursorMove,
    IncomingOrder,
    IncomingQuarantine,
    IngestCounts,
    canonical_json,
    held_as_is,
    read_cursor,
)
from orderhub.store.limits import storable_text, store_problems
from orderhub.sync.page import write_page
from orderhub.sync.window import chunks, plan_window

ORDERS_STREAM = "orders"
_REASON_LIMIT = 500
_ID_LIMIT = 128

# What a value can make Python, a driver or our own write path raise: the drivers'
# conversions (an integer too large for SQLite, text that is not UTF-8, an amount beyond
# numeric's range).
_VALUE_ERRORS = (ValueError, TypeError, OverflowError, ArithmeticError)
# What writing a page can raise: the database's errors and the value errors. Only some of
# them can be a record's fault (see :func:`_record_can_cause`).
_WRITE_ERRORS = (SQLAlchemyError, *_VALUE_ERRORS)

_STORE_FIX = (
    "The store could not take the page (unreachable, locked, full, read-only, or its "
    "schema not what this orderhub expects): nothing of the page was written and the "
    "cursor did not move. Check `orderhub health`, the disk and the database's own log; "
    "the next run reads the page again."
)
_REFUSED_WHOLE_FIX = (
    "The store refused every order of the page for one reason, so the cause is in orderhub "
    "or the store's schema, not in the orders: nothing of the page was written, nothing was "
    "quarantined and the cursor did not move. Check that `orderhub db upgrade` has run "
    "(`orderhub health`), then report this line; the next run reads the page again."
)


class _RunFailed(Exception):
    """A page the run cannot write and must not skip (the store failed, or refused the
    whole page): the run fails with ``error_kind`` and the cursor stays where it was.
    The event saying why is logged where it is raised."""

    def __init__(self, kind: str, error: str, fix: str) -> None:
        super().__init__(error)
        self.kind = kind
        self.error = error
        self.fix = fix


@dataclass(frozen=True)
class _Refusal:
    """An order the database refused when written alone."""

    item: IncomingOrder
    #: the error's class (the driver's own, e.g. ``StringDataRightTruncation``)
    kind: str
    reason: str


@dataclass
class PullResult:
    """What one run did; mirrors its ``sync_runs`` row."""

    run_id: int | None
    account_id: str
    outcome: str  # succeeded | failed | interrupted | skipped | waiting
    window: SyncWindow | None = None
    fetched: int = 0
    pages: int = 0
    counts: IngestCounts = field(default_factory=IngestCounts)
    error_kind: str | None = None
    error: str | None = None
    fix: str | None = None
    #: lines of this run's orders that matched no catalog SKU (their orders await mapping)
    unresolved_lines: int = 0
    #: The window chunk being read (1-based) and how many the run has. A long window is
    #: read in chunks of the connector's ``max_window``, and a channel's total counts one
    #: listing of one chunk, so the progress speaks per chunk.
    window_number: int = 0
    window_count: int = 0
    #: Records the channel has sent for this chunk, and the total it announced for it (the
    #: sum over the chunk's listings; None while any listing announced none).
    window_read: int = 0
    window_total: int | None = None
    #: A ``waiting`` run: seconds until its token bucket allows the next request, and its
    #: state, for :meth:`PullRunner.resume`.
    resume_in: float | None = None
    parked: ParkedPull | None = field(default=None, repr=False)
    #: Pages in a row whose look-up for records already held as they are found none
    #: (:meth:`PullRunner._held`).
    pages_without_held: int = field(default=0, repr=False)

    @property
    def ok(self) -> bool:
        return self.outcome in ("succeeded", "skipped")


@dataclass(eq=False)
class ParkedPull:
    """A run between two of its steps: where it is in its window, and the channel's
    records paused at the next one. Held by the worker while the run ``waiting``, with no
    thread (the records' generator resumes in whichever thread runs it next)."""

    run_id: int
    result: PullResult
    log: Any
    before: tuple[int, int, int, int]
    chunks: Iterator[SyncWindow]
    chunk: SyncWindow | None = None
    pending_chunk: SyncWindow | None = None
    records: Iterator[dict[str, Any]] | None = None
    batch: list[dict[str, Any]] = field(default_factory=list)
    #: A page was committed since the cursor last moved: the chunk being read is not
    #: carried on into the next one, so the cursor moves at least once per page of data.
    paged: bool = False
    #: The end of the last chunk read whole whose records are carried, uncommitted: the
    #: cursor the next commit may move to, and the one a failing run saves its reading at.
    carried_end: datetime | None = None
    listings: dict[int, ListingProgress] = field(default_factory=dict)

    def close(self) -> None:
        """Let the channel's generator run its cleanup (a paused listing)."""
        records, self.records = self.records, None
        close = getattr(records, "close", None)
        if close is not None:
            with suppress(Exception):
                close()


@dataclass(frozen=True, slots=True)
class _Page:
    """A page ready to write: what :meth:`PullRunner._commit` made of a batch."""

    orders: list[IncomingOrder]
    quarantined: list[IncomingQuarantine]
    cursor: datetime | None
    #: Records of the batch held as they are (counted unchanged once the page commits).
    held: int

    def external_ids(self) -> frozenset[str]:
        """Its orders' ids. While the page is in flight the next page's look-up for
        records already held leaves them out: the store may not hold these versions yet."""
        return frozenset(item.draft.external_id for item in self.orders)


@dataclass(frozen=True, slots=True)
class _InFlight:
    """A page handed to the run's writer thread, not known to have committed yet."""

    page: _Page
    future: Future[IngestCounts]


class PullRunner:
    """Runs pulls for one account. Not thread-safe: the worker runs one at a time per account.

    ``stop`` is checked between pages; when it is set the run ends as ``interrupted`` after
    the page in hand is committed (or, if waiting on the clock, without it). ``progress``
    is called with the running result whenever it moves: a window chunk begun, a page of
    the channel received (with the total it announced, see
    :class:`~orderhub.sdk.progress.ListingProgress`), a page committed (the CLI's
    progress bar).

    ``park_after`` (seconds; the worker sets it) lets a run give its thread back: when the
    next request would wait longer than that for its token bucket, the run commits the
    page in hand and returns ``waiting`` with :attr:`PullResult.resume_in` and its state;
    :meth:`resume` goes on from the next record. Without it a run sleeps through the wait.
    """

    def __init__(
        self,
        engine: Engine,
        connector: Connector[Any],
        *,
        stop: threading.Event | None = None,
        trigger: str = "schedule",
        progress: Callable[[PullResult], None] | None = None,
        matching: MatchingConfig | None = None,
        park_after: float | None = None,
    ) -> None:
        self.engine = engine
        self.park_after = park_after
        self.progress = progress
        self.matching = matching
        self.connector = connector
        self.stop = stop
        self.trigger = trigger
        self.clock = connector.clock
        self.account_id = connector.account_id
        self.channel = connector.name
        # Set while a run is in progress (see the module's docs): the thread pages are
        # written in on PostgreSQL, the page in flight, and the connection that holds the
        # account's lock (the look-ups for held records read on it: a pull holds two
        # connections at most, the lock's and its write's).
        self._writer: ThreadPoolExecutor | None = None
        self._in_flight: _InFlight | None = None
        self._lock_connection: Connection | None = None

    def run(self, *, since: datetime | None = None) -> PullResult:
        """One pull. With ``park_after`` set, a run whose next request would wait longer
        than that for a token comes back as ``waiting`` (see :meth:`resume`)."""
        with self._account_lock() as acquired:
            if not acquired:
                return self._skipped()
            return self._advance(self._begin(since))

    def resume(self, parked: ParkedPull) -> PullResult:
        """Go on with a run that came back ``waiting``, from the record where it stopped
        (its run row, counters and window are the same run's)."""
        with self._account_lock() as acquired:
            if not acquired:
                # Someone else pulls the account now: this run ends here, nothing lost.
                self.abandon(parked)
                return self._skipped()
            return self._advance(parked)

    def abandon(self, parked: ParkedPull) -> PullResult:
        """End a ``waiting`` run as ``interrupted`` (the worker stops, or another replica
        took the account): its committed pages stay, the next run reads from the cursor."""
        parked.close()
        result = parked.result
        result.outcome = "interrupted"
        stats = self.connector.http.stats
        result.pages = stats.pages - parked.before[3]
        self._finish(parked.run_id, result, stats, parked.before, parked.log)
        return result

    def _skipped(self) -> PullResult:
        structlog.get_logger().info(
            "sync.skipped",
            account=self.account_id,
            channel=self.channel,
            reason="another worker is syncing this account",
        )
        return PullResult(run_id=None, account_id=self.account_id, outcome="skipped")

    def _begin(self, since: datetime | None) -> ParkedPull:
        connector = self.connector
        now = self.clock.now()
        with self.engine.begin() as connection:
            cursor = read_cursor(connection, self.account_id, ORDERS_STREAM)
        window = plan_window(
            now=now,
            cursor=cursor,
            since=since,
            lookback=connector.lookback,
            settle_delay=connector.settle_delay,
            initial_backfill=connector.initial_backfill,
        )
        with replayable(self.engine) as connection:
            # A run still marked "running" was cut off by a crash or a kill. On PostgreSQL the
            # lock above proves no one else is pulling this account. On SQLite (one host)
            # an `orderhub sync` started beside the worker could mark the worker's live run
            # abandoned too early: only its sync_runs row would be wrong, never the data.
            runs.close_abandoned_runs(connection, self.account_id, now=now)
            run_id = runs.start_run(
                connection,
                account_id=self.account_id,
                channel=self.channel,
                stream=ORDERS_STREAM,
                trigger=self.trigger,
                now=now,
                window_start=window.start,
                window_end=window.end,
            )
        result = PullResult(run_id=run_id, account_id=self.account_id, outcome="running")
        result.window = window
        log = structlog.get_logger().bind(
            account=self.account_id, channel=self.channel, run_id=run_id
        )
        stats = connector.http.stats
        log.info(
            "sync.started",
            window_start=window.start.isoformat(),
            window_end=window.end.isoformat(),
            cursor=cursor.isoformat() if cursor else None,
        )
        result.window_count = _chunk_count(window, connector.max_window)
        return ParkedPull(
            run_id=run_id,
            result=result,
            log=log,
            before=(stats.requests, stats.retries, stats.throttled, stats.pages),
            chunks=iter(chunks(window, connector.max_window)),
        )

    def _advance(self, state: ParkedPull) -> PullResult:
        """Read on from where ``state`` is, to the end of the window or to a long wait."""
        connector = self.connector
        result = state.result
        result.outcome = "running"
        result.resume_in = None
        stats = connector.http.stats

        def on_listing(seen: ListingProgress) -> None:
            state.listings[seen.listing] = seen
            result.window_read = sum(item.read for item in state.listings.values())
            totals = [item.total for item in state.listings.values()]
            result.window_total = None if None in totals else sum(t or 0 for t in totals)
            self._report(result)

        try:
            with (
                connector.http.watching_listings(on_listing),
                self._page_writes(result, state.log),
            ):
                while self._read_on(state):
                    pass
            if result.outcome == "running":
                result.outcome = "succeeded"
        except Interrupted:
            result.outcome = "interrupted"
            self._save_carried(state)
        except ConnectorError as exc:
            self._save_carried(state)
            result.outcome = "failed"
            result.error_kind = exc.kind.value
            result.error = exc.message
            result.fix = exc.fix
        except _RunFailed as exc:
            # The page in hand (and anything carried with it) stays unwritten: the next
            # run reads it again from the cursor.
            result.outcome = "failed"
            result.error_kind = exc.kind
            result.error = exc.error
            result.fix = exc.fix
        except Exception as exc:
            result.outcome = "failed"
            result.error_kind = "internal"
            result.error = f"{type(exc).__name__}: {exc}"[:_REASON_LIMIT]
            result.fix = (
                "This is a bug in orderhub or the connector, not in your data: report it "
                "with this log line. Nothing was lost; the next run retries from the cursor."
            )
            state.log.exception("sync.crashed", error_kind="internal", fix=result.fix)
        finally:
            result.pages = stats.pages - state.before[3]
            if result.outcome == "waiting":
                result.parked = state
                state.log.info("sync.waiting", resume_in=result.resume_in, fetched=result.fetched)
            else:
                state.close()
                self._finish(state.run_id, result, stats, state.before, state.log)
        return result

    def _read_on(self, state: ParkedPull) -> bool:
        """One step: begin the next window chunk, or read a chunk's records up to the end
        of a page. False when the run is done or waits (``result.outcome``)."""
        connector = self.connector
        result = state.result
        if state.records is None:
            chunk, state.pending_chunk = state.pending_chunk, None
            if chunk is None:
                chunk = next(state.chunks, None)
            if chunk is None:
                return False
            if self._waits(state):
                # Nothing of the chunk is read yet: asked again when the bucket allows. The
                # records carried from the chunk before are committed first: a waiting run
                # holds nothing uncommitted.
                state.pending_chunk = chunk
                self._commit_carried(state)
                return False
            state.chunk = chunk
            state.listings.clear()
            result.window_number += 1
            result.window_read, result.window_total = 0, None
            self._report(result)
            state.records = iter(connector.fetch_orders(chunk))
        for raw in state.records:
            state.batch.append(raw)
            result.fetched += 1
            if len(state.batch) >= connector.page_size:
                # Sorted records move the cursor to the page's newest; otherwise to the end
                # of the chunks carried into this page, if any.
                done = None if connector.sorted_by_updated_at else state.carried_end
                self._commit(state.batch, state.run_id, result, state.log, cursor=done)
                state.batch, state.paged, state.carried_end = [], True, None
                if self.stop is not None and self.stop.is_set():
                    raise Interrupted("shutdown requested")
                # Between pages, the generator is paused at a record: a safe place to give
                # the thread back for a long token wait and to go on later.
                return not self._waits(state)
        state.records = None
        if not state.paged and self._chunk_follows(state):
            # Chunks that together do not fill a page go on into the next chunk's page: a
            # backfill of a quiet shop (a few orders a week, read in week-long chunks)
            # commits once instead of once per chunk. The cursor moves with that commit, to
            # the end of the chunk it closes; until then it stays where it was, so a crash
            # in between re-reads those chunks (together less than a page of records).
            assert state.chunk is not None
            state.carried_end = state.chunk.end
            return True
        assert state.chunk is not None
        state.carried_end = state.chunk.end
        self._commit_carried(state)
        return True

    def _chunk_follows(self, state: ParkedPull) -> bool:
        """Whether another chunk of the window follows and can be read at once (no long
        token wait before it). Looks ahead by one chunk (``pending_chunk``)."""
        if state.pending_chunk is None:
            state.pending_chunk = next(state.chunks, None)
        if state.pending_chunk is None:
            return False
        return self.park_after is None or self.connector.http.next_wait() <= self.park_after

    def _commit_carried(self, state: ParkedPull) -> None:
        """Commit the records carried from the chunks read whole, with the cursor at the
        end of the last of them (nothing when no chunk is carried)."""
        if state.carried_end is None:
            return
        self._commit(state.batch, state.run_id, state.result, state.log, cursor=state.carried_end)
        state.batch, state.paged, state.carried_end = [], False, None

    def _save_carried(self, state: ParkedPull) -> None:
        """A run that stops on the channel's error (a used-up quota) or a shutdown keeps
        the chunks it read whole (:meth:`_commit_carried`), as it would have without
        carrying, so the next run does not read them again."""
        try:
            self._commit_carried(state)
        except (_RunFailed, *_WRITE_ERRORS) as exc:
            # The run fails anyway; the next one reads those chunks again.
            state.log.warning("sync.carried_not_saved", error=type(exc).__name__)
            state.batch, state.carried_end = [], None

    def _waits(self, state: ParkedPull) -> bool:
        """Whether the next request would wait longer than ``park_after``: then the run
        comes back ``waiting`` with the seconds to wait."""
        if self.park_after is None:
            return False
        wait = self.connector.http.next_wait()
        if wait <= self.park_after:
            return False
        state.result.outcome = "waiting"
        state.result.resume_in = wait
        return True

    def _commit(
        self,
        batch: list[dict[str, Any]],
        run_id: int,
        result: PullResult,
        log: Any,
        *,
        cursor: datetime | None,
    ) -> None:
        orders: list[IncomingOrder] = []
        quarantined: list[IncomingQuarantine] = []
        encoded = [_encoded(raw) for raw in batch]
        in_flight = self._in_flight
        held = self._held(
            batch, encoded, result, in_flight.page.external_ids() if in_flight else frozenset()
        )
        handover = 0.0  # when the writer is next offered the interpreter
        for index, raw in enumerate(batch):
            if index in held:
                continue
            if (
                in_flight is not None
                and time.perf_counter() >= handover
                and not in_flight.future.done()
            ):
                handover = _let_the_writer_run()
            item = self._normalise(raw, encoded[index])
            if isinstance(item, IncomingOrder):
                orders.append(item)
            else:
                quarantined.append(item)
                log.warning(
                    "sync.record_quarantined",
                    external_id=item.external_id,
                    reason=item.reason,
                    fix=MalformedRecordError.default_fix,
                )
        if cursor is None and self.connector.sorted_by_updated_at and (orders or held):
            # Records come oldest-first: everything up to this page's newest is committed.
            cursor = max([*(item.draft.updated_at for item in orders), *held.values()])
        # This page is ready: the one before it must have committed before it is written.
        self._drain(result, log)
        if not orders and not quarantined and cursor is None:
            result.counts.unchanged += len(held)
            return
        page = _Page(orders, quarantined, cursor, len(held))
        if self._writer is None:
            self._page_written(self._write_page(page, run_id, result, log), page, result, log)
            return
        # In the run's context: what the caller bound to its logs holds for the write's too.
        context = contextvars.copy_context()
        future = self._writer.submit(context.run, self._write_page, page, run_id, result, log)
        self._in_flight = _InFlight(page, future)

    @contextmanager
    def _page_writes(self, result: PullResult, log: Any) -> Iterator[None]:
        """Within: pages are written behind the run on PostgreSQL (see the module's docs),
        in line on SQLite. On the way out the page in flight commits, or fails, before
        anything else happens: a write that failed was the first thing to go wrong, so its
        error is the run's even when the read that followed failed too. After it, pages
        (the chunks a failing run saves) are written in line."""
        if self.engine.dialect.name == "postgresql":
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="orderhub-page-write")
        try:
            yield
        finally:
            try:
                # Raising here replaces the exception the run was leaving with, if any.
                self._drain(result, log)
            finally:
                self._in_flight = None
                if self._writer is not None:
                    self._writer.shutdown(wait=True)
                    self._writer = None

    def _drain(self, result: PullResult, log: Any) -> None:
        """Wait for the page in flight, if any, and count it; raises what its write
        raised (the run then fails as it would have with the page written in line)."""
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            counts = in_flight.future.result()
            self._page_written(counts, in_flight.page, result, log)

    def _write_page(self, page: _Page, run_id: int, result: PullResult, log: Any) -> IngestCounts:
        """Write one page, record by record where the store refuses it whole. Runs in the
        writer thread on PostgreSQL: it touches only ``result.unresolved_lines``, which
        nothing else changes while a page is in flight."""
        orders, quarantined, cursor = page.orders, page.quarantined, page.cursor
        try:
            return self._write(orders, quarantined, run_id, result, cursor)
        except _WRITE_ERRORS as exc:
            if not _record_can_cause(exc):
                raise _store_failed(exc, log) from exc
            # No check foresaw this (the database refused a value): find the record that
            # did it by writing the page one record at a time, so only it is quarantined.
            log.warning(
                "sync.page_write_failed",
                error=type(exc).__name__,
                records=len(orders),
                fix=(
                    "The page is written record by record; the refused ones are "
                    "quarantined (unless the store refuses every one of them alike: then "
                    "the run fails with sync.page_refused_whole)."
                ),
            )
            return self._write_one_by_one(orders, quarantined, run_id, result, cursor, log=log)

    def _page_written(
        self, counts: IngestCounts, page: _Page, result: PullResult, log: Any
    ) -> None:
        """Count a page that has committed, and say so (in the run's own thread)."""
        counts.unchanged += page.held
        cursor = page.cursor
        result.counts.add(counts)
        self._report(result)
        log.debug(
            "sync.page_committed",
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            quarantined=counts.quarantined,
            cursor=cursor.isoformat() if cursor else None,
        )

    def _report(self, result: PullResult) -> None:
        if self.progress is not None:
            self.progress(result)

    def _held(
        self,
        batch: list[Any],
        encoded: list[tuple[str, str] | None],
        result: PullResult,
        in_flight: frozenset[str] = frozenset(),
    ) -> dict[int, datetime]:
        """The records of ``batch`` the store already holds exactly as they are (same id,
        same payload hash), by their place in the batch, with their stored ``updated_at``.

        The page writer would find each of them unchanged and write nothing; found here,
        before normalising, they also cost no ``to_order``, validation or limits check:
        re-reading a window that is already stored (an overlapping poll, a rerun backfill)
        costs the canonical text and one indexed read a page. The id comes from the
        connector's ``external_id``; where it guesses wrong the record is simply not found
        and is normalised as any other. A backfill of new orders finds none: after two
        pages in a row without one, only every 16th page looks. Ids ``in_flight`` (of the
        page being written) are not looked up: that page may store other versions of them."""
        misses = result.pages_without_held
        if misses >= 2 and misses % 16:
            result.pages_without_held += 1
            return {}
        ids: list[str | None] = []
        candidates: dict[str, str] = {}
        repeated: set[str] = set()
        for raw, text_and_hash in zip(batch, encoded, strict=True):
            found: str | None = None
            if text_and_hash is not None:
                with suppress(Exception):
                    value = self.connector.external_id(raw)
                    found = None if value is None else str(value)
                if found is not None:
                    if found in candidates:
                        # Twice in one page (changed while paging): normalised, both.
                        repeated.add(found)
                    candidates[found] = text_and_hash[1]
            ids.append(found)
        for external_id in repeated | (in_flight & candidates.keys()):
            del candidates[external_id]
        try:
            with self._lookup_connection() as connection:
                stored = held_as_is(connection, self.account_id, candidates)
        except (SQLAlchemyError, *_VALUE_ERRORS):
            # An id the driver cannot bind (a lone surrogate, a NUL on PostgreSQL) is no
            # stored order's; and what is wrong with the store, the page's write says.
            stored = {}
        result.pages_without_held = 0 if stored else misses + 1
        return {
            index: stored[found]
            for index, found in enumerate(ids)
            if found is not None and found in stored
        }

    @contextmanager
    def _lookup_connection(self) -> Iterator[Connection]:
        """Where the look-ups for held records read: on PostgreSQL the connection that holds
        the account's lock, idle otherwise (so a run holds two connections at most while a
        page is in flight), elsewhere a connection of their own."""
        lock_connection = self._lock_connection
        if lock_connection is None:
            with self.engine.connect() as connection:
                yield connection
            return
        try:
            yield lock_connection
        finally:
            # Out of the read's transaction: the lock is the session's, and a connection
            # left idle in a transaction holds back vacuum.
            lock_connection.rollback()

    def _normalise(
        self, raw: Any, encoded: tuple[str, str] | None = None
    ) -> IncomingOrder | IncomingQuarantine:
        """One raw record as an order to store or a record to quarantine; never raises.

        Everything that depends on the record happens in here (its canonical text, the
        connector's ``to_order``, the draft's validation and the store's own limits), so
        no record can fail the page it came in. ``encoded`` is the record's canonical
        text and hash when :func:`_encoded` made them already."""
        text_: str | None = None
        digest = ""
        try:
            text_, digest = encoded or canonical_json(raw)
            draft = self.connector.to_order(raw)
            problems = validate_order(draft) or store_problems(draft)
            if problems:
                raise MalformedRecordError("; ".join(problems))
        except Exception as exc:
            if isinstance(exc, ConnectorError):
                reason = str(exc)
                # A connector's own fix (e.g. "map this status in status_map") is worth more
                # than the generic one: keep it with the record.
                if exc.fix != MalformedRecordError.default_fix:
                    reason = f"{reason} Fix: {exc.fix}"
            else:
                reason = f"{type(exc).__name__}: {exc}"
            if text_ is None:
                text_, digest = _unreadable_payload(raw, reason)
            return self._quarantine(raw, reason, text_, digest)
        return IncomingOrder(draft=draft, raw=text_, content_hash=digest)

    def _quarantine(self, raw: Any, reason: str, text_: str, digest: str) -> IncomingQuarantine:
        external_id = None
        # The id is only a label for people; the payload itself is kept whole.
        with suppress(Exception):
            found = self.connector.external_id(raw)
            if found is not None:
                external_id = storable_text(str(found), _ID_LIMIT)
        return IncomingQuarantine(
            external_id=external_id,
            reason=storable_text(reason, _REASON_LIMIT),
            raw=text_,
            payload_hash=digest,
        )

    def _write(
        self,
        orders: list[IncomingOrder],
        quarantined: list[IncomingQuarantine],
        run_id: int,
        result: PullResult,
        cursor: datetime | None,
    ) -> IngestCounts:
        """Write one page (orders, quarantined records, cursor) in one transaction."""
        now = self.clock.now()
        with replayable(self.engine) as connection:
            counts, resolved = write_page(
                connection,
                account_id=self.account_id,
                channel=self.channel,
                orders=orders,
                quarantined=quarantined,
                now=now,
                run_id=run_id,
                cursor=CursorMove(ORDERS_STREAM, cursor) if cursor is not None else None,
                config=self.matching,
            )
        # Counted only once the transaction has committed.
        result.unresolved_lines += resolved.unresolved
        return counts

    def _write_one_by_one(
        self,
        orders: list[IncomingOrder],
        quarantined: list[IncomingQuarantine],
        run_id: int,
        result: PullResult,
        cursor: datetime | None,
        *,
        log: Any,
    ) -> IngestCounts:
        """Write a page the store refused as a whole one order at a time, then quarantine
        the orders it refuses alone, with the cursor.

        A record can be at fault only for what its values can cause (a constraint, a value
        its column cannot hold, a driver's conversion); anything else the store raises on
        the way fails the run (:func:`_store_failed`). And when the store refuses *every*
        order of a page of two or more, all with the same kind of error (a column a bad
        migration made narrower or NOT NULL, a bug in the page writer), that is not a
        batch of bad records: bad records are rare and fail in their own ways.
        Quarantining them would move the cursor past a whole page of good orders and hide
        them from the seller, so the run fails instead (:func:`_refused_whole`), with
        nothing of the page written, and the next run reads the page again. A page of
        one order cannot be told from one bad record: it is quarantined, as any refused
        record (kept whole and shown by ``orderhub failures``, so not lost either).
        """
        total = IngestCounts()
        refusals: list[_Refusal] = []
        for item in orders:
            try:
                total.add(self._write([item], [], run_id, result, None))
            except _WRITE_ERRORS as exc:
                if not _record_can_cause(exc):
                    raise _store_failed(exc, log) from exc
                origin = _origin(exc)
                refusals.append(_Refusal(item, type(origin).__name__, _database_reason(exc)))
        if len(orders) >= 2 and len(refusals) == len(orders):
            kinds = {refusal.kind for refusal in refusals}
            if len(kinds) == 1:
                # Nothing of the page was committed (every write above failed whole).
                raise _refused_whole(refusals, log)
        refused = list(quarantined)
        for refusal in refusals:
            item = refusal.item
            reason = f"the database refused this order: {refusal.reason}"
            log.warning(
                "sync.record_quarantined",
                external_id=storable_text(item.draft.external_id or "", _ID_LIMIT),
                reason=reason,
                fix=MalformedRecordError.default_fix,
            )
            refused.append(
                IncomingQuarantine(
                    external_id=storable_text(str(item.draft.external_id), _ID_LIMIT),
                    reason=storable_text(reason, _REASON_LIMIT),
                    raw=item.raw,
                    payload_hash=item.content_hash,
                )
            )
        # The quarantined records and the cursor last: the cursor moves only once every
        # record of the page is stored or quarantined.
        try:
            total.add(self._write([], refused, run_id, result, cursor))
        except _WRITE_ERRORS as exc:
            if not _record_can_cause(exc):
                raise _store_failed(exc, log) from exc
            raise
        return total

    def _finish(
        self,
        run_id: int,
        result: PullResult,
        stats: Any,
        before: tuple[int, int, int, int],
        log: Any,
    ) -> None:
        now = self.clock.now()
        values = {
            "finished_at": now,
            "outcome": result.outcome,
            "pages": result.pages,
            "requests": stats.requests - before[0],
            "retries": stats.retries - before[1],
            "throttled": stats.throttled - before[2],
            "fetched": result.fetched,
            "created": result.counts.created,
            "updated": result.counts.updated,
            "unchanged": result.counts.unchanged,
            "quarantined": result.counts.quarantined,
            "error_kind": result.error_kind,
            "error": result.error,
            "fix": result.fix,
        }
        with replayable(self.engine) as connection:
            runs.update_run(connection, run_id, values)
            if result.error_kind == AuthError.kind.value:
                runs.set_attention(
                    connection,
                    self.account_id,
                    reason=result.error or "authentication failed",
                    fix=result.fix or AuthError.default_fix,
                    now=now,
                )
            elif result.outcome == "succeeded":
                runs.clear_attention(connection, self.account_id, now=now)
        fields = {key: value for key, value in values.items() if key != "finished_at"}
        fields["unresolved_lines"] = result.unresolved_lines
        if result.outcome == "failed":
            log.error("sync.failed", **fields)
        else:
            log.info("sync.finished", **fields)

    @contextmanager
    def _account_lock(self) -> Iterator[bool]:
        """On PostgreSQL, hold a session advisory lock per account for the run, so two
        workers sharing one database never pull the same account at once. SQLite is
        single-host; the worker's one-run-per-account rule is enough there."""
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        with self.engine.connect() as connection:
            # Advisory locks are shared by the whole database: the store's schema is part
            # of the key, so two stores in one database never block each other's accounts.
            schema = connection.execute(text("SELECT current_schema()")).scalar()
            key = zlib.crc32(f"orderhub:pull:{schema}:{self.account_id}".encode())
            acquired = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            )
            connection.commit()
            if acquired:
                self._lock_connection = connection
            try:
                yield acquired
            finally:
                self._lock_connection = None
                if acquired:
                    _unlock(connection, key)


def _let_the_writer_run() -> float:
    """Hand the interpreter to the run's page writer if it is waiting for it; returns when
    to offer it again (:data:`_HANDOVER_GAP` from now).

    The writer spends most of a page waiting for the server, a few times a page; each time
    an answer comes back it needs the interpreter again, which this thread holds while it
    normalises the next page. CPython hands it over only when asked for it for a whole
    switch interval (5 ms), so every answer waited up to 5 ms, and the writer, whose
    chain of answers is the run's critical path, took 2 s longer over 20,000 orders than
    its own work and the server's. A zero sleep releases the interpreter and, through the
    kernel's timer slack, stays out for long enough (about 50 us, no CPU) for the writer
    to wake and take it; ``os.sched_yield`` comes back before the writer is awake. Only
    while the page is still being written (once it has committed nobody waits), and at
    most once per gap: offered between every two records, the sleeps alone cost a page
    about 5 ms whenever the writer was waiting for the server rather than for the
    interpreter. Measured on ``bench/bench_ingest.py``'s PostgreSQL path, the hand-over
    itself in the leg (bench/README.md, 2026-12-07, evening) and its gap in paired rounds
    (2026-12-08)."""
    time.sleep(0)
    return time.perf_counter() + _HANDOVER_GAP


#: At most this long (seconds) between two offers of the interpreter to the page writer:
#: a server's answer waits no more than this plus one record's normalising.
_HANDOVER_GAP = 100e-6


def _chunk_count(window: SyncWindow, max_window: timedelta) -> int:
    """How many chunks :func:`chunks` makes of ``window`` (counted, not listed: a window
    since the year 1 in one-hour chunks would be millions of them)."""
    span = window.end - window.start
    if span <= timedelta(0) or max_window <= timedelta(0):
        return 0
    return -(-span // max_window)


def _unlock(connection: Connection, key: int) -> None:
    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    connection.commit()


def _origin(exc: BaseException) -> BaseException:
    """The driver's (or Python's) own exception inside SQLAlchemy's wrapper."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        return exc.orig
    return exc


def _record_can_cause(exc: BaseException) -> bool:
    """Whether a record's values can explain ``exc``: a constraint it breaks
    (``IntegrityError``), a value its column cannot hold (``DataError``), or a value a
    driver or our write path cannot convert (the value errors, raised bare or wrapped in
    SQLAlchemy's ``StatementError``).

    Everything else is the store's state, never a record's: an ``OperationalError``
    (SQLite's "database is locked", "disk I/O error", "database or disk is full", a
    read-only file, a missing column; PostgreSQL's lost connection or full disk), a
    ``ProgrammingError`` (a missing table or column on PostgreSQL), an ``InternalError``,
    an ``InterfaceError``, and SQLAlchemy's own (a pool timeout, a closed connection).
    Quarantining a record for one of those would hide a good order."""
    if isinstance(exc, IntegrityError | DataError):
        return True
    if isinstance(exc, DBAPIError):
        return False
    if isinstance(exc, StatementError):
        return isinstance(exc.orig, _VALUE_ERRORS)
    if isinstance(exc, SQLAlchemyError):
        return False
    return isinstance(exc, _VALUE_ERRORS)


def _store_failed(exc: BaseException, log: Any) -> _RunFailed:
    """The run's failure for a store error no record can cause (logged here)."""
    error = f"the store failed while writing a page: {_database_reason(exc)}"
    log.error("sync.store_failed", error_kind="store", error=error, fix=_STORE_FIX)
    return _RunFailed("store", error, _STORE_FIX)


def _refused_whole(refusals: list[_Refusal], log: Any) -> _RunFailed:
    """The run's failure for a page whose every order the store refused alike (logged
    here, with the refused orders' ids: labels, not buyer data)."""
    error = (
        f"the store refused all {len(refusals)} orders of a page for one reason: "
        f"{refusals[0].reason}"
    )[:_REASON_LIMIT]
    log.error(
        "sync.page_refused_whole",
        error_kind="internal",
        error=error,
        fix=_REFUSED_WHOLE_FIX,
        records=len(refusals),
        external_ids=[
            storable_text(str(refusal.item.draft.external_id), _ID_LIMIT)
            for refusal in refusals[:10]
        ],
    )
    return _RunFailed("internal", error, _REFUSED_WHOLE_FIX)


def _database_reason(exc: BaseException) -> str:
    """The database's own words for a refusal, without the statement or its parameters
    (SQLAlchemy's message carries both, and the parameters are buyer data)."""
    origin = _origin(exc)
    first_line = str(origin).strip().splitlines()[0] if str(origin).strip() else ""
    return f"{type(origin).__name__}: {first_line}"[:300]


def _encoded(raw: Any) -> tuple[str, str] | None:
    """A record's canonical text and hash, or None where even that fails (then
    :meth:`PullRunner._normalise` tries again and quarantines it, saying why)."""
    try:
        return canonical_json(raw)
    except Exception:
        return None


def _unreadable_payload(raw: Any, reason: str) -> tuple[str, str]:
    """A stand-in text for a payload that cannot even be written as JSON."""
    note = {"orderhub_unreadable_payload": type(raw).__name__, "reason": reason[:200]}
    return canonical_json(note)
