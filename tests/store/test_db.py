"""The store's transaction kinds on the real databases."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from orderhub.store.db import replayable


def _commit_mode(connection: Connection) -> str:
    return str(connection.exec_driver_sql("SHOW synchronous_commit").scalar_one())


def test_a_replayable_transaction_commits_what_it_wrote(store_engine: Engine) -> None:
    with replayable(store_engine) as connection:
        connection.execute(
            text(
                "INSERT INTO sync_cursors (account_id, stream, position, updated_at) VALUES "
                "('shop', 'orders', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')"
            )
        )
    with pytest.raises(RuntimeError), replayable(store_engine) as connection:
        connection.execute(text("DELETE FROM sync_cursors"))
        raise RuntimeError("the page failed")
    with store_engine.connect() as connection:
        stored = connection.execute(text("SELECT account_id FROM sync_cursors")).scalars().all()
    assert stored == ["shop"]


@pytest.mark.parametrize("store_engine", ["postgresql"], indirect=True)
def test_only_the_replayable_transaction_skips_the_wal_flush(store_engine: Engine) -> None:
    with replayable(store_engine) as connection:
        backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        assert _commit_mode(connection) == "off"
    # The setting went with the transaction: every pooled connection, the one that ran it
    # among them, commits durably again.
    held = [store_engine.connect() for _ in range(store_engine.pool.checkedin())]  # type: ignore[attr-defined]
    try:
        backends = {}
        for connection in held:
            with connection.begin():
                pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
                backends[pid] = _commit_mode(connection)
    finally:
        for connection in held:
            connection.close()
    assert backend in backends
    assert set(backends.values()) == {"on"}


def _backend(engine: Engine) -> int:
    with engine.begin() as connection:
        return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


@pytest.mark.parametrize("store_engine", ["postgresql"], indirect=True)
def test_a_pooled_connection_the_server_ended_is_replaced_before_use(
    store_engine: Engine,
) -> None:
    # Handed back a moment ago, so no ping is due for its age: what the server sent as it
    # ended the session is what gives it away.
    ended = _backend(store_engine)
    outside = create_engine(store_engine.url)
    try:
        with outside.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": ended})
    finally:
        outside.dispose()
    assert store_engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    assert _backend(store_engine) != ended


@pytest.mark.parametrize("store_engine", ["postgresql"], indirect=True)
def test_only_a_connection_in_doubt_is_pinged(
    store_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orderhub.store import db

    pings: list[object] = []
    dialect = store_engine.dialect
    monkeypatch.setattr(dialect, "do_ping", lambda dbapi_connection: pings.append(1) or True)
    _backend(store_engine)
    _backend(store_engine)
    assert pings == []  # back from the pool at once, and nothing waiting on its socket
    monkeypatch.setattr(db, "QUIET_REUSE", 0.0)
    _backend(store_engine)
    assert pings == [1]  # idle longer than QUIET_REUSE: pinged first
