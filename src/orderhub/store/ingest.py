"""The write path for pulled orders: one call per page, one transaction per call.

A page is classified against what the store holds with one SELECT, then written with the
dialect's ``INSERT .. ON CONFLICT DO UPDATE`` (executemany), so an order whose content did
not change costs no write at all, and a rerun over the same data converges: orders are
keyed on (account, external id), lines on (order, external line id), quarantined payloads
on (account, payload hash). The cursor is moved in the same transaction as the orders it
covers, and never backwards.
"""

from __future__ import annotations

import hashlib
import json as jsonlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from orderhub.sdk.drafts import ADDRESS_FIELDS, Address, OrderDraft
from orderhub.store import statements
from orderhub.store.statements import json_text
from orderhub.store.tables import (
    Order,
    OrderEvent,
    OrderLine,
    QuarantinedRecord,
    SyncCursor,
    metadata,
)

ORDERS: Table = metadata.tables[Order.__tablename__]
LINES: Table = metadata.tables[OrderLine.__tablename__]
EVENTS: Table = metadata.tables[OrderEvent.__tablename__]
QUARANTINE: Table = metadata.tables[QuarantinedRecord.__tablename__]
CURSORS: Table = metadata.tables[SyncCursor.__tablename__]


def canonical_json(raw: Any) -> tuple[str, str]:
    """The payload as compact, key-sorted JSON, and a 128-bit hash of that text.

    The hash is over the raw payload (not the draft), because the raw payload is what the
    store keeps: any change the channel makes is a change worth storing.
    """
    # orjson: the same compact, key-sorted UTF-8 text as json.dumps(sort_keys=True,
    # separators=(",", ":"), ensure_ascii=False), five times faster on the ingest hot path.
    try:
        data = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS, default=str)
    except (TypeError, orjson.JSONEncodeError):
        data = _fallback_json(raw)
    return data.decode(), hashlib.blake2b(data, digest_size=16).hexdigest()


def _fallback_json(raw: Any) -> bytes:
    """The canonical text of a payload orjson refuses although Python's parser read it: an
    integer beyond 64 bits, nesting deeper than 255, a lone surrogate. The same text as
    orjson's wherever both can write it; lone surrogates are escaped (``\\ud800``) so the
    text stays valid UTF-8 for the database."""
    options: dict[str, Any] = {"sort_keys": True, "separators": (",", ":"), "default": str}
    try:
        text = jsonlib.dumps(raw, ensure_ascii=False, **options)
        return text.encode()
    except UnicodeEncodeError:
        return jsonlib.dumps(raw, ensure_ascii=True, **options).encode()
    except (RecursionError, ValueError, TypeError) as exc:
        # Deeper than Python itself can walk: keep a description, not the payload.
        note = {"orderhub_unserialisable_payload": f"{type(exc).__name__}: {exc}"[:200]}
        return jsonlib.dumps(note, ensure_ascii=True, **options).encode()


@dataclass(frozen=True, slots=True)
class IncomingOrder:
    draft: OrderDraft
    raw: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class IncomingQuarantine:
    external_id: str | None
    reason: str
    raw: str
    payload_hash: str


@dataclass(frozen=True, slots=True)
class CursorMove:
    stream: str
    position: datetime


@dataclass(frozen=True, slots=True)
class WrittenOrder:
    """An order a page created or changed, as it now is in the store. ``awaiting`` is its
    ``awaiting_mapping`` flag as the page left it: a new order's from the page's
    ``awaiting`` flags, a changed order's as it was before the page."""

    order_id: int
    draft: OrderDraft
    new: bool
    awaiting: bool


