"""orderhub's pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:

``store_engine``
    A migrated, empty store, parametrized over SQLite and PostgreSQL (the PostgreSQL case
    skips with a clear reason unless ``ORDERHUB_TEST_DATABASE_URL`` is set).
``sqlite_engine``
    The SQLite case alone.
``fake_clock``
    A :class:`orderhub.testing.FakeClock`.
``update_golden``
    True when golden files should be rewritten instead of compared.

Option ``--update-golden``: golden-file tests (the conformance kit's and any test reading
``ORDERHUB_UPDATE_GOLDEN``) rewrite their files from the current output; review the diff.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from orderhub.testing.clock import FakeClock
from orderhub.testing.db import POSTGRES_SKIP_REASON, postgres_url, temporary_store
from orderhub.testing.kit.golden import UPDATE_GOLDEN_ENV, update_golden_requested


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("orderhub")
    group.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        dest="update_golden",
        help=f"rewrite golden files from the current output (same as {UPDATE_GOLDEN_ENV}=1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "postgres: needs ORDERHUB_TEST_DATABASE_URL (a PostgreSQL server)"
    )
    if config.getoption("update_golden", False):
        # One switch for every golden test: tests that read the variable at import time
        # (before any fixture runs) see it too.
        os.environ[UPDATE_GOLDEN_ENV] = "1"


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


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return update_golden_requested(bool(request.config.getoption("update_golden", False)))
