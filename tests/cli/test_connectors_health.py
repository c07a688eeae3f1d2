"""``orderhub connectors list``, ``orderhub health`` and the root command."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from orderhub import __version__
from orderhub.store.db import make_engine, upgrade
from orderhub.store.heartbeats import HEARTBEATS, register

from .conftest import Cli, assert_clean_failure, assert_ok, table_records


def test_connectors_list_shows_woocommerce_loaded(orderhub: Cli) -> None:
    result = orderhub("connectors", "list")
    assert_ok(result)
    rows = {row["name"]: row for row in table_records(result.output)}
    woocommerce = rows["woocommerce"]
    assert woocommerce["version"] not in ("", "-")
    assert "fetch_orders" in woocommerce["capabilities"]
    assert woocommerce["status"] == "ok"


def test_connectors_list_as_json_and_csv(orderhub: Cli) -> None:
    result = orderhub("connectors", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["woocommerce"]["status"] == "ok"
    assert "fetch_orders" in rows["woocommerce"]["capabilities"]
    result = orderhub("connectors", "list", "--format", "csv")
    assert result.exit_code == 0, result.output
    header, *lines = list(csv.reader(io.StringIO(result.stdout)))
    assert header == ["name", "version", "capabilities", "package", "status"]
    assert sorted(line[0] for line in lines) == sorted(rows)
    assert orderhub("connectors", "list", "--format", "xml").exit_code == 2


def test_version_and_help(orderhub: Cli) -> None:
    assert f"orderhub {__version__}" in assert_ok(orderhub("--version"))
    result = orderhub()
    assert "Traceback" not in result.output
    for command in ("run", "sync", "status", "orders", "failures", "connectors", "config", "db"):
        assert command in result.output


def test_an_unknown_command_is_a_usage_error(orderhub: Cli) -> None:
    assert_clean_failure(orderhub("synk"), "No such command", code=2)


@pytest.fixture
def migrated(orderhub: Cli) -> Cli:
    assert_ok(orderhub("db", "upgrade"))
    return orderhub


def beat(directory: Path, age: timedelta, *, instance: str = "host:1:abcd") -> None:
    """A worker's heartbeat row in the store of ``directory``, ``age`` old."""
    engine = make_engine(f"sqlite:///{directory / 'orderhub.db'}")
    try:
        with engine.begin() as connection:
            register(connection, instance, accounts=["shop"], now=datetime.now(UTC) - age)
    finally:
        engine.dispose()


def test_health_with_a_fresh_heartbeat(migrated: Cli, tmp_path: Path) -> None:
    beat(tmp_path, timedelta(seconds=3))
    assert assert_ok(migrated("health")) == "healthy: 1 worker on this store (host:1:abcd)"


def test_health_with_a_stale_heartbeat(migrated: Cli, tmp_path: Path) -> None:
    beat(tmp_path, timedelta(minutes=10))
    output = assert_clean_failure(
        migrated("health"), "Fix: The worker is stuck or was killed", code=1
    )
    assert re.search(r"last heartbeat of a worker of the store at .* is 6\d\d s old", output)
    # The threshold is an option.
    assert_ok(migrated("health", "--max-age", "900"))


def test_health_without_a_worker_for_this_store(migrated: Cli, tmp_path: Path) -> None:
    assert_clean_failure(
        migrated("health"),
        "no worker is running for the store at sqlite:///orderhub.db",
        "Fix: Start one with `orderhub run`",
        code=1,
    )


def test_health_is_false_for_this_store_while_another_stores_worker_is_alive(
    migrated: Cli, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    engine = make_engine(f"sqlite:///{other / 'orderhub.db'}")
    upgrade(engine)
    engine.dispose()
    beat(other, timedelta(seconds=1), instance="elsewhere:7:beef")
    other_url = f"sqlite:///{other / 'orderhub.db'}"
    assert "elsewhere:7:beef" in assert_ok(migrated("--database-url", other_url, "health"))
    assert_clean_failure(migrated("health"), "no worker is running for the store", code=1)


def test_health_this_host_counts_only_workers_on_this_host(migrated: Cli, tmp_path: Path) -> None:
    beat(tmp_path, timedelta(seconds=1))
    with make_engine(f"sqlite:///{tmp_path / 'orderhub.db'}").begin() as connection:
        connection.execute(update(HEARTBEATS).values(host="some-other-host"))
    assert_ok(migrated("health"))
    assert_clean_failure(migrated("health", "--this-host"), "on this host", code=1)


def test_health_on_a_store_behind_its_migrations(orderhub: Cli, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'orderhub.db'}")
    upgrade(engine, "0003")
    engine.dispose()
    assert_clean_failure(orderhub("health"), "orderhub db upgrade", code=1)


def test_status_shows_every_worker_replica_of_the_store(migrated: Cli, tmp_path: Path) -> None:
    migrated.write_config(
        '[[accounts]]\nid = "shop"\nconnector = "woocommerce"\n[accounts.settings]\n'
        'base_url = "http://127.0.0.1/"\nconsumer_key_env = "K"\nconsumer_secret_env = "S"\n'
    )
    output = assert_ok(migrated("status"))
    assert "No worker is beating into this store" in output
    beat(tmp_path, timedelta(seconds=2), instance="replica-a:1:aaaa")
    beat(tmp_path, timedelta(seconds=1), instance="replica-b:1:bbbb")
    result = migrated("status")
    output = assert_ok(result)
    assert "Workers on this store (2)" in output
    instances = {r["instance"] for r in table_records(result.output) if "instance" in r}
    assert instances == {"replica-a:1:aaaa", "replica-b:1:bbbb"}
    assert "healthy: 2 workers on this store" in assert_ok(migrated("health"))
