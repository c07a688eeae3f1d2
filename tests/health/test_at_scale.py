"""The health model at many accounts: a fixed number of statements whatever their number,
read without taking SQLite's write lock, and the same answers as account by account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert

from orderhub.health import account_health
from orderhub.store import runs
from orderhub.store.db import reading
from orderhub.store.heartbeats import HEARTBEATS

from .conftest import woo_toml, write_config

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _fill(engine: Engine, accounts: int) -> None:
    """Each account: a failed run, then (odd accounts) a success, then two failures."""
    with engine.begin() as connection:
        for index in range(accounts):
            account = f"acct-{index:03d}"
            outcomes = ["failed", "succeeded", "failed", "failed"] if index % 2 else ["failed"]
            for step, outcome in enumerate(outcomes):
                started = NOW - timedelta(minutes=10 - step)
                run_id = runs.start_run(
                    connection,
                    account_id=account,
                    channel="woocommerce",
                    stream="orders",
                    trigger="schedule",
                    now=started,
                    window_start=None,
                    window_end=None,
                )
                runs.update_run(
                    connection,
                    run_id,
                    {
                        "outcome": outcome,
                        "finished_at": started + timedelta(seconds=5),
                        "error_kind": None if outcome == "succeeded" else "transient",
                        "error": None if outcome == "succeeded" else f"boom {step}",
                    },
                )


def _statements(engine: Engine, call: Any) -> int:
    seen: list[str] = []

    def count(*_args: Any) -> None:
        seen.append("x")

    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_statements_do_not_grow_with_the_accounts(store_engine: Engine, tmp_path: Path) -> None:
    config = write_config(tmp_path / "orderhub.toml", woo_toml("acct-000") + woo_toml("acct-001"))

    def evaluate() -> None:
        with reading(store_engine) as connection:
            account_health(connection, config, NOW)

    _fill(store_engine, 3)
    few = _statements(store_engine, evaluate)
    with store_engine.begin() as connection:
        connection.execute(runs.RUNS.delete())
    _fill(store_engine, 40)
    many = _statements(store_engine, evaluate)
    assert many == few <= 20
    with reading(store_engine) as connection:
        model = {h.account: h for h in account_health(connection, config, NOW)}
    assert len(model) == 40
    # Even accounts: one failure, never a success. Odd: a success, then two failures.
    never, after = model["acct-002"], model["acct-003"]
    assert (never.failure_streak, never.last_success) == (1, None)
    assert never.last_run is not None and never.last_run.error == "boom 0"
    assert after.failure_streak == 2 and after.last_success is not None
    assert after.last_run is not None and after.last_run.error == "boom 3"
    assert model["acct-001"].notes == ["the last 2 runs failed (alert at 3 in a row)"]
    assert model["acct-000"].state == "never_succeeded"
    assert model["acct-001"].state == "stale"  # the fixed NOW is long ago
    assert {model[a].state for a in model if a > "acct-001"} == {"unconfigured"}


def test_reading_takes_no_write_lock_on_sqlite(sqlite_engine: Engine, tmp_path: Path) -> None:
    config = write_config(tmp_path / "orderhub.toml", woo_toml("acct-000"))
    _fill(sqlite_engine, 2)
    with reading(sqlite_engine) as connection:
        before = account_health(connection, config, NOW)
        # A writer beside the open read goes through at once (with BEGIN IMMEDIATE it would
        # wait for the reader's lock and fail after the busy timeout).
        with sqlite_engine.begin() as writer:
            writer.execute(
                insert(HEARTBEATS).values(
                    instance_id="beside",
                    host="h",
                    pid=1,
                    started_at=NOW,
                    last_beat=NOW,
                    version="0",
                    accounts=[],
                )
            )
        # The read keeps its snapshot.
        assert account_health(connection, config, NOW) == before
