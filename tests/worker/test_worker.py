"""The worker in-process: accounts fail alone, jobs never raise, one run per account."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from structlog.testing import capture_logs

from orderhub.config import AccountConfig, AppConfig, ConfigError, load_config
from orderhub.shipping.push import PushRunner, PushRunResult
from orderhub.store.heartbeats import Instance, all_instances
from orderhub.store.runs import RUNS
from orderhub.sync.pull import PullResult
from orderhub.worker import jobs
from orderhub.worker.jobs import BACKFILLS, PULLS, first_run_offset
from orderhub.worker.scheduler import Worker
from orderhub.worker.triggers import PollTrigger

from .conftest import (
    Shop,
    account_toml,
    attention,
    make_shop,
    order_count,
    stored_ids,
    worker_config,
)

# In-process transports answer whatever the host; the address only has to validate.
ANY_URL = "http://127.0.0.1/"


class Collector:
    """Collects ``on_result`` calls (made on scheduler threads) and wakes a waiting test."""

    def __init__(self, expected: set[str]) -> None:
        self.expected = expected
        self.results: dict[str, PullResult] = {}
        self.done = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, result: PullResult) -> None:
        with self._lock:
            self.results.setdefault(result.account_id, result)
            if self.expected <= self.results.keys():
                self.done.set()


def instances(engine: Engine) -> list[Instance]:
    with engine.connect() as connection:
        return all_instances(connection, datetime.now(UTC))


def runs_of(engine: Engine, account_id: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(RUNS.c.outcome).where(RUNS.c.account_id == account_id).order_by(RUNS.c.id)
            ).scalars()
        )


def test_a_rejected_account_is_flagged_while_the_other_keeps_syncing(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    good, bad = make_shop(30, seed=1), make_shop(20, seed=2)
    wrong_secret = "cs_wrong_0d9c8b7a6f5e"
    env = {
        "GOOD_KEY": good.key,
        "GOOD_SECRET": good.secret,
        "BAD_KEY": bad.key,
        "BAD_SECRET": wrong_secret,
    }
    config = worker_config(
        tmp_path / "orderhub.toml",
        [
            account_toml("good", ANY_URL, "GOOD_KEY", "GOOD_SECRET"),
            account_toml("bad", ANY_URL, "BAD_KEY", "BAD_SECRET"),
        ],
        env,
    )
    collector = Collector({"good", "bad"})
    worker = Worker(
        config,
        sqlite_engine,
        transports={"good": good.sim.transport(), "bad": bad.sim.transport()},
        on_result=collector,
    )
    with capture_logs() as logs:
        worker.start()
        try:
            assert collector.done.wait(20), collector.results
        finally:
            worker.stop()

    ok, failed = collector.results["good"], collector.results["bad"]
    assert ok.outcome == "succeeded"
    assert ok.fetched == 30
    assert failed.outcome == "failed"
    assert failed.error_kind == "auth"
    assert failed.error is not None and "HTTP 401" in failed.error

    ids = stored_ids(sqlite_engine, "good")
    assert len(ids) == len(set(ids)) == 30
    assert set(ids) == good.order_ids
    assert order_count(sqlite_engine, "bad") == 0

    flagged = attention(sqlite_engine, "bad")
    assert flagged is not None
    needs, reason, fix = flagged
    assert needs
    assert reason is not None and "401" in reason
    assert fix is not None and "credentials" in fix
    assert attention(sqlite_engine, "good") is None
    assert runs_of(sqlite_engine, "good") == ["succeeded"]
    assert runs_of(sqlite_engine, "bad") == ["failed"]
    # The rejected shop was asked once for orders (an auth error is not retried).
    listed = bad.sim.requests_to("/orders", method="GET")
    assert [r.status for r in listed] == [401]

    events = {event["event"] for event in logs}
    assert {"worker.started", "sync.started", "sync.finished", "sync.failed"} <= events
    assert "worker.stopped" in events
    rendered = repr(logs)
    assert wrong_secret not in rendered
    assert good.secret not in rendered


def test_an_account_missing_its_secret_is_flagged_and_skipped(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    good, other = make_shop(25, seed=3), make_shop(5, seed=4)
    env = {"GOOD_KEY": good.key, "GOOD_SECRET": good.secret, "LOST_KEY": other.key}
    sections = [
        account_toml("good", ANY_URL, "GOOD_KEY", "GOOD_SECRET"),
        account_toml("lost", ANY_URL, "LOST_KEY", "LOST_SECRET"),
    ]
    # The strict loader (`orderhub sync`, `config check`) refuses the whole file ...
    (tmp_path / "strict.toml").write_text("\n".join(sections))
    with pytest.raises(ConfigError, match="LOST_SECRET"):
        load_config(tmp_path / "strict.toml", env=env)
    # ... the worker's keeps the account, with its problem attached.
    config = worker_config(tmp_path / "orderhub.toml", sections, env)
    (lost,) = [account for account in config.enabled_accounts if account.id == "lost"]
    assert lost.problems

    collector = Collector({"good"})
    worker = Worker(
        config,
        sqlite_engine,
        transports={"good": good.sim.transport(), "lost": other.sim.transport()},
        on_result=collector,
    )
    with capture_logs() as logs:
        worker.start()
        try:
            assert collector.done.wait(20)
            deadline = time.monotonic() + 10
            while attention(sqlite_engine, "lost") is None and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            worker.stop()

    assert collector.results["good"].outcome == "succeeded"
    assert set(stored_ids(sqlite_engine, "good")) == good.order_ids
    flagged = attention(sqlite_engine, "lost")
    assert flagged is not None
    needs, reason, fix = flagged
    assert needs
    assert reason is not None and "LOST_SECRET" in reason and "is not set" in reason
    assert fix is not None and "orderhub config check" in fix
    # Skipped: no run recorded, the shop never asked.
    assert runs_of(sqlite_engine, "lost") == []
    assert other.sim.requests == []
    assert "lost" not in collector.results

    unusable = [e for e in logs if e["event"] == "worker.account_unusable"]
    assert unusable
    assert {e["account"] for e in unusable} == {"lost"}
    assert all("LOST_SECRET" in e["error"] for e in unusable)
    assert other.key not in repr(logs)


class ExplodingTransport(httpx.BaseTransport):
    """A transport with a bug: raises what no connector expects."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("connection pool exploded")


