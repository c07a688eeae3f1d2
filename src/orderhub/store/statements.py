"""The ingest hot path's statements as plain SQL, and its values as the driver takes them.

SQLAlchemy processes every bound value of every row on its way to the driver (type
decorators, JSON serialisation, parameter dictionaries), which cost about as much as the
database's own work for a page of orders. The page writer and the SKU resolver therefore
run these statements on the driver's own cursors (a :func:`batch`; single reads through
``Connection.exec_driver_sql``): the SQL text is written once per dialect, the values are
converted here in one step per column kind, and the driver gets plain tuples.

The values are exactly what the store's column types would have bound (see
:mod:`orderhub.store.types`), so a row written here is identical to one written through
SQLAlchemy: UTC times as ``YYYY-MM-DD HH:MM:SS.ffffff`` text and money as text on SQLite,
``timestamptz`` and ``numeric`` on PostgreSQL, JSON columns as ``json.dumps`` text (``null``
for None, as SQLAlchemy's JSON type writes it).
"""

# Only column names and placeholders are formatted into SQL text here, never a value.
# ruff: noqa: S608

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

#: Columns of ``orders`` the page writer binds, in order.
ORDER_COLUMNS = (
    "account_id",
    "channel",
    "external_id",
    "display_id",
    "marketplace",
    "status",
    "channel_status",
    "fulfilled_by_channel",
    "currency",
    "total",
    "placed_at",
    "channel_updated_at",
    "buyer",
    "ship_to",
    "raw",
    "content_hash",
    "first_seen_at",
    "last_changed_at",
    "awaiting_mapping",
)
#: Columns an upsert leaves as they were: the key, the first sighting, and the order's
#: awaiting-a-mapping flag (a new order gets it in its insert, from the page's SKU matching;
#: a changed one keeps it until its lines are resolved again in the same transaction).
_KEPT = ("account_id", "external_id", "first_seen_at", "awaiting_mapping")
LINE_COLUMNS = (
    "order_id",
    "position",
    "external_id",
    "sku",
    "title",
    "quantity",
    "quantity_shipped",
    "unit_price",
    "total",
    "identifiers",
)
EVENT_COLUMNS = (
    "order_id",
    "account_id",
    "kind",
    "from_status",
    "to_status",
    "channel_status",
    "occurred_at",
    "recorded_at",
    "run_id",
)
RESOLUTION_COLUMNS = (
    "order_id",
    "line_external_id",
    "sku_key",
    "method",
    "mapping_id",
    "scope",
    "matched",
    "resolved_at",
)
COMPONENT_COLUMNS = ("order_id", "line_external_id", "position", "catalog_sku", "quantity", "via")
QUARANTINE_COLUMNS = (
    "account_id",
    "channel",
    "external_id",
    "reason",
    "raw",
    "payload_hash",
    "first_seen_at",
    "last_seen_at",
    "seen_count",
    "run_id",
)

#: PostgreSQL array types of the bound columns, for the one-statement bulk form.
_PG_TYPES = {
    "fulfilled_by_channel": "boolean",
    "awaiting_mapping": "boolean",
    "total": "numeric",
    "unit_price": "numeric",
    "placed_at": "timestamptz",
    "channel_updated_at": "timestamptz",
    "first_seen_at": "timestamptz",
    "last_changed_at": "timestamptz",
    "occurred_at": "timestamptz",
    "recorded_at": "timestamptz",
    "resolved_at": "timestamptz",
    "buyer": "json",
    "ship_to": "json",
    "identifiers": "json",
    "order_id": "bigint",
    "mapping_id": "bigint",
    "run_id": "bigint",
    "position": "integer",
    "quantity": "integer",
    "quantity_shipped": "integer",
}


