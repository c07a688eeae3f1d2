"""Resolving stored order lines against the catalog, in the caller's transaction.

The sync engine calls :func:`resolve_orders` right after ``ingest_page`` wrote a page, in
the same transaction; the CLI calls the re-resolution helpers after a mapping or catalog
change. Each call reads the page's orders, lines and current resolutions in four queries,
resolves every line in memory (see :mod:`orderhub.matching.index`) and writes only what
changed, so resolving an unchanged order costs no write.

Resolutions are keyed on (order, the channel's line id), not on the line's row id: the store
replaces the lines of a changed order, and the resolution of a shipped, cancelled or refunded
order must survive that unchanged. Lines of such orders keep the resolution they had; only
their unresolved (or never resolved) lines are resolved again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, select

from orderhub.matching.index import REVISION, MatchingIndex, Method, index_for
from orderhub.matching.normalise import SkuRules
from orderhub.matching.settings import MatchingConfig
from orderhub.store import statements
from orderhub.store.ingest import LINES, ORDERS, IncomingOrder, WrittenOrder, dialect_insert
from orderhub.store.tables import LineComponent, LineResolution, metadata

RESOLUTIONS: Table = metadata.tables[LineResolution.__tablename__]
LINE_COMPONENTS: Table = metadata.tables[LineComponent.__tablename__]

#: Orders whose resolved lines are never rewritten: the goods left (or never will).
FROZEN_STATUSES = frozenset({"shipped", "partially_shipped", "cancelled", "refunded"})

_BATCH = 500


@dataclass(slots=True)
class ResolveCounts:
    """What a resolution pass did. ``kept`` counts resolved lines of shipped, cancelled
    or refunded orders left as they were; ``written`` lines whose resolution changed;
    ``awaiting`` orders now awaiting a mapping, ``released`` orders no longer awaiting."""

    orders: int = 0
    lines: int = 0
    resolved: int = 0
    unresolved: int = 0
    written: int = 0
    kept: int = 0
    awaiting: int = 0
    released: int = 0

    def add(self, other: ResolveCounts) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))


def bump_revision(connection: Connection, now: datetime) -> None:
    """Mark the catalog or mappings as changed, so every worker rebuilds its index."""
    stmt = dialect_insert(connection, REVISION).values(id=1, token=uuid.uuid4().hex, changed_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[REVISION.c.id],
        set_={"token": stmt.excluded.token, "changed_at": stmt.excluded.changed_at},
    )
    connection.execute(stmt)


def resolve_orders(
    connection: Connection,
    *,
    account_id: str,
    channel: str,
    order_ids: Sequence[int],
    now: datetime,
    config: MatchingConfig | None = None,
) -> ResolveCounts:
    """Resolve every line of the given orders of one account, set each order's
    ``awaiting_mapping`` flag, and return the counts.

    Call it in the transaction that wrote the orders (after ``ingest_page``), with the ids
    of the orders the page created or changed (unchanged ones may be included: they cost
    reads, not writes). ``config`` is the ``[matching]`` table (strip rules); pass the same
    one everywhere. Never raises for an unmatched line: the line is stored as
    ``unresolved`` and the order flagged.
    """
    del channel  # each order's own channel is used; the argument documents the call site
    return _resolve(connection, order_ids, now, SkuRules.from_config(config), account_id)


def resolve_external_orders(
    connection: Connection,
    *,
    account_id: str,
    channel: str,
    external_ids: Iterable[str],
    now: datetime,
    config: MatchingConfig | None = None,
) -> ResolveCounts:
    """:func:`resolve_orders` for orders named by the channel's order ids."""
    ids: list[int] = []
    for chunk in _chunks(list(external_ids)):
        ids.extend(
            connection.execute(
                select(ORDERS.c.id).where(
                    ORDERS.c.account_id == account_id, ORDERS.c.external_id.in_(chunk)
                )
            ).scalars()
        )
    return resolve_orders(
        connection, account_id=account_id, channel=channel, order_ids=ids, now=now, config=config
    )


def resolve_order_ids(
    connection: Connection,
    order_ids: Iterable[int],
    *,
    now: datetime,
    config: MatchingConfig | None = None,
) -> ResolveCounts:
    """Resolve the lines of any orders (of any accounts): re-resolution after a change."""
    return _resolve(connection, list(order_ids), now, SkuRules.from_config(config), None, lock=True)


