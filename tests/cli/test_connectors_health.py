"""``orderhub connectors list``, ``orderhub health`` and the root command."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orderhub import __version__

from .conftest import Cli, assert_clean_failure, assert_ok, table_records


def test_connectors_list_shows_woocommerce_loaded(orderhub: Cli) -> None:
    result = orderhub("connectors", "list")
    assert_ok(result)
    rows = {row["name"]: row for row in table_records(result.output)}
    woocommerce = rows["woocommerce"]
    assert woocommerce["version"] not in ("", "-")
    assert "fetch_orders" in woocommerce["capabilities"]
    assert woocommerce["status"] == "ok"


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


def beat(path: Path, age: timedelta) -> dict[str, str | None]:
    path.write_text((datetime.now(UTC) - age).isoformat())
    return {"ORDERHUB_HEARTBEAT": str(path)}


def test_health_with_a_fresh_heartbeat(migrated: Cli, tmp_path: Path) -> None:
    env = beat(tmp_path / "beat", timedelta(seconds=3))
    assert assert_ok(migrated("health", env=env)) == "healthy"


def test_health_with_a_stale_heartbeat(migrated: Cli, tmp_path: Path) -> None:
    env = beat(tmp_path / "beat", timedelta(minutes=10))
    output = assert_clean_failure(
        migrated("health", env=env), "Fix: The worker is stuck or stopped", code=1
    )
    assert re.search(r"the worker's last heartbeat is 6\d\d s old", output), output
    # The threshold is an option.
    assert_ok(migrated("health", "--max-age", "900", env=env))


def test_health_without_a_heartbeat(migrated: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-heartbeat"
    assert_clean_failure(
        migrated("health", env={"ORDERHUB_HEARTBEAT": str(missing)}),
        f"no worker heartbeat at {missing}",
        "Fix: Is `orderhub run` running",
        code=1,
    )


def test_health_with_a_garbled_heartbeat(migrated: Cli, tmp_path: Path) -> None:
    path = tmp_path / "beat"
    path.write_text("not a time")
    assert_clean_failure(
        migrated("health", env={"ORDERHUB_HEARTBEAT": str(path)}), "no worker heartbeat", code=1
    )
