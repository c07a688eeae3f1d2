"""The pull runner: one run reads one account's changed orders into the store.

Crash safety comes from the order of operations, not from cleanup code: each page of drafts
is committed in one transaction together with the cursor it justifies, so a process killed
at any instant leaves the cursor at or before the last committed data, and the next run
re-reads from there (idempotent upserts absorb the overlap). When the connector yields
records sorted by last-modified time the cursor moves after every page; otherwise it moves
only when a whole window chunk has been read.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError, StatementError

from orderhub.matching import MatchingConfig, resolve_written
from orderhub.sdk.clock import Interrupted
from orderhub.sdk.connector import Connector, SyncWindow
from orderhub.sdk.drafts import validate_order
from orderhub.sdk.errors import AuthError, ConnectorError, MalformedRecordError
from orderhub.sdk.progress import ListingProgress
from orderhub.store import runs
from orderhub.store.ingest import (
    CursorMove,
    IncomingOrder,
    IncomingQuarantine,
    IngestCounts,
    canonical_json,
    ingest_page,
    read_cursor,
)
from orderhub.store.limits import storable_text, store_problems
from orderhub.sync.window import chunks, plan_window

ORDERS_STREAM = "orders"
_REASON_LIMIT = 500
_ID_LIMIT = 128

# What writing a page can raise because of a value in it: the database's own refusals and
# the drivers' conversions (an integer too large for SQLite, text that is not UTF-8, an
# amount beyond numeric's range).
_WRITE_ERRORS = (SQLAlchemyError, ValueError, TypeError, OverflowError, ArithmeticError)


@dataclass
class PullResult:
    """What one run did; mirrors its ``sync_runs`` row."""

    run_id: int | None
    account_id: str
    outcome: str  # succeeded | failed | interrupted | skipped
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

    @property
    def ok(self) -> bool:
        return self.outcome in ("succeeded", "skipped")


class PullRunner:
    """Runs pulls for one account. Not thread-safe: the worker runs one at a time per account.

    ``stop`` is checked between pages; when it is set the run ends as ``interrupted`` after
    the page in hand is committed (or, if waiting on the clock, without it). ``progress``
    is called with the running result whenever it moves: a window chunk begun, a page of
    the channel received (with the total it announced, see
    :class:`~orderhub.sdk.progress.ListingProgress`), a page committed (the CLI's
    progress bar).
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
    ) -> None:
        self.engine = engine
        self.progress = progress
        self.matching = matching
        self.connector = connector
        self.stop = stop
        self.trigger = trigger
        self.clock = connector.clock
        self.account_id = connector.account_id
        self.channel = connector.name

    def run(self, *, since: datetime | None = None) -> PullResult:
        with self._account_lock() as acquired:
            if not acquired:
                structlog.get_logger().info(
                    "sync.skipped",
                    account=self.account_id,
                    channel=self.channel,
                    reason="another worker is syncing this account",
                )
                return PullResult(run_id=None, account_id=self.account_id, outcome="skipped")
            return self._run(since)

    def _run(self, since: datetime | None) -> PullResult:
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
        with self.engine.begin() as connection:
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
        before = (stats.requests, stats.retries, stats.throttled, stats.pages)
        log.info(
            "sync.started",
            window_start=window.start.isoformat(),
            window_end=window.end.isoformat(),
            cursor=cursor.isoformat() if cursor else None,
        )
        result.window_count = _chunk_count(window, connector.max_window)
        listings: dict[int, ListingProgress] = {}

        def on_listing(seen: ListingProgress) -> None:
            listings[seen.listing] = seen
            result.window_read = sum(item.read for item in listings.values())
            totals = [item.total for item in listings.values()]
            result.window_total = None if None in totals else sum(t or 0 for t in totals)
            self._report(result)

        try:
            with connector.http.watching_listings(on_listing):
                for number, chunk in enumerate(chunks(window, connector.max_window), 1):
                    listings.clear()
                    result.window_number = number
                    result.window_read, result.window_total = 0, None
                    self._report(result)
                    self._pull_chunk(chunk, run_id, result, log)
            result.outcome = "succeeded"
        except Interrupted:
            result.outcome = "interrupted"
        except ConnectorError as exc:
            result.outcome = "failed"
            result.error_kind = exc.kind.value
            result.error = exc.message
            result.fix = exc.fix
        except Exception as exc:
            result.outcome = "failed"
            result.error_kind = "internal"
            result.error = f"{type(exc).__name__}: {exc}"[:_REASON_LIMIT]
            result.fix = (
                "This is a bug in orderhub or the connector, not in your data: report it "
                "with this log line. Nothing was lost; the next run retries from the cursor."
            )
            log.exception("sync.crashed", error_kind="internal", fix=result.fix)
        finally:
            result.pages = stats.pages - before[3]
            self._finish(run_id, result, stats, before, log)
        return result

    def _pull_chunk(self, chunk: SyncWindow, run_id: int, result: PullResult, log: Any) -> None:
        connector = self.connector
        batch: list[dict[str, Any]] = []
        for raw in connector.fetch_orders(chunk):
            batch.append(raw)
            result.fetched += 1
            if len(batch) >= connector.page_size:
                self._commit(batch, run_id, result, log, cursor=None)
                batch = []
                if self.stop is not None and self.stop.is_set():
                    raise Interrupted("shutdown requested")
        self._commit(batch, run_id, result, log, cursor=chunk.end)

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
        for raw in batch:
            item = self._normalise(raw)
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
        if cursor is None and self.connector.sorted_by_updated_at and orders:
            # Records come oldest-first: everything up to this page's newest is committed.
            cursor = max(item.draft.updated_at for item in orders)
        if not orders and not quarantined and cursor is None:
            return
        try:
            counts = self._write(orders, quarantined, run_id, result, cursor)
        except _WRITE_ERRORS as exc:
            # No check foresaw this (the database refused a value): find the record that
            # did it by writing the page one record at a time, so only it is quarantined.
            log.warning(
                "sync.page_write_failed",
                error=type(exc).__name__,
                records=len(orders),
                fix="The page is written record by record; the refused ones are quarantined.",
            )
            counts = self._write_one_by_one(orders, quarantined, run_id, result, cursor, log=log)
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

    def _normalise(self, raw: Any) -> IncomingOrder | IncomingQuarantine:
        """One raw record as an order to store or a record to quarantine; never raises.

        Everything that depends on the record happens in here (its canonical text, the
        connector's ``to_order``, the draft's validation and the store's own limits), so
        no record can fail the page it came in."""
        text_: str | None = None
        digest = ""
        try:
            text_, digest = canonical_json(raw)
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
        unresolved = 0
        with self.engine.begin() as connection:
            counts = ingest_page(
                connection,
                account_id=self.account_id,
                channel=self.channel,
                orders=orders,
                quarantined=quarantined,
                now=now,
                run_id=run_id,
                cursor=CursorMove(ORDERS_STREAM, cursor) if cursor is not None else None,
            )
            if counts.stored:
                # SKU matching in the same transaction: an order is never stored without
                # its lines resolved (or flagged as awaiting a mapping). Unchanged orders
                # keep their resolution: mapping and catalog changes re-resolve on their own.
                resolved = resolve_written(
                    connection,
                    account_id=self.account_id,
                    channel=self.channel,
                    orders=counts.stored,
                    now=now,
                    config=self.matching,
                )
                unresolved = resolved.unresolved
        # Counted only once the transaction has committed.
        result.unresolved_lines += unresolved
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
        total = IngestCounts()
        refused = list(quarantined)
        for item in orders:
            try:
                total.add(self._write([item], [], run_id, result, None))
            except _WRITE_ERRORS as exc:
                reason = f"the database refused this order: {_database_reason(exc)}"
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
        total.add(self._write([], refused, run_id, result, cursor))
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
        with self.engine.begin() as connection:
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
            try:
                yield acquired
            finally:
                if acquired:
                    _unlock(connection, key)


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


def _database_reason(exc: BaseException) -> str:
    """The database's own words for a refusal, without the statement or its parameters
    (SQLAlchemy's message carries both, and the parameters are buyer data)."""
    origin: BaseException = exc.orig if isinstance(exc, StatementError) and exc.orig else exc
    first_line = str(origin).strip().splitlines()[0] if str(origin).strip() else ""
    return f"{type(origin).__name__}: {first_line}"[:300]


def _unreadable_payload(raw: Any, reason: str) -> tuple[str, str]:
    """A stand-in text for a payload that cannot even be written as JSON."""
    note = {"orderhub_unreadable_payload": type(raw).__name__, "reason": reason[:200]}
    return canonical_json(note)