def reresolve_waiting(
    connection: Connection, *, now: datetime, config: MatchingConfig | None = None
) -> ResolveCounts:
    """Resolve again every order awaiting a mapping (after the catalog grew)."""
    ids = connection.execute(select(ORDERS.c.id).where(ORDERS.c.awaiting_mapping)).scalars()
    return resolve_order_ids(connection, list(ids), now=now, config=config)


def reresolve_waiting_that_match(
    connection: Connection, *, now: datetime, config: MatchingConfig | None = None
) -> ResolveCounts:
    """Resolve again the orders awaiting a mapping of which an unresolved line now
    resolves (after the catalog grew; the catalog sync's pass).

    The lines still unresolved are tried against the new index first, each SKU once (the
    index's memo), and only the orders that one of them releases go through the full
    pass. A worker with hundreds of shops, each syncing its catalog, re-resolved every
    waiting order of the store at every catalog change (bench/bench_accounts.py). The
    other waiting orders are left as they are, with their resolved lines: a catalog
    change never rewrites a resolved line (it only adds SKUs and identifiers)."""
    rules = SkuRules.from_config(config)
    index = index_for(connection, rules)
    resolution = RESOLUTIONS.c
    unresolved = (
        select(ORDERS.c.id, ORDERS.c.account_id, ORDERS.c.channel, LINES.c.sku, LINES.c.identifiers)
        .join(LINES, LINES.c.order_id == ORDERS.c.id)
        .outerjoin(
            RESOLUTIONS,
            (resolution.order_id == LINES.c.order_id)
            & (resolution.line_external_id == LINES.c.external_id),
        )
        .where(
            ORDERS.c.awaiting_mapping,
            resolution.method.is_(None) | (resolution.method == Method.UNRESOLVED.value),
        )
    )
    released = {
        row.id
        for row in connection.execute(unresolved)
        if index.resolve(row.account_id, row.channel, row.sku, row.identifiers).resolved
    }
    return _resolve(connection, sorted(released), now, rules, None, lock=True)


def reresolve_keys(
    connection: Connection,
    keys: Iterable[str],
    *,
    now: datetime,
    config: MatchingConfig | None = None,
) -> ResolveCounts:
    """Resolve again every order with a line whose normalised SKU is one of ``keys``
    (after a mapping of those SKUs changed); frozen orders keep their resolved lines."""
    ids: set[int] = set()
    for chunk in _chunks(sorted(set(keys))):
        ids.update(
            connection.execute(
                select(RESOLUTIONS.c.order_id).where(RESOLUTIONS.c.sku_key.in_(chunk)).distinct()
            ).scalars()
        )
    return resolve_order_ids(connection, sorted(ids), now=now, config=config)


def resolve_all(
    connection: Connection,
    *,
    now: datetime,
    config: MatchingConfig | None = None,
    open_only: bool = False,
) -> ResolveCounts:
    """Resolve every stored order (``open_only``: all but shipped, cancelled and refunded
    ones), e.g. after the strip rules changed or for orders stored before matching."""
    query = select(ORDERS.c.id).order_by(ORDERS.c.id)
    if open_only:
        query = query.where(ORDERS.c.status.not_in(sorted(FROZEN_STATUSES)))
    ids = list(connection.execute(query).scalars())
    return resolve_order_ids(connection, ids, now=now, config=config)


# -- the pass ---------------------------------------------------------------------------------

_Key = tuple[int, str]
_Stored = tuple[str | None, str, int | None, str | None, str | None]
_Parts = tuple[tuple[str, int, str | None], ...]


def _chunks(items: Sequence[Any], size: int = _BATCH) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _resolve(
    connection: Connection,
    order_ids: Sequence[int],
    now: datetime,
    rules: SkuRules,
    account_id: str | None,
    *,
    lock: bool = False,
) -> ResolveCounts:
    counts = ResolveCounts()
    unique = sorted(set(order_ids))
    if not unique:
        return counts
    index = index_for(connection, rules)
    for chunk in _chunks(unique):
        counts.add(_resolve_chunk(connection, chunk, now, index, account_id=account_id, lock=lock))
    return counts