def _sqlite_time(value: datetime) -> str:
    zone = value.tzinfo
    if zone is None:
        raise ValueError("naive datetime given to a UTC column")
    if zone is not UTC:  # drafts' times are UTC already (validate_order): no conversion
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _postgres_time(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


def _sqlite_stored_time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _sqlite_money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _postgres_money(value: Decimal | None) -> Decimal | None:
    return value


#: A string as json.dumps writes it (quoted, non-ASCII escaped); TypeError for non-text.
quoted_text: Callable[[str], str] = encode_basestring_ascii


def json_text(value: Any) -> str:
    """A JSON column's value as SQLAlchemy's JSON type binds it (None is JSON ``null``)."""
    if type(value) is dict:
        # An object of text (an address, a line's ids), written as json.dumps writes it
        # (its ASCII escaping, ", " and ": ") without setting up an encoder for each one:
        # twice as fast, and this runs for two addresses and every line of every order.
        try:
            return (
                "{"
                + ", ".join([quoted_text(k) + ": " + quoted_text(v) for k, v in value.items()])
                + "}"
            )
        except TypeError:  # a value that is not text: json.dumps says how it is written
            pass
    return json.dumps(value)


@dataclass(frozen=True, slots=True)
class Dialect:
    """The SQL text and value converters of one database."""

    name: str
    mark: str
    time: Callable[[datetime], Any]
    #: A UTC time as the driver reads it back from a column (``time``'s inverse).
    stored_time: Callable[[Any], datetime]
    money: Callable[[Decimal | None], Any]
    upsert_order: str
    insert_lines: str
    insert_events: str
    insert_resolutions: str
    insert_components: str
    delete_resolution: str
    delete_component: str
    upsert_cursor: str
    #: A quarantined record seen again counts once more and is open again.
    upsert_quarantine: str
    #: The page writes as one statement each on PostgreSQL (``INSERT .. SELECT FROM
    #: unnest(array, ..)``): one round trip and one statement for the whole page, where
    #: ``executemany`` (even pipelined) costs the server a statement per row.
    bulk: dict[str, str]
    #: The orders' upsert answering each written order's ``(external_id, id)``, where the
    #: page writer reads the ids from it instead of selecting them (PostgreSQL's bulk form;
    #: ``executemany`` on SQLite returns no rows).
    upsert_order_returning: str | None = None

    def marks(self, count: int) -> str:
        """``?, ?, ?`` (or ``%s, ..``) for an ``IN`` list of ``count`` values."""
        return _marks(self.mark, count)

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column IN (..)`` for ``values`` and its parameters. PostgreSQL gets one array
        parameter, so the statement's text (and the server's prepared plan) is the same
        whatever the page's size."""
        if self.name == "postgresql":
            return f"{column} = ANY({self.mark})", [list(values)]
        return f"{column} IN ({self.marks(len(values))})", list(values)

    # Only column names and placeholders are ever put into the text below; every value is
    # a bound parameter.

    def page_orders(self, account_id: str, external_ids: Sequence[str]) -> tuple[str, list[Any]]:
        """What the store holds of a page's orders: the classification's columns."""
        return self._by_external_id(
            "external_id, id, content_hash, status, channel_updated_at, awaiting_mapping",
            account_id,
            external_ids,
        )

    def order_ids(self, account_id: str, external_ids: Sequence[str]) -> tuple[str, list[Any]]:
        return self._by_external_id("external_id, id", account_id, external_ids)

    def _by_external_id(
        self, columns: str, account_id: str, external_ids: Sequence[str]
    ) -> tuple[str, list[Any]]:
        """``columns`` of one account's orders named by the channel's ids.

        On PostgreSQL each id is looked up on its own (``unnest``, then a lateral equality
        on both columns, kept apart from the join by its ``LIMIT``), which only the
        (account, external id) unique index answers. As
        ``external_id = ANY(..)``, or as a join of the ids, the planner,
        before the table's first ANALYZE (a backfill into a new store), read every order
        of the account through the account's index and filtered them: 3.4 ms instead of
        0.3 ms a page at 5,000 orders, growing with the store."""
        if self.name == "postgresql":
            sql = (
                f"SELECT o.* FROM unnest({self.mark}::text[]) AS page(external_id)"
                f" CROSS JOIN LATERAL (SELECT {columns} FROM orders"
                f" WHERE account_id = {self.mark} AND external_id = page.external_id LIMIT 1) AS o"
            )
            return sql, [list(external_ids), account_id]
        clause, values = self.in_list("external_id", external_ids)
        sql = f"SELECT {columns} FROM orders WHERE account_id = {self.mark} AND {clause}"
        return sql, [account_id, *values]

    def delete_lines(self, order_ids: Sequence[int]) -> tuple[str, list[Any]]:
        clause, values = self.in_list("order_id", order_ids)
        return f"DELETE FROM order_lines WHERE {clause}", values

    def resolve_quarantine(
        self, now: Any, account_id: str, external_ids: Sequence[str]
    ) -> tuple[str, list[Any]]:
        clause, values = self.in_list("external_id", external_ids)
        sql = (
            f"UPDATE quarantine SET resolved_at = {self.mark} WHERE account_id = {self.mark}"
            f" AND {clause} AND resolved_at IS NULL"
        )
        return sql, [now, account_id, *values]

    def revision(self) -> str:
        """The matching revision token (read once per page, so plain SQL)."""
        return "SELECT token FROM matching_revision WHERE id = 1"

    def set_awaiting(self, flag: bool, order_ids: Sequence[int]) -> tuple[str, list[Any]]:
        clause, values = self.in_list("id", order_ids)
        return f"UPDATE orders SET awaiting_mapping = {self.mark} WHERE {clause}", [flag, *values]

    def stored_resolutions(self, order_ids: Sequence[int]) -> tuple[str, list[Any]]:
        clause, values = self.in_list("order_id", order_ids)
        sql = (
            "SELECT order_id, line_external_id, sku_key, method, mapping_id, scope, matched"
            f" FROM line_resolutions WHERE {clause}"
        )
        return sql, values

    def stored_components(self, order_ids: Sequence[int]) -> tuple[str, list[Any]]:
        clause, values = self.in_list("order_id", order_ids)
        sql = (
            "SELECT order_id, line_external_id, catalog_sku, quantity, via"
            f" FROM line_components WHERE {clause}"
            " ORDER BY order_id, line_external_id, position"
        )
        return sql, values