@dataclass(slots=True)
class IngestCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    #: external ids of the orders this page created or changed (the ones SKU matching must
    #: resolve again); not carried over by :meth:`add`.
    written: list[str] = field(default_factory=list)
    #: the same orders with their row ids and drafts, for SKU matching without reading
    #: back what was just written; not carried over by :meth:`add` either.
    stored: list[WrittenOrder] = field(default_factory=list)

    def add(self, other: IngestCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.quarantined += other.quarantined


def dialect_insert(connection: Connection, table: Table) -> Any:
    """The dialect's INSERT construct, which has ``on_conflict_do_update``."""
    return _dialect_insert(connection.dialect.name, table)


def _dialect_insert(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# The page's statements are plain SQL with driver-ready values, sent as one batch
# (orderhub.store.statements).


# The stored JSON keeps the fields' declared order.
_address_parts = attrgetter(*ADDRESS_FIELDS)


def _address(address: Address | None) -> dict[str, str] | None:
    """The stored form of an address: its non-empty parts, in the fields' order."""
    if address is None:
        return None
    return {
        key: value
        for key, value in zip(ADDRESS_FIELDS, _address_parts(address), strict=True)
        if value is not None
    }


def _identifiers_json(identifiers: Any) -> str:
    """A line's stored ``identifiers``: its ids as a JSON object, ``null`` for none."""
    if not identifiers:
        return json_text(None)
    return json_text(identifiers if type(identifiers) is dict else dict(identifiers))


def _order_row(
    account_id: str, channel: str, item: IncomingOrder, now: datetime, awaiting: bool = False
) -> dict[str, Any]:
    draft = item.draft
    return {
        "account_id": account_id,
        "channel": channel,
        "external_id": draft.external_id,
        "display_id": draft.display_id,
        "marketplace": draft.marketplace,
        "status": draft.status.value,
        "channel_status": draft.channel_status,
        "fulfilled_by_channel": draft.fulfilled_by_channel,
        "currency": draft.currency,
        "total": draft.total,
        "placed_at": draft.placed_at,
        "channel_updated_at": draft.updated_at,
        "buyer": _address(draft.buyer),
        "ship_to": _address(draft.ship_to),
        "raw": item.raw,
        "content_hash": item.content_hash,
        "first_seen_at": now,
        "last_changed_at": now,
        "awaiting_mapping": awaiting,
    }


def _line_rows(order_id: int, draft: OrderDraft) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order_id,
            "position": position,
            "external_id": line.external_id,
            "sku": line.sku,
            "title": line.title,
            "quantity": line.quantity,
            "quantity_shipped": line.quantity_shipped,
            "unit_price": line.unit_price,
            "total": line.total,
            "identifiers": dict(line.identifiers) if line.identifiers else None,
        }
        for position, line in enumerate(draft.lines, start=1)
    ]


def _order_values(
    sql: statements.Dialect,
    account_id: str,
    channel: str,
    item: IncomingOrder,
    now: Any,
    *,
    awaiting: bool,
) -> tuple[Any, ...]:
    """:func:`_order_row` as the driver's parameters (``statements.ORDER_COLUMNS``)."""
    draft = item.draft
    to_time = sql.time
    return (
        account_id,
        channel,
        draft.external_id,
        draft.display_id,
        draft.marketplace,
        draft.status.value,
        draft.channel_status,
        draft.fulfilled_by_channel,
        draft.currency,
        sql.money(draft.total),
        to_time(draft.placed_at),
        to_time(draft.updated_at),
        json_text(_address(draft.buyer)),
        json_text(_address(draft.ship_to)),
        item.raw,
        item.content_hash,
        now,
        now,
        awaiting,
    )


def ingest_page(
    connection: Connection,
    *,
    account_id: str,
    channel: str,
    orders: Sequence[IncomingOrder],
    quarantined: Sequence[IncomingQuarantine] = (),
    now: datetime,
    run_id: int | None = None,
    cursor: CursorMove | None = None,
    awaiting: Mapping[str, bool] | None = None,
    batch: statements.Batch | None = None,
) -> IngestCounts:
    """Write one page of normalised orders (and quarantined records) in the caller's
    transaction, and move the cursor if asked. Returns what happened to each order.

    ``awaiting`` is each order's ``awaiting_mapping`` flag by external id, as SKU matching
    will find it (the sync engine's page matching works it out before the write): a new
    order is inserted with it, so resolving the page after the write finds every new
    order's flag already right instead of updating the page's rows again. Orders it leaves
    out, and every changed order, keep the flag they have (False for a new one) until their
    lines are resolved.

    Its statements go as one :func:`~orderhub.store.statements.batch` (``batch``: the
    caller's, to send more with them)."""
    with statements.batch(connection, batch) as sender:
        return _ingest(
            _PageWriter(sender, account_id, channel, now, run_id, awaiting or {}),
            orders,
            quarantined,
            cursor,
        )


