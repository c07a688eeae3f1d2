"""Real stores for tests: a SQLite file, or a throw-away schema on a PostgreSQL server.

Tests run against the real databases, never a mock of the store. PostgreSQL is used when
``ORDERHUB_TEST_DATABASE_URL`` names a server (CI sets it); each store gets a schema of its
own, dropped afterwards, so parallel and repeated runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from orderhub.store.db import make_engine, upgrade

TEST_DATABASE_ENV = "ORDERHUB_TEST_DATABASE_URL"
POSTGRES_SKIP_REASON = (
    f"{TEST_DATABASE_ENV} is not set, so the PostgreSQL tests are skipped; set it to a "
    "server you can create schemas on, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_url() -> str | None:
    value = os.environ.get(TEST_DATABASE_ENV, "").strip()
    if not value:
        return None
    url = make_url(value)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


@contextmanager
def temporary_store(kind: str, directory: Path) -> Iterator[Engine]:
    """A migrated, empty store of ``kind`` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{directory / 'orderhub-test.db'}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    url = postgres_url()
    if url is None:
        raise RuntimeError(POSTGRES_SKIP_REASON)
    with temporary_schema(url) as engine:
        yield engine


@contextmanager
def temporary_schema(url: str, *, prefix: str = "orderhub_test") -> Iterator[Engine]:
    """A migrated store in a throw-away schema of the PostgreSQL server at ``url``, dropped
    afterwards (tests and benchmarks share one server without seeing each other)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