def page_index(connection: Connection, config: MatchingConfig | None = None) -> MatchingIndex:
    """The index one page is matched against, read once for the page: its
    :func:`awaiting_flags` before the write and :func:`resolve_written` after it."""
    return index_for(connection, SkuRules.from_config(config))


def awaiting_flags(
    index: MatchingIndex, account_id: str, channel: str, orders: Iterable[IncomingOrder]
) -> dict[str, bool]:
    """Whether each order of a page will await a mapping (by external id), from its draft
    alone: for ``ingest_page`` to insert new orders with the flag already right.

    Exact for a new order (it has no stored resolution); for a changed order the
    resolution after the write has the last word, as it does for any flag written
    (:func:`resolve_written` updates each order whose flag turns out different)."""
    resolve = index.resolve
    return {
        item.draft.external_id: any(
            not resolve(account_id, channel, line.sku, line.identifiers or None).resolved
            for line in item.draft.lines
        )
        for item in orders
    }


def resolve_written(
    connection: Connection,
    *,
    account_id: str,
    channel: str,
    orders: Sequence[WrittenOrder],
    now: datetime,
    config: MatchingConfig | None = None,
    index: MatchingIndex | None = None,
    batch: statements.Batch | None = None,
) -> ResolveCounts:
    """:func:`resolve_orders` for the orders ``ingest_page`` just created or changed
    (``IngestCounts.stored``), from what the page writer already holds: the lines, status
    and flag of every order come from its draft, so only a changed order's previous
    resolutions are read back (a new order has none). The sync engine's per-page call;
    ``index`` is the page's :func:`page_index` when the caller already has it; it must
    when it passes its ``batch`` (:func:`~orderhub.store.statements.batch`: the index is
    read outside it)."""
    counts = ResolveCounts()
    if not orders:
        return counts
    if index is None:
        index = page_index(connection, config)
    with statements.batch(connection, batch) as sender:
        for chunk in _chunks(orders):
            counts.add(
                _resolve_written(
                    sender, chunk, account_id=account_id, channel=channel, now=now, index=index
                )
            )
    return counts


def _resolve_written(
    batch: statements.Batch,
    chunk: Sequence[WrittenOrder],
    *,
    account_id: str,
    channel: str,
    now: datetime,
    index: MatchingIndex,
) -> ResolveCounts:
    targets = {
        order.order_id: _Target(account_id, channel, order.draft.status.value, order.awaiting)
        for order in chunk
    }
    lines = [
        (order.order_id, line.external_id, line.sku, line.quantity, line.identifiers or None)
        for order in chunk
        for line in order.draft.lines
    ]
    changed = [order.order_id for order in chunk if not order.new]
    stored, parts = _read_stored(batch, changed) if changed else ({}, {})
    return _apply(batch, targets, lines=lines, stored=stored, parts=parts, now=now, index=index)


@dataclass(frozen=True, slots=True)
class _Target:
    """An order being resolved, as the pass needs it."""

    account_id: str
    channel: str
    status: str
    awaiting: bool


# (order id, the channel's line id, SKU, quantity, the line's channel ids)
_Line = tuple[int, str, str | None, int, Mapping[str, str] | None]


def _read_stored(
    batch: statements.Batch, order_ids: Sequence[int]
) -> tuple[dict[_Key, _Stored], dict[_Key, list[tuple[str, int, str | None]]]]:
    """The current resolutions of the orders' lines, and their components."""
    sql = batch.sql
    stored: dict[_Key, _Stored] = {
        (row[0], row[1]): (row[2], row[3], row[4], row[5], row[6])
        for row in batch.query(*sql.stored_resolutions(order_ids))
    }
    parts: dict[_Key, list[tuple[str, int, str | None]]] = {}
    if stored:
        for row in batch.query(*sql.stored_components(order_ids)):
            parts.setdefault((row[0], row[1]), []).append((row[2], row[3], row[4]))
    return stored, parts