@functools.cache
def _marks(mark: str, count: int) -> str:
    return ", ".join([mark] * count)


def _unnest(insert: str, columns: Sequence[str]) -> str:
    """``insert`` (an ``INSERT .. VALUES (%s, ..) [ON CONFLICT ..]``) reading one array
    per column instead of one row of values."""
    head, _, rest = insert.partition(" VALUES (")
    _, _, tail = rest.partition(")")
    # %b: the arrays go in binary, each element by the driver's C dumper; as text they are
    # quoted and escaped element by element in Python (measured: 2.6 ms instead of 1.0 ms
    # for a page's 166 lines).
    arrays = ", ".join(f"%b::{_PG_TYPES.get(column, 'text')}[]" for column in columns)
    return f"{head} SELECT * FROM unnest({arrays}){tail}"


def _insert(table: str, columns: Sequence[str], mark: str) -> str:
    names, marks = ", ".join(columns), _marks(mark, len(columns))
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"


def _delete_line_rows(table: str, mark: str) -> str:
    return f"DELETE FROM {table} WHERE order_id = {mark} AND line_external_id = {mark}"


@functools.cache
def dialect(name: str) -> Dialect:
    """The statements of dialect ``name`` ("sqlite" or "postgresql"), built once."""
    postgres = name == "postgresql"
    mark = "%s" if postgres else "?"
    updated = [c for c in ORDER_COLUMNS if c not in _KEPT]
    upsert_order = (
        _insert("orders", ORDER_COLUMNS, mark)
        + " ON CONFLICT (account_id, external_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in updated)
        # orderhub's conflict rule: only a different and not older snapshot replaces one.
        + " WHERE orders.content_hash != excluded.content_hash"
        " AND orders.channel_updated_at <= excluded.channel_updated_at"
    )
    inserts = {
        "upsert_order": (upsert_order, ORDER_COLUMNS),
        "insert_lines": (_insert("order_lines", LINE_COLUMNS, mark), LINE_COLUMNS),
        "insert_events": (_insert("order_events", EVENT_COLUMNS, mark), EVENT_COLUMNS),
        "insert_resolutions": (
            _insert("line_resolutions", RESOLUTION_COLUMNS, mark),
            RESOLUTION_COLUMNS,
        ),
        "insert_components": (
            _insert("line_components", COMPONENT_COLUMNS, mark),
            COMPONENT_COLUMNS,
        ),
    }
    # The orders go as arrays too: in binary, a payload's JSON text is sent as it is, not
    # quoted into an array literal (which cost 33 ms instead of 7 ms a page as text).
    bulk = {key: _unnest(sql, columns) for key, (sql, columns) in inserts.items() if postgres}
    return Dialect(
        name=name,
        bulk=bulk,
        upsert_order_returning=(
            bulk["upsert_order"] + " RETURNING external_id, id" if postgres else None
        ),
        mark=mark,
        time=_postgres_time if postgres else _sqlite_time,
        # psycopg reads timestamptz as an aware datetime: _postgres_time is its own inverse.
        stored_time=_postgres_time if postgres else _sqlite_stored_time,
        money=_postgres_money if postgres else _sqlite_money,
        upsert_order=inserts["upsert_order"][0],
        insert_lines=inserts["insert_lines"][0],
        insert_events=inserts["insert_events"][0],
        insert_resolutions=inserts["insert_resolutions"][0],
        insert_components=inserts["insert_components"][0],
        delete_resolution=_delete_line_rows("line_resolutions", mark),
        delete_component=_delete_line_rows("line_components", mark),
        upsert_quarantine=(
            _insert("quarantine", QUARANTINE_COLUMNS, mark)
            + " ON CONFLICT (account_id, payload_hash) DO UPDATE SET"
            " last_seen_at = excluded.last_seen_at, seen_count = quarantine.seen_count + 1,"
            " reason = excluded.reason, run_id = excluded.run_id, resolved_at = NULL"
        ),
        upsert_cursor=(
            _insert("sync_cursors", ("account_id", "stream", "position", "updated_at"), mark)
            + " ON CONFLICT (account_id, stream) DO UPDATE SET position = excluded.position,"
            " updated_at = excluded.updated_at WHERE sync_cursors.position < excluded.position"
        ),
    )


