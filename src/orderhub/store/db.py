"""Engine creation and schema migrations.

SQLite (the default) runs in WAL mode with a busy timeout, and every transaction starts
with ``BEGIN IMMEDIATE`` so two writers queue for the lock instead of failing halfway with
"database is locked". Reads that write nothing go through :func:`reading`: a deferred
``BEGIN`` that takes no write lock (WAL readers never wait for a writer, nor hold one up).
PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import select
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from orderhub.files import private_file

MIGRATIONS = Path(__file__).parent / "migrations"
#: Execution option of a connection whose transactions only read (see :func:`reading`).
READ_ONLY = "orderhub_read_only"
#: A pooled PostgreSQL connection handed back this recently (seconds), with nothing from the
#: server waiting on its socket, is handed out again without a ping (see _ping_when_in_doubt).
QUIET_REUSE = 2.0
_CHECKED_IN = "orderhub_checked_in"


class SchemaOutOfDateError(RuntimeError):
    """The database has not been migrated to this version of orderhub."""

    def __init__(self, current: str | None, head: str) -> None:
        state = "is empty" if current is None else f"is at revision {current}"
        super().__init__(
            f"The database {state}; this orderhub needs revision {head}. "
            "Fix: run `orderhub db upgrade`."
        )


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with orderhub's connection settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            # Created 0600 before SQLite opens it: SQLite gives the WAL and SHM files the
            # database file's mode, so all three stay private whatever the umask.
            private_file(Path(database).expanduser())
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _tune_sqlite(engine)
        return engine
    # A pull holds one connection for its account lock and takes a second for each of its
    # transactions, so the worker's pull pool needs about two per busy thread (SQLAlchemy's
    # default of 5 + 10 made pull threads queue for connections, bench/bench_accounts.py).
    # Connections beyond pool_size are opened only when needed and closed after use.
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 30)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_in_doubt(engine)
    return engine


def _ping_when_in_doubt(engine: Engine) -> None:
    """Check a pooled connection before handing it out, as SQLAlchemy's ``pool_pre_ping``
    does, but only when it may have gone: when it sat in the pool longer than
    :data:`QUIET_REUSE`, or when the server sent it something while it sat there (a server
    that shuts down or ends the session says so and closes the socket). A connection
    that fails the ping is replaced before anyone uses it.

    The ping is a round trip (and the transaction it opens one more), which the page
    writer paid on every page it wrote, the same connection back from the pool
    milliseconds after it went in (``bench/bench_ingest.py``)."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_CHECKED_IN, None)
        if since is None:  # just opened
            return
        if time.monotonic() - since < QUIET_REUSE and not _has_input(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool discards it and opens another (up to three times).
            raise DisconnectionError("the pooled connection is gone") from exc


def _has_input(dbapi_connection: Any) -> bool:
    """Whether the server sent an idle connection anything (or closed it)."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except Exception:  # closed, or no socket at all: in doubt
        return True
    return bool(readable)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below open transactions, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def hold_store_lock(connection: Connection, name: str) -> None:
    """On PostgreSQL, wait for the store's lock ``name`` and hold it until the caller's
    transaction ends, so writers that read before they insert (a catalog upsert) take
    turns instead of failing on each other's new rows. The store's schema is part of the
    key: two stores in one database never wait for each other. SQLite needs none: a write
    transaction there holds the whole file (``BEGIN IMMEDIATE``)."""
    if connection.dialect.name != "postgresql":
        return
    schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
    key = zlib.crc32(f"orderhub:{name}:{schema}".encode())
    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (key,))


@contextmanager
def replayable(engine: Engine) -> Iterator[Connection]:
    """A write transaction whose loss in a crash of the database server costs nothing
    but a re-read: a pull's page with its cursor, and the pull's own ``sync_runs`` row.

    On PostgreSQL its commit does not wait for the WAL to reach the disk
    (``synchronous_commit = off`` for this transaction alone). A server crash can lose the
    last such commits (at most about three ``wal_writer_delay``, 600 ms by default), whole
    and in commit order, never part of one: the cursor goes back with its page and the next
    run reads the page again. Everything else (shipments, pushes, mappings, leases) keeps
    the server's durable commit, and a durable commit makes every earlier one durable too.
    SQLite makes the same trade for every commit (WAL with ``synchronous=NORMAL``). On a
    server whose disk takes tens of milliseconds per flush, the flushes were most of the
    time of a page commit (``bench/bench_ingest.py``'s PostgreSQL baseline moved between
    6 and 10 s with the disk's load)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        yield connection


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A transaction that only reads: on SQLite a deferred ``BEGIN`` (one consistent
    snapshot, no write lock, so the pulls' writes go on beside it); on PostgreSQL a
    ``READ ONLY`` transaction. Writing inside it fails on PostgreSQL and may fail with
    "database is locked" on SQLite: write in an ``engine.begin()`` of its own."""
    with (
        engine.connect().execution_options(**{READ_ONLY: True}) as connection,
        connection.begin(),
    ):
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        yield connection


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (idempotent)."""
    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(_alembic_config(engine), revision)


def ensure_current(engine: Engine) -> None:
    """Raise :class:`SchemaOutOfDateError` unless the schema is at the newest revision."""
    head = head_revision()
    current = current_revision(engine)
    if current != head:
        raise SchemaOutOfDateError(current, head)