def _ingest(
    writer: _PageWriter,
    orders: Sequence[IncomingOrder],
    quarantined: Sequence[IncomingQuarantine],
    cursor: CursorMove | None,
) -> IngestCounts:
    counts = IngestCounts()
    # The same order can appear twice in one page when it changed while being paged:
    # keep its newest version.
    latest: dict[str, IncomingOrder] = {}
    for item in orders:
        seen = latest.get(item.draft.external_id)
        if seen is None or item.draft.updated_at >= seen.draft.updated_at:
            latest[item.draft.external_id] = item
    counts.unchanged += len(orders) - len(latest)

    if latest:
        writer.write_orders(latest, counts)
    if quarantined:
        writer.write_quarantine(quarantined)
        counts.quarantined += len(quarantined)
    if cursor is not None:
        writer.move_cursor(cursor)
    return counts


@dataclass(frozen=True, slots=True)
class _PageWriter:
    batch: statements.Batch
    account_id: str
    channel: str
    now: datetime
    run_id: int | None
    awaiting: Mapping[str, bool]

    def write_orders(self, latest: dict[str, IncomingOrder], counts: IngestCounts) -> None:
        batch, account_id = self.batch, self.account_id
        sql = batch.sql
        to_time = sql.time
        looked_up = batch.send(*sql.page_orders(account_id, list(latest)))
        # Got ready while the server looks the page up (PostgreSQL): most orders of a page
        # are written. A changed order's flag is in the upsert's kept columns, so the
        # value bound for it is unused.
        now = to_time(self.now)
        flags = self.awaiting
        values = {
            external_id: _order_values(
                sql, account_id, self.channel, item, now, awaiting=flags.get(external_id, False)
            )
            for external_id, item in latest.items()
        }
        existing = {row[0]: row for row in batch.rows(looked_up)}
        new: list[IncomingOrder] = []
        changed: list[tuple[IncomingOrder, Any]] = []
        for external_id, item in latest.items():
            row = existing.get(external_id)
            if row is None:
                new.append(item)
            elif row[2] == item.content_hash or to_time(item.draft.updated_at) < row[4]:
                # Same content, or an older snapshot than the one stored: nothing to write.
                # (Stored times compare as stored: sortable UTC text on SQLite.)
                counts.unchanged += 1
            else:
                changed.append((item, row))
        if not new and not changed:
            return

        to_write = new + [item for item, _ in changed]
        written = [item.draft.external_id for item in to_write]
        order_rows = [values[external_id] for external_id in written]
        ids = {external_id: row[1] for external_id, row in existing.items()}
        returning = sql.upsert_order_returning
        upserted = None
        if returning is not None and new:
            # The new orders' ids come back with the upsert (PostgreSQL).
            upserted = batch.send(returning, statements.columns(order_rows))
        else:
            batch.insert("upsert_order", order_rows)
        if changed:
            batch.send(*sql.delete_lines([row[1] for _, row in changed]))
        # A record that was quarantined and now reads cleanly is resolved.
        batch.send(*sql.resolve_quarantine(now, account_id, written))
        # The lines but for their order's id, while the server writes the orders.
        money = sql.money
        owners: list[str] = []
        lines: list[tuple[Any, ...]] = []
        for item in to_write:
            external_id = item.draft.external_id
            for position, line in enumerate(item.draft.lines, start=1):
                owners.append(external_id)
                lines.append(
                    (
                        position,
                        line.external_id,
                        line.sku,
                        line.title,
                        line.quantity,
                        line.quantity_shipped,
                        money(line.unit_price),
                        money(line.total),
                        _identifiers_json(line.identifiers),
                    )
                )
        if new:
            if upserted is not None:
                ids.update(batch.rows(upserted))
            missing = [item.draft.external_id for item in new if item.draft.external_id not in ids]
            if missing:
                # Not written by the upsert (stored meanwhile, as it is): its id is read.
                ids.update(batch.query(*sql.order_ids(account_id, missing)))
        line_rows = [(ids[owner], *line) for owner, line in zip(owners, lines, strict=True)]
        events = [self._event(sql, ids, item, ("created", None), now) for item in new]
        for item, row in changed:
            kind = "status_changed" if row[3] != item.draft.status.value else "updated"
            events.append(self._event(sql, ids, item, (kind, row[3]), now))
        batch.insert("insert_lines", line_rows)
        batch.insert("insert_events", events)
        counts.created += len(new)
        counts.updated += len(changed)
        counts.written.extend(written)
        counts.stored.extend(
            WrittenOrder(
                ids[item.draft.external_id],
                item.draft,
                True,
                flags.get(item.draft.external_id, False),
            )
            for item in new
        )
        counts.stored.extend(
            WrittenOrder(row[1], item.draft, False, bool(row[5])) for item, row in changed
        )

    def _event(
        self,
        sql: statements.Dialect,
        ids: dict[str, int],
        item: IncomingOrder,
        change: tuple[str, str | None],
        now: Any,
    ) -> tuple[Any, ...]:
        """An event row; ``change`` is its kind and the status the order had before."""
        draft = item.draft
        kind, from_status = change
        return (
            ids[draft.external_id],
            self.account_id,
            kind,
            from_status,
            draft.status.value,
            draft.channel_status,
            sql.time(draft.updated_at),
            now,
            self.run_id,
        )

    def write_quarantine(self, records: Sequence[IncomingQuarantine]) -> None:
        unique = {record.payload_hash: record for record in records}
        now = self.batch.sql.time(self.now)
        self.batch.executemany(
            self.batch.sql.upsert_quarantine,
            [
                (
                    self.account_id,
                    self.channel,
                    record.external_id,
                    record.reason,
                    record.raw,
                    record.payload_hash,
                    now,
                    now,
                    1,
                    self.run_id,
                )
                for record in unique.values()
            ],
        )

    def move_cursor(self, cursor: CursorMove) -> None:
        """Move the account's cursor of ``cursor.stream`` forward (never back)."""
        to_time = self.batch.sql.time
        self.batch.send(
            self.batch.sql.upsert_cursor,
            (self.account_id, cursor.stream, to_time(cursor.position), to_time(self.now)),
        )


