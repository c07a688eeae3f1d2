"""``orderhub db upgrade|current``, and what every command says when the store is unusable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from orderhub.store.db import head_revision, make_engine

from .conftest import Cli, assert_clean_failure, assert_ok

UNREACHABLE = "postgresql+psycopg://nobody:pw-7f3e9a1c@127.0.0.1:1/orderhub"


def test_upgrade_creates_the_schema_then_says_it_is_current(orderhub: Cli, tmp_path: Path) -> None:
    head = head_revision()
    assert f"store: empty; this orderhub: {head}" in assert_ok(orderhub("db", "current"))

    first = assert_ok(orderhub("db", "upgrade"))
    assert f"sqlite:///orderhub.db: upgraded from empty to {head}." in first
    engine = make_engine(f"sqlite:///{tmp_path / 'orderhub.db'}")
    try:
        assert {"orders", "sync_runs", "sync_cursors", "quarantine"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()

    second = assert_ok(orderhub("db", "upgrade"))
    assert f"already at revision {head}." in second
    assert f"store: {head}; this orderhub: {head}" in assert_ok(orderhub("db", "current"))


def test_database_url_option_and_variable_choose_the_store(orderhub: Cli, tmp_path: Path) -> None:
    by_option = tmp_path / "a" / "store.db"
    assert_ok(orderhub("--database-url", f"sqlite:///{by_option}", "db", "upgrade"))
    assert by_option.exists()
    by_variable = tmp_path / "b" / "store.db"
    result = orderhub("db", "upgrade", env={"ORDERHUB_DATABASE_URL": f"sqlite:///{by_variable}"})
    assert_ok(result)
    assert by_variable.exists()
    assert not (tmp_path / "orderhub.db").exists()


@pytest.mark.parametrize("command", [["db", "upgrade"], ["db", "current"], ["orders", "list"]])
def test_an_unreachable_database_is_a_message_without_the_password(
    orderhub: Cli, command: list[str]
) -> None:
    result = orderhub("--database-url", UNREACHABLE, *command)
    output = assert_clean_failure(
        result,
        "The database at postgresql+psycopg://nobody:***@127.0.0.1:1/orderhub cannot be used",
        "Fix: Check the store URL (it comes from --database-url)",
        "that the server is up",
        code=1,
    )
    # The flag was used: the message does not send the user to the variable.
    assert "ORDERHUB_DATABASE_URL" not in output
    assert "pw-7f3e9a1c" not in output


def test_an_unreachable_database_from_the_environment(orderhub: Cli) -> None:
    result = orderhub("db", "current", env={"ORDERHUB_DATABASE_URL": UNREACHABLE})
    output = assert_clean_failure(
        result,
        "cannot be used",
        "Fix: Check the store URL (it comes from ORDERHUB_DATABASE_URL)",
        code=1,
    )
    assert "pw-7f3e9a1c" not in output


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("not a database url", "the database URL cannot be parsed"),
        ("mysql://orders:pw-7f3e9a1c@db/orders", 'the database "mysql" is not supported'),
        (
            "postgresql+asyncpg://u:pw-7f3e9a1c@db/orders",
            'the PostgreSQL driver "asyncpg" is not supported',
        ),
    ],
)
def test_a_bad_database_url_names_the_variable_and_the_fix(
    orderhub: Cli, url: str, problem: str
) -> None:
    result = orderhub("db", "upgrade", env={"ORDERHUB_DATABASE_URL": url})
    output = assert_clean_failure(
        result, "Configuration problem", f"ORDERHUB_DATABASE_URL: {problem}", "Fix:", code=2
    )
    assert "pw-7f3e9a1c" not in output
