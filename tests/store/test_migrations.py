"""The Alembic migrations own the schema: they must build exactly what the models describe."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from orderhub.store.db import (
    SchemaOutOfDateError,
    current_revision,
    downgrade,
    ensure_current,
    head_revision,
    make_engine,
    upgrade,
)
from orderhub.store.tables import metadata


def test_migrated_schema_matches_the_models(store_engine: Engine) -> None:
    with store_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_reaches_head(store_engine: Engine) -> None:
    upgrade(store_engine)
    assert current_revision(store_engine) == head_revision()
    ensure_current(store_engine)


def test_downgrade_to_base_and_back(store_engine: Engine) -> None:
    downgrade(store_engine, "base")
    assert current_revision(store_engine) is None
    upgrade(store_engine)
    assert current_revision(store_engine) == head_revision()


def test_an_unmigrated_store_is_refused_with_the_fix(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    with pytest.raises(SchemaOutOfDateError, match="orderhub db upgrade"):
        ensure_current(engine)


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