def _resolve_chunk(
    connection: Connection,
    order_ids: Sequence[int],
    now: datetime,
    index: MatchingIndex,
    *,
    account_id: str | None,
    lock: bool,
) -> ResolveCounts:
    query = select(
        ORDERS.c.id,
        ORDERS.c.account_id,
        ORDERS.c.channel,
        ORDERS.c.status,
        ORDERS.c.awaiting_mapping,
    ).where(ORDERS.c.id.in_(order_ids))
    if account_id is not None:
        query = query.where(ORDERS.c.account_id == account_id)
    if lock and connection.dialect.name == "postgresql":
        # Re-resolution (a mapping or catalog change) may meet a worker writing the same
        # order: wait for its page to commit, then read what it wrote. (The worker holds
        # these rows already, from the ingest of its page; SQLite runs one writer at a time.)
        query = query.order_by(ORDERS.c.id).with_for_update(of=ORDERS)
    orders = {
        row.id: _Target(row.account_id, row.channel, row.status, bool(row.awaiting_mapping))
        for row in connection.execute(query)
    }
    if not orders:
        return ResolveCounts()
    ids = list(orders)
    lines: list[_Line] = [
        (row.order_id, row.external_id, row.sku, row.quantity, row.identifiers)
        for row in connection.execute(
            select(
                LINES.c.order_id,
                LINES.c.external_id,
                LINES.c.sku,
                LINES.c.quantity,
                LINES.c.identifiers,
            ).where(LINES.c.order_id.in_(ids))
        )
    ]
    with statements.batch(connection) as batch:
        stored, parts = _read_stored(batch, ids)
        return _apply(batch, orders, lines=lines, stored=stored, parts=parts, now=now, index=index)


def _apply(
    batch: statements.Batch,
    orders: dict[int, _Target],
    *,
    lines: Iterable[_Line],
    stored: dict[_Key, _Stored],
    parts: dict[_Key, list[tuple[str, int, str | None]]],
    now: datetime,
    index: MatchingIndex,
) -> ResolveCounts:
    """Resolve ``lines`` against ``index``, then write what changed in bulk: one
    ``executemany`` per statement (deletes, resolutions, components, flags)."""
    sql = batch.sql
    resolved_at = sql.time(now)
    counts = ResolveCounts()
    waiting: dict[int, bool] = dict.fromkeys(orders, False)
    seen: set[_Key] = set()
    rewrite: list[_Key] = []
    new_resolutions: list[tuple[Any, ...]] = []
    new_parts: list[tuple[Any, ...]] = []
    resolve, sku_key = index.resolve, index.sku_key
    for order_id, line_id, sku, quantity, identifiers in lines:
        order = orders[order_id]
        key: _Key = (order_id, line_id)
        seen.add(key)
        counts.lines += 1
        before = stored.get(key)
        if (
            before is not None
            and before[1] != Method.UNRESOLVED
            and order.status in FROZEN_STATUSES
        ):
            counts.kept += 1
            counts.resolved += 1
            continue
        result = resolve(order.account_id, order.channel, sku, identifiers)
        if result.resolved:
            counts.resolved += 1
        else:
            counts.unresolved += 1
            waiting[order_id] = True
        after: _Stored = (
            sku_key(sku) if sku else None,
            result.method.value,
            result.mapping_id,
            result.scope,
            result.matched,
        )
        components: _Parts = (
            tuple((part.sku, part.quantity * quantity, part.via) for part in result.components)
            if result.components
            else ()  # an unresolved line: no generator to set up
        )
        if before is not None:
            if before == after and tuple(parts.get(key, ())) == components:
                continue
            rewrite.append(key)
        counts.written += 1
        new_resolutions.append((order_id, line_id, *after, resolved_at))
        new_parts.extend(
            (order_id, line_id, position, *component)
            for position, component in enumerate(components, start=1)
        )
    # Lines the channel removed from an order leave their resolution behind: drop it.
    rewrite.extend(key for key in stored if key not in seen)
    batch.executemany(sql.delete_component, rewrite)
    batch.executemany(sql.delete_resolution, rewrite)
    batch.insert("insert_resolutions", new_resolutions)
    batch.insert("insert_components", new_parts)

    flags: dict[bool, list[int]] = {True: [], False: []}
    for order_id, order in orders.items():
        now_waiting = waiting[order_id]
        if now_waiting:
            counts.awaiting += 1
        if order.awaiting != now_waiting:
            flags[now_waiting].append(order_id)
            if not now_waiting:
                counts.released += 1
    # At most two statements a page: the orders now awaiting a mapping, and those released.
    for flag, ids in flags.items():
        if ids:
            batch.send(*sql.set_awaiting(flag, ids))
    counts.orders += len(orders)
    return counts