def held_as_is(
    connection: Connection, account_id: str, candidates: Mapping[str, str]
) -> dict[str, datetime]:
    """Which records of a page the store already holds exactly as they are: ``candidates``
    maps an order's external id to its payload's hash (:func:`canonical_json`); the answer
    maps each id stored with that same hash to the order's stored ``updated_at``.

    Such a record would be classified unchanged by :func:`ingest_page` (same account, same
    id, same content), so the sync engine need not normalise it at all: one indexed read
    for the page instead of the connector's mapping and validation for each record."""
    if not candidates:
        return {}
    sql = statements.for_connection(connection)
    rows = statements.execute(connection, *sql.page_orders(account_id, list(candidates)))
    stored_time = sql.stored_time
    return {row[0]: stored_time(row[4]) for row in rows if candidates.get(row[0]) == row[2]}


def accounts_with_cursor(connection: Connection, account_ids: list[str], stream: str) -> set[str]:
    """Which of ``account_ids`` have read ``stream`` before (a cursor row)."""
    if not account_ids:
        return set()
    rows = connection.execute(
        select(CURSORS.c.account_id).where(
            CURSORS.c.stream == stream, CURSORS.c.account_id.in_(account_ids)
        )
    )
    return {row[0] for row in rows}


def read_cursor(connection: Connection, account_id: str, stream: str) -> datetime | None:
    value: datetime | None = connection.execute(
        select(CURSORS.c.position).where(
            CURSORS.c.account_id == account_id, CURSORS.c.stream == stream
        )
    ).scalar_one_or_none()
    return value