def single_account(tmp_path: Path, orders: int, seed: int) -> tuple[AppConfig, Shop]:
    shop = make_shop(orders, seed=seed)
    config = worker_config(
        tmp_path / "orderhub.toml",
        [account_toml("shop", ANY_URL, "SHOP_KEY", "SHOP_SECRET")],
        {"SHOP_KEY": shop.key, "SHOP_SECRET": shop.secret},
    )
    return config, shop


def test_pull_survives_a_connector_raising_something_unexpected(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    config, _shop = single_account(tmp_path, 5, seed=6)
    worker = Worker(config, sqlite_engine, transports={"shop": ExplodingTransport()})
    try:
        result = worker.pull("shop")
    finally:
        worker.stop()
    assert result is not None
    assert result.outcome == "failed"
    assert result.error_kind == "internal"
    assert result.error == "RuntimeError: connection pool exploded"
    assert result.fix is not None and "bug" in result.fix
    assert runs_of(sqlite_engine, "shop") == ["failed"]


def test_pull_survives_a_broken_store_and_releases_the_account(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    config, shop = single_account(tmp_path, 5, seed=7)
    worker = Worker(config, sqlite_engine, transports={"shop": shop.sim.transport()})
    with sqlite_engine.begin() as connection:
        connection.execute(text("DROP TABLE sync_runs"))
    try:
        with capture_logs() as logs:
            assert worker.pull("shop") is None
            # The account's lock was released: the next run tries (and crashes) again.
            assert worker.pull("shop") is None
    finally:
        worker.stop()
    crashed = [event for event in logs if event["event"] == "worker.job_crashed"]
    assert [event["account"] for event in crashed] == ["shop", "shop"]
    assert all(event["log_level"] == "error" for event in crashed)


def test_pull_survives_a_failing_result_callback(tmp_path: Path, sqlite_engine: Engine) -> None:
    config, shop = single_account(tmp_path, 5, seed=8)

    def callback(result: PullResult) -> None:
        raise ValueError("dashboard unreachable")

    worker = Worker(
        config, sqlite_engine, transports={"shop": shop.sim.transport()}, on_result=callback
    )
    try:
        assert worker.pull("shop") is None
    finally:
        worker.stop()
    # The run itself was recorded before the callback failed.
    assert runs_of(sqlite_engine, "shop") == ["succeeded"]
    assert order_count(sqlite_engine, "shop") == 5


class GatedTransport(httpx.BaseTransport):
    """Holds every request until ``release`` is set; ``entered`` tells a request is waiting."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.entered.set()
        if not self.release.wait(20):
            raise TimeoutError("the test never released the request")
        return self.inner.handle_request(request)


def test_one_run_at_a_time_per_account(tmp_path: Path, sqlite_engine: Engine) -> None:
    first, second = make_shop(15, seed=9), make_shop(12, seed=10)
    config = worker_config(
        tmp_path / "orderhub.toml",
        [
            account_toml("first", ANY_URL, "FIRST_KEY", "FIRST_SECRET"),
            account_toml("second", ANY_URL, "SECOND_KEY", "SECOND_SECRET"),
        ],
        {
            "FIRST_KEY": first.key,
            "FIRST_SECRET": first.secret,
            "SECOND_KEY": second.key,
            "SECOND_SECRET": second.secret,
        },
    )
    gate = GatedTransport(first.sim.transport())
    worker = Worker(
        config, sqlite_engine, transports={"first": gate, "second": second.sim.transport()}
    )
    results: list[PullResult | None] = []
    running = threading.Thread(target=lambda: results.append(worker.pull("first")))
    running.start()
    try:
        assert gate.entered.wait(10)
        started = time.monotonic()
        assert worker.pull("first") is None
        assert time.monotonic() - started < 0.5
        # Another account is not held up by it.
        other = worker.pull("second")
        assert other is not None and other.outcome == "succeeded"
    finally:
        gate.release.set()
        running.join(20)
        worker.stop()
    assert not running.is_alive()
    (result,) = results
    assert result is not None and result.outcome == "succeeded"
    assert result.fetched == 15
    assert runs_of(sqlite_engine, "first") == ["succeeded"]
    assert set(stored_ids(sqlite_engine, "first")) == first.order_ids


def test_run_until_stopped_pulls_beats_and_stops(tmp_path: Path, sqlite_engine: Engine) -> None:
    config, shop = single_account(tmp_path, 20, seed=11)
    worker = Worker(
        config,
        sqlite_engine,
        transports={"shop": shop.sim.transport()},
        heartbeat_every=0.2,
        on_result=lambda _result: seen.append(instances(sqlite_engine)),
    )
    seen: list[list[Instance]] = []
    before = datetime.now(UTC)
    worker.run_until_stopped(duration=1.5)
    # While it ran, its heartbeat row was in the store, beating; a clean stop removed it.
    (running,) = seen[0]
    assert running.instance_id == worker.instance_id and running.accounts == ("shop",)
    assert worker.last_beat is not None and before < worker.last_beat <= datetime.now(UTC)
    assert worker.last_beat > running.started_at, "beat again after the start"
    assert instances(sqlite_engine) == []
    assert runs_of(sqlite_engine, "shop") == ["succeeded"]
    assert set(stored_ids(sqlite_engine, "shop")) == shop.order_ids
    assert worker.stop_event.is_set()
    # Stopped: no more work is taken.
    assert worker.pull("shop") is None
    with sqlite_engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(RUNS)).scalar_one() == 1


def test_a_long_outbox_drain_never_holds_up_the_pulls(
    tmp_path: Path, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One account (so one pull thread): while its push job is busy draining a backlog
    (here: held until the test ends), its pulls still run on schedule."""
    shop = make_shop(5, seed=9)
    config = worker_config(
        tmp_path / "orderhub.toml",
        [account_toml("solo", ANY_URL, "SOLO_KEY", "SOLO_SECRET")],
        {"SOLO_KEY": shop.key, "SOLO_SECRET": shop.secret},
    )
    draining, release = threading.Event(), threading.Event()

    def slow_drain(self: object, **kwargs: object) -> PushRunResult:
        draining.set()
        release.wait(30)
        return PushRunResult("solo")

    monkeypatch.setattr(PushRunner, "run", slow_drain)
    pulls: list[PullResult] = []
    second = threading.Event()

    def on_result(result: PullResult) -> None:
        pulls.append(result)
        if len(pulls) >= 2:
            second.set()

    worker = Worker(
        config, sqlite_engine, transports={"solo": shop.sim.transport()}, on_result=on_result
    )
    worker.start()
    try:
        assert draining.wait(10), "the push job never started"
        # The account's interval is 10 s: its next pull comes while the drain goes on.
        assert second.wait(25), [p.outcome for p in pulls]
        assert not release.is_set()
    finally:
        release.set()
        worker.stop()
    assert [p.outcome for p in pulls[:2]] == ["succeeded", "succeeded"]


def test_regular_pulls_are_not_queued_behind_first_syncs(
    tmp_path: Path, sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker restarted with new accounts: their first syncs (held here, more of them
    than threads) run in the backfills pool, so the account synced before still pulls
    on its own threads; once a first sync ends, its account moves to the pulls pool."""
    monkeypatch.setattr(jobs, "MAX_PULL_THREADS", 2)
    monkeypatch.setattr(jobs, "BACKFILL_THREADS", 2)
    new = [f"new-{i}" for i in range(3)]
    shops = {account: make_shop(4, seed=20 + i) for i, account in enumerate([*new, "synced"])}
    sections = {
        account: account_toml(account, ANY_URL, f"K{i}", f"S{i}") for i, account in enumerate(shops)
    }
    env: dict[str, str] = {}
    for i, shop in enumerate(shops.values()):
        env |= {f"K{i}": shop.key, f"S{i}": shop.secret}
    # The synced account's first sync, by the worker that ran before the restart.
    before = Worker(
        worker_config(tmp_path / "before.toml", [sections["synced"]], env),
        sqlite_engine,
        transports={"synced": shops["synced"].sim.transport()},
    )
    try:
        assert (first := before.pull("synced")) is not None and first.outcome == "succeeded"
    finally:
        before.stop()
    release = threading.Event()
    gates = {account: GatedTransport(shops[account].sim.transport()) for account in new}
    for gate in gates.values():
        gate.release = release
    collected = Collector({"synced"})
    config = worker_config(tmp_path / "orderhub.toml", [sections[a] for a in shops], env)
    worker = Worker(
        config,
        sqlite_engine,
        transports={**gates, "synced": shops["synced"].sim.transport()},
        on_result=collected,
    )
    worker.start()
    try:
        scheduler = worker._scheduler
        assert scheduler is not None
        executors = {a: scheduler.get_job(f"pull:{a}").executor for a in shops}
        assert executors == {**dict.fromkeys(new, BACKFILLS), "synced": PULLS}
        assert gates["new-0"].entered.wait(10) and gates["new-1"].entered.wait(10)
        # Both backfill threads (and as many pull threads) are held: the synced account
        # still pulls, and the third first sync waits for a backfill thread.
        assert collected.done.wait(20), "the synced account's pull never ran"
        assert collected.results["synced"].outcome == "succeeded"
        assert not gates["new-2"].entered.is_set()
        assert all(runs_of(sqlite_engine, account) == ["running"] for account in new[:2])
        assert runs_of(sqlite_engine, "new-2") == []
        # Released, the first syncs end and their accounts pull in the pulls pool.
        collected.expected = {*new, "synced"}
        collected.done.clear()
        release.set()
        assert collected.done.wait(20), sorted(collected.results)
        for account in new:
            assert set(stored_ids(sqlite_engine, account)) == shops[account].order_ids
            assert scheduler.get_job(f"pull:{account}").executor == PULLS
    finally:
        release.set()
        worker.stop()


def test_first_runs_are_spread_so_the_first_wave_fits_in_one_interval() -> None:
    interval = timedelta(minutes=5)
    few = [first_run_offset(i, 3, interval) for i in range(3)]
    assert few == [timedelta(0), timedelta(seconds=1), timedelta(seconds=2)]
    many = [first_run_offset(i, 1000, interval) for i in range(1000)]
    assert many[0] == timedelta(0)
    assert many[-1] < interval
    gaps = {b - a for a, b in itertools.pairwise(many)}
    assert max(gaps) - min(gaps) < timedelta(milliseconds=1)


def test_the_health_thread_is_woken_when_an_accounts_health_may_change_only(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    """With hundreds of accounts each health evaluation reads them all, so a routine
    success must not trigger one; a failure and the recovery after it must, at once."""
    from orderhub.testing.sim import Fault

    shop = make_shop(5, seed=11)
    config = worker_config(
        tmp_path / "orderhub.toml",
        [account_toml("shop", ANY_URL, "SHOP_KEY", "SHOP_SECRET")],
        {"SHOP_KEY": shop.key, "SHOP_SECRET": shop.secret},
    )
    worker = Worker(config, sqlite_engine, transports={"shop": shop.sim.transport()})
    outcomes, woken = [], []
    try:
        for fails in (False, False, True, True, False, False):
            if fails:
                shop.sim.faults.add(Fault.status(400), path="/orders", times=None)
            else:
                shop.sim.faults.clear()
            worker.health_wake.clear()
            result = worker.pull("shop")
            assert result is not None
            outcomes.append(result.outcome)
            woken.append(worker.health_wake.is_set())
    finally:
        worker.stop()
    assert outcomes == ["succeeded", "succeeded", "failed", "failed", "succeeded", "succeeded"]
    # Every failure and the first success after one wake it; routine successes do not.
    assert woken == [False, False, True, True, True, False]


def test_each_pull_keeps_its_accounts_interval_and_jitter_without_drift(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    """The worker's pull jobs run on PollTrigger (tests/worker/test_triggers.py), with each
    account's own interval and jitter: 10 s and its default 1 s, and a jitter set to 0."""
    shop = make_shop(1, seed=5)
    steady = account_toml("steady", ANY_URL, "K1", "S1").replace(
        "[accounts.settings]", 'jitter = "0s"\n[accounts.settings]'
    )
    config = worker_config(
        tmp_path / "orderhub.toml",
        [account_toml("shop", ANY_URL, "K0", "S0"), steady],
        {"K0": shop.key, "S0": shop.secret, "K1": shop.key, "S1": shop.secret},
    )
    worker = Worker(config, sqlite_engine, transports={"shop": shop.sim.transport()})
    worker.start()
    try:
        scheduler = worker._scheduler
        assert scheduler is not None
        triggers = {a: scheduler.get_job(f"pull:{a}").trigger for a in ("shop", "steady")}
        assert all(isinstance(trigger, PollTrigger) for trigger in triggers.values())
        assert {a: (t.interval, t.spread) for a, t in triggers.items()} == {
            "shop": (timedelta(seconds=10), 1.0),
            "steady": (timedelta(seconds=10), 0.0),
        }
    finally:
        worker.stop()


@pytest.mark.parametrize(
    ("accounts", "pulls", "backfills"),
    [(1, 1, 1), (4, 4, 2), (8, 8, 4), (200, 13, 6), (1000, 32, 8)],
)
def test_first_syncs_get_half_as_many_threads_as_pulls_and_at_least_two(
    accounts: int, pulls: int, backfills: int
) -> None:
    """Backfills wait on the network, so a large first wave gets more than two threads
    (bench/README.md, "first waves over a network"), but never as many as the pulls pool:
    regular pulls keep most of the CPU."""
    interval = timedelta(seconds=10)
    batch = [
        jobs.AccountJob(AccountConfig(f"a{i}", "woocommerce", True, interval))
        for i in range(accounts)
    ]
    sizes = jobs.pool_sizes(batch)
    assert (sizes[PULLS], sizes[BACKFILLS]) == (pulls, backfills)