def for_connection(connection: Connection) -> Dialect:
    return dialect(connection.dialect.name)


def execute(connection: Connection, sql: str, parameters: Sequence[Any] = ()) -> Any:
    """One statement with positional parameters, straight to the driver."""
    return connection.exec_driver_sql(sql, tuple(parameters))


def columns(rows: Sequence[tuple[Any, ...]]) -> tuple[list[Any], ...]:
    """``rows`` as one list per column: the parameters of a dialect's bulk statement."""
    return tuple(list(column) for column in zip(*rows, strict=True))


@dataclass(slots=True)
class Batch:
    """Statements of one transaction sent one after another, none waiting for the one
    before (see :func:`batch`). Every statement of the batch goes through it: a statement
    run through SQLAlchemy meanwhile would find no answer waiting on PostgreSQL."""

    connection: Connection
    sql: Dialect
    _cursors: list[Any] = field(default_factory=list)
    #: The statement sent last, named in an error (its parameters never are).
    _last: str = ""

    def send(self, statement: str, parameters: Sequence[Any] = ()) -> Any:
        """Send ``statement``; returns the driver's cursor, to read with :meth:`rows`."""
        cursor = self._cursor(statement)
        with self._driver_errors():
            cursor.execute(statement, tuple(parameters))
        return cursor

    def executemany(self, statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """``statement`` for every row of ``rows`` (the driver's ``executemany``)."""
        if rows:
            cursor = self._cursor(statement)
            with self._driver_errors():
                cursor.executemany(statement, rows)

    def insert(self, statement: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Write ``rows`` with the dialect's insert ``statement`` (a field name of
        :class:`Dialect`, e.g. ``"insert_lines"``): one ``unnest`` statement on PostgreSQL,
        the driver's ``executemany`` elsewhere. Either way the rows and the conflict rule
        are the same."""
        if not rows:
            return
        bulk = self.sql.bulk.get(statement)
        if bulk is None:
            self.executemany(getattr(self.sql, statement), rows)
        else:
            self.send(bulk, columns(rows))

    def rows(self, cursor: Any) -> list[Any]:
        """The rows a statement sent with :meth:`send` answered: waits for it, and so for
        everything sent before it."""
        with self._driver_errors():
            return list(cursor.fetchall())

    def query(self, statement: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """:meth:`send`, then :meth:`rows`."""
        return self.rows(self.send(statement, parameters))

    def _cursor(self, statement: str) -> Any:
        cursor = self.connection.connection.cursor()
        self._cursors.append(cursor)
        self._last = statement
        return cursor

    @contextmanager
    def _driver_errors(self) -> Iterator[None]:
        driver_error = self.connection.dialect.loaded_dbapi.Error
        try:
            yield
        except driver_error as exc:
            # The exception SQLAlchemy would raise (callers tell refusals by it), without
            # the parameters: they are buyer data. In a pipeline the statement that failed
            # may be any one sent so far.
            raise DBAPIError.instance(self._last, None, exc, driver_error) from exc

    def _close(self) -> None:
        for cursor in self._cursors:
            cursor.close()
        self._cursors.clear()


@contextmanager
def batch(connection: Connection, joined: Batch | None = None) -> Iterator[Batch]:
    """A :class:`Batch` on the connection's current transaction (``joined``, the caller's
    own, where it has one open already).

    On PostgreSQL its statements go in psycopg's pipeline mode: each is sent as soon as it
    is ready and the server works through them while the page writer gets the next one
    ready, instead of a round trip per statement with the writer idle in each (the
    server's part is most of a page's write). Leaving the block waits for all of them,
    so an error any of them met is raised there at the latest, as SQLAlchemy's
    ``DBAPIError``; the transaction then fails whole, as it would have statement by
    statement. Elsewhere each statement runs when it is sent."""
    if joined is not None:
        yield joined
        return
    sender = Batch(connection, for_connection(connection))
    try:
        if connection.dialect.name != "postgresql":
            yield sender
            return
        pipeline = connection.connection.driver_connection.pipeline()  # type: ignore[union-attr]
        pipeline.__enter__()
        try:
            yield sender
        except BaseException:
            # Out of pipeline mode without a second report of what failed (the server
            # answers every statement after a failed one with "pipeline aborted").
            with suppress(Exception):
                pipeline.__exit__(None, None, None)
            raise
        with sender._driver_errors():
            pipeline.__exit__(None, None, None)
    finally:
        sender._close()
