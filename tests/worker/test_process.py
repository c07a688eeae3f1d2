"""``orderhub run`` and ``orderhub sync`` as real processes against a simulated shop served
on 127.0.0.1: a clean stop on SIGTERM, and a SIGKILL mid-sync that loses and doubles
nothing once the sync is run again."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store.db import make_engine
from orderhub.store.ingest import CURSORS, ORDERS
from orderhub.store.runs import RUNS
from orderhub.testing.sim import SimRequest, SimResponse, SimServer

from .conftest import Shop, account_toml, make_shop

pytestmark = pytest.mark.slow


def orderhub_command() -> list[str]:
    """The installed ``orderhub`` script of this interpreter's environment."""
    script = Path(sys.executable).with_name("orderhub")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from orderhub.cli import main; main()"]


def process_env(tmp_path: Path, shop: Shop, base_url: str) -> dict[str, str]:
    """The environment of a deployed worker: configuration file and store in ``tmp_path``,
    the shop's key and secret in variables."""
    config = tmp_path / "orderhub.toml"
    config.write_text(account_toml("shop", base_url, "SHOP_KEY", "SHOP_SECRET"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERHUB_")}
    env.update(
        {
            "ORDERHUB_CONFIG": str(config),
            "ORDERHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'orderhub.db'}",
            "SHOP_KEY": shop.key,
            "SHOP_SECRET": shop.secret,
        }
    )
    return env


def run_health(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*orderhub_command(), "health"],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=30,
        check=False,
    )


def count(database: Path, sql: str) -> int:
    """A count read with sqlite3 directly, while another process writes (0 before the
    schema exists)."""
    if not database.exists():
        return 0
    connection = sqlite3.connect(database, timeout=5)
    try:
        return int(connection.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        connection.close()


def wait_for(
    condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"orderhub exited with {process.returncode} before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


@contextmanager
def started(args: list[str], env: dict[str, str], cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``orderhub ARGS`` with its output in ``cwd/stdout`` and ``cwd/stderr``; killed on
    the way out if the test left it running."""
    with (cwd / "stdout").open("wb") as out, (cwd / "stderr").open("wb") as err:
        process = subprocess.Popen(
            [*orderhub_command(), *args], cwd=cwd, env=env, stdout=out, stderr=err
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(10)


def test_run_stops_cleanly_on_sigterm_and_logs_json(tmp_path: Path) -> None:
    shop = make_shop(60, seed=21)
    emails = {str(shop.sim.order(int(i))["billing"]["email"]) for i in shop.order_ids}
    database = tmp_path / "orderhub.db"
    with shop.sim.serve() as server:
        env = process_env(tmp_path, shop, server.base_url)
        with started(["run"], env, tmp_path) as worker:
            wait_for(
                lambda: (
                    count(database, "SELECT count(*) FROM orders") == 60
                    and count(database, "SELECT count(*) FROM sync_runs WHERE outcome='succeeded'")
                    == 1
                    and count(database, "SELECT count(*) FROM worker_heartbeats") == 1
                ),
                worker,
                "the first sync and the heartbeat",
                timeout=20,
            )
            # While it runs, the health check passes for this store ...
            health = run_health(env, tmp_path)
            assert health.returncode == 0, health.stderr
            assert health.stdout.decode().startswith("healthy: 1 worker on this store")
            worker.send_signal(signal.SIGTERM)
            stopping = time.monotonic()
            code = worker.wait(10)
            took = time.monotonic() - stopping
        assert code == 0
        assert took < 5

        # ... and a clean stop removed its heartbeat: no worker serves this store any more.
        assert count(database, "SELECT count(*) FROM worker_heartbeats") == 0
        health = run_health(env, tmp_path)
        assert health.returncode == 1
        assert "no worker is running for the store" in health.stderr.decode()

    stdout = (tmp_path / "stdout").read_text()
    stderr = (tmp_path / "stderr").read_text()
    assert "Traceback" not in stdout + stderr
    events = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    assert events, stderr
    for event in events:
        assert {"event", "level", "timestamp"} <= event.keys(), event
        assert datetime.fromisoformat(event["timestamp"]).tzinfo is not None
    names = [event["event"] for event in events]
    for expected in ("worker.started", "sync.started", "sync.finished", "worker.stopped"):
        assert expected in names
    assert names.index("worker.stopping") < names.index("worker.stopped") == len(names) - 1
    (stopping_event,) = [e for e in events if e["event"] == "worker.stopping"]
    assert stopping_event["signal"] == "SIGTERM"
    for event in events:
        if event["event"].startswith("sync."):
            assert event["account"] == "shop"
            assert event["channel"] == "woocommerce"
            assert isinstance(event["run_id"], int)
    (finished,) = [e for e in events if e["event"] == "sync.finished"]
    assert (finished["outcome"], finished["created"]) == ("succeeded", 60)
    # No secret and no buyer's e-mail address, anywhere.
    output = stdout + stderr
    assert shop.key not in output
    assert shop.secret not in output
    assert not [email for email in emails if email in output]


class SlowShop:
    """Answers through ``api`` after a short pause, as a busy shop does, so a test can
    stop a sync between two pages."""

    def __init__(self, api: SimulatedWooCommerce, delay: float) -> None:
        self.api = api
        self.delay = delay

    def handle(self, request: SimRequest) -> SimResponse:
        time.sleep(self.delay)
        return self.api.handle(request)


def stored(database: Path) -> tuple[list[str], datetime | None, list[Any]]:
    """(external ids of the stored orders, the orders cursor, the sync runs)."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            ids = list(connection.execute(select(ORDERS.c.external_id)).scalars())
            cursor = connection.execute(select(CURSORS.c.position)).scalar_one_or_none()
            runs = list(connection.execute(select(RUNS).order_by(RUNS.c.id)))
    finally:
        engine.dispose()
    return ids, cursor, runs


def test_sigkill_mid_sync_then_sync_again_converges(tmp_path: Path) -> None:
    shop = make_shop(0, seed=31)
    now = datetime.now(UTC)
    # Three batches of 1,000, each well inside one of the connector's 7-day window chunks
    # (the first sync reads now-30d..now as -30/-23/-16/-9/-2/0 days), so the sync commits
    # the cursor twice before it ends.
    for days_back in (22, 15, 8):
        shop.sim.generate(1000, start=now - timedelta(days=days_back), spread=timedelta(days=5))
    modified = {str(record.id): record.modified for record in shop.sim.store}
    assert len(modified) == 3000
    database = tmp_path / "orderhub.db"

    server = SimServer(SlowShop(shop.sim, delay=0.02))
    server.start()
    try:
        env = process_env(tmp_path, shop, server.base_url)
        with started(["sync", "shop"], env, tmp_path) as sync:
            # More than the first batch stored: its chunk is done (cursor moved to its end)
            # and the first page of the next chunk is committed, the rest of it not read yet.
            wait_for(
                lambda: count(database, "SELECT count(*) FROM orders") > 1000,
                sync,
                "a page past the first batch to commit",
                timeout=30,
            )
            sync.send_signal(signal.SIGKILL)
            assert sync.wait(10) == -signal.SIGKILL

        ids, cursor, runs = stored(database)
        assert 1000 < len(ids) < 3000, "the sync ended before it was killed"
        assert len(ids) == len(set(ids))
        assert cursor is not None
        # The cursor never runs ahead of the data: every order it claims is stored ...
        behind = {order_id for order_id, when in modified.items() if when < cursor}
        assert behind
        assert behind <= set(ids)
        # ... and orders past it are only re-read later, not skipped.
        assert any(modified[order_id] >= cursor for order_id in ids)
        ((killed_outcome,),) = [(run.outcome,) for run in runs]
        assert killed_outcome == "running"  # never finished: the process died

        rerun = subprocess.run(
            [*orderhub_command(), "sync", "shop"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=60,
            check=False,
        )
    finally:
        server.stop()

    assert rerun.returncode == 0, rerun.stderr.decode()
    assert "shop: succeeded." in rerun.stdout.decode()
    ids, final_cursor, runs = stored(database)
    assert len(ids) == len(set(ids)) == len(modified) == 3000
    assert set(ids) == set(modified)
    # The rerun closed the killed run as abandoned.
    assert [run.outcome for run in runs] == ["abandoned", "succeeded"]
    # The second run resumed from the cursor (less its look-back), not from scratch.
    assert runs[1].window_start == cursor - timedelta(minutes=10)
    assert final_cursor is not None and final_cursor > cursor


@pytest.mark.parametrize("mode", ["trickle", "silent"])
def test_sigterm_during_a_hostile_answer_ends_the_worker_with_exit_0(
    tmp_path: Path, mode: str
) -> None:
    from orderhub.testing.hostile import hostile_server

    shop = make_shop(1, seed=5)  # its credentials only: the channel here is hostile
    database = tmp_path / "orderhub.db"
    with hostile_server(mode, interval=0.5, size=500 * 1024 * 1024) as server:
        env = process_env(tmp_path, shop, server.url)
        with started(["run"], env, tmp_path) as worker:
            wait_for(
                lambda: count(database, "SELECT count(*) FROM sync_runs") >= 1,
                worker,
                "the first sync to start",
                timeout=20,
            )
            time.sleep(0.5)  # the request is now waiting on the hostile answer
            worker.send_signal(signal.SIGTERM)
            # The default deadline is 120 s: only the stop request ends this in time.
            code = worker.wait(10)
    assert code == 0
    stdout = (tmp_path / "stdout").read_text()
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    names = {event["event"] for event in events}
    assert "worker.stopping" in names
    assert not any(name.endswith("crashed") for name in names), names
    assert not any(event.get("level") == "error" for event in events), events
