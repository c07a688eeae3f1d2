"""orderhub's pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:

``store_engine``
    A migrated, empty store, parametrized over SQLite and PostgreSQL (the PostgreSQL case
    skips with a clear reason unless ``ORDERHUB_TEST_DATABASE_URL`` is set).
``sqlite_engine``
    The SQLite case alone.
``fake_clock``
    A :class:`orderhub.testing.FakeClock`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from orderhub.testing.clock import FakeClock
from orderhub.testing.db import POSTGRES_SKIP_REASON, postgres_url, temporary_store


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres: needs ORDERHUB_TEST_DATABASE_URL (a PostgreSQL server)"
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    kind = str(request.param)
    if kind == "postgresql" and postgres_url() is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    with temporary_store(kind, tmp_path) as engine:
        yield engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    with temporary_store("sqlite", tmp_path) as engine:
        yield engine


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
