"""Many accounts in one process: is every account polled on time?

The real worker (``orderhub.worker.scheduler.Worker``: APScheduler, its thread pools, the
pull runner, the health thread) runs ``--accounts`` accounts for ``--duration`` seconds of
real time against in-process simulators (no sockets): simulated WooCommerce shops, and
``--amazon`` of them Amazon sellers whose first sync is larger than ``searchOrders``'
burst of 20 calls, so those pulls wait for Amazon's token bucket (a call every ~3 min)
while holding a pull thread, as they do in production. A feeder adds ``--new-per-second``
orders to random shops during the run, so some pulls have something to write.

Every leg runs in a fresh process (threads and RSS are that process's own), on a fresh
SQLite file, and on a fresh PostgreSQL schema when ``--database-url`` is given. From the
store's ``sync_runs`` rows after the run, per account:

- poll lag: start-to-start gap of consecutive runs / interval (p50, p95, p99, max), over
  the WooCommerce accounts (an Amazon pull waiting for its bucket is lag by design and is
  reported on its own). Goal: p99 <= 1.1 (the interval + 10%). The account's jitter
  (default 10% of the interval) is part of every gap: each run is delayed by up to the
  jitter from its place on the account's grid (``orderhub.worker.triggers``), so a gap is
  the interval plus the difference of two delays, and its p99 is 1.086 with no lateness;
- starved: accounts with a gap of more than two intervals between their first run and the
  end (goal 0); never pulled: accounts without a run;
- double pulls: a run of an account that started before its previous run finished (goal 0);
- pull duration (first and later runs), and the pull pool's busy share (run time / threads
  x duration); the process's peak threads and RSS (``/proc/self/status``).

``--pool-threads`` runs the same size again with another cap on the pull pool, in the same
run, to show what the cap costs; ``--backfill-threads`` likewise with other sizes of the
backfills pool. ``--latency`` makes every request to a simulator take that much longer (a
sleep, which gives the GIL away as a network round trip does), so the legs can show a
worker whose pulls wait on the network rather than on the CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _replicas
import httpx
from _lag import GOAL_P99, STARVED_AFTER, analyse, quantiles
from _support import write_result
from sqlalchemy import Engine, select

from orderhub import registry
from orderhub.config import load_config
from orderhub.logs import configure_logging, reset_logging
from orderhub.sdk import SystemClock
from orderhub.sims.amazon import SimulatedAmazon
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store.db import make_engine, upgrade
from orderhub.store.runs import RUNS
from orderhub.sync.pull import PullResult
from orderhub.testing.db import temporary_schema
from orderhub.worker import jobs
from orderhub.worker.jobs import PULLS, pool_sizes
from orderhub.worker.scheduler import Worker

URL = "http://127.0.0.1/"  # in-process transports answer whatever the host
AMAZON = {"client_id": "amzn1.application-oa2-client.bench", "secret": "amzn1.oa2-cs.v1.b"}
SKUS = ("BLUE-TEE-M", "MUG-WHITE", "HOODIE-GRY-L")


def _woo_shop(index: int, orders: int, clock: SystemClock) -> tuple[Any, dict[str, str]]:
    key, secret = f"ck_{secrets.token_hex(8)}", f"cs_{secrets.token_hex(8)}"
    sim = SimulatedWooCommerce(clock, seed=index, consumer_key=key, consumer_secret=secret)
    sim.generate(orders, start=clock.now() - timedelta(days=3), spread=timedelta(days=2))
    section = [
        'connector = "woocommerce"',
        "[accounts.settings]",
        f'base_url = "{URL}"',
        f'consumer_key_env = "W{index}_KEY"',
        f'consumer_secret_env = "W{index}_SECRET"',
    ]
    return (sim, section), {f"W{index}_KEY": key, f"W{index}_SECRET": secret}


def _amazon_seller(index: int, orders: int, clock: SystemClock) -> tuple[Any, dict[str, str]]:
    token = f"Atzr|bench-{index}"
    sim = SimulatedAmazon(
        clock,
        client_id=AMAZON["client_id"],
        client_secret=AMAZON["secret"],
        refresh_token=token,
        seed=index,
        serve_sandbox_examples=False,
    )
    sim.generate(orders, start=clock.now() - timedelta(days=20), spread=timedelta(days=19))
    section = [
        'connector = "amazon"',
        "[accounts.settings]",
        'region = "na"',
        'marketplace_ids = ["ATVPDKIKX0DER"]',
        f'api_base_url = "{URL}"',
        f'token_url = "{URL}auth/o2/token"',
        f'client_id_env = "A{index}_ID"',
        f'client_secret_env = "A{index}_SECRET"',
        f'refresh_token_env = "A{index}_TOKEN"',
    ]
    env = {f"A{index}_ID": AMAZON["client_id"], f"A{index}_SECRET": AMAZON["secret"]}
    return (sim, section), {**env, f"A{index}_TOKEN": token}


@contextmanager
def _store(kind: str, folder: Path, database_url: str | None) -> Iterator[Engine]:
    """A fresh migrated store: a SQLite file, or a schema of its own on PostgreSQL."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{folder / 'accounts.db'}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    assert database_url is not None
    with temporary_schema(database_url, prefix="orderhub_bench") as engine:
        yield engine


def _proc_status() -> dict[str, int]:
    """Threads and resident memory (kB) of this process, from ``/proc/self/status``."""
    out = {"threads": threading.active_count(), "rss_kb": 0}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key == "Threads":
                out["threads"] = int(value)
            elif key == "VmRSS":
                out["rss_kb"] = int(value.split()[0])
    except OSError:  # not Linux: the Python threads, and the peak RSS from resource
        import resource

        out["rss_kb"] = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return out


class _KeepsNothing(dict[Any, Any]):
    """A cache that forgets: the registry as it was before it kept loaded classes."""

    def __setitem__(self, key: Any, value: Any) -> None:
        return None


def build_accounts(
    args: argparse.Namespace, clock: SystemClock
) -> tuple[dict[str, Any], list[str], dict[str, str], dict[str, str]]:
    """The simulators, configuration sections, secrets and channel of every account."""
    amazon = min(args.amazon, args.accounts)
    sims: dict[str, Any] = {}
    sections: list[str] = []
    env: dict[str, str] = {}
    channels: dict[str, str] = {}
    for index in range(args.accounts):
        if index < amazon:
            account, channel = f"amazon-{index:04d}", "amazon"
            (sim, body), secrets_ = _amazon_seller(index, args.amazon_orders, clock)
        else:
            account, channel = f"shop-{index:04d}", "woocommerce"
            (sim, body), secrets_ = _woo_shop(index, args.orders, clock)
        sims[account], channels[account] = sim, channel
        env.update(secrets_)
        jitter = "" if args.jitter is None else f'jitter = "{args.jitter}s"\n'
        sections.append(
            f'[[accounts]]\nid = "{account}"\ninterval = "{args.interval}s"\n{jitter}'
            + body[0]
            + "\n"
            + "\n".join(body[1:])
            + "\n"
        )
    return sims, sections, env, channels


def one_leg(args: argparse.Namespace) -> dict[str, Any]:
    """Run the worker once in this process; the leg's figures."""
    if args.pool_threads:
        jobs.MAX_PULL_THREADS = args.pool_threads
    if args.backfill_threads:
        jobs.BACKFILL_THREADS = args.backfill_threads
    if args.variant == "before":
        registry._loaded = _KeepsNothing()  # every lookup reads the entry points again
    clock = SystemClock()
    amazon = min(args.amazon, args.accounts)
    sims, sections, env, channels = build_accounts(args, clock)
    shops = [sims[a] for a, c in channels.items() if c == "woocommerce"]
    results: list[PullResult] = []
    results_lock = threading.Lock()

    def on_result(result: PullResult) -> None:
        with results_lock:
            results.append(result)

    samples: list[dict[str, int]] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orderhub.toml"
        path.write_text("\n".join(sections), encoding="utf-8")
        config = load_config(path, env=env)
        with _store(args.store, Path(folder), args.database_url) as engine:
            before = _proc_status()
            transports = {account: sim.transport() for account, sim in sims.items()}
            if args.latency:
                transports = {a: _Slow(t, args.latency) for a, t in transports.items()}
            worker = Worker(
                config,
                engine,
                transports=transports,
                on_result=on_result,
            )
            sizes = pool_sizes(worker.jobs.values())
            # The health thread evaluates every account in one store transaction, woken
            # after every pull: how long each evaluation takes is part of the picture.
            health_s: list[float] = []
            check_health = worker.check_health

            def timed_check_health() -> None:
                began = time.perf_counter()
                check_health()
                health_s.append(time.perf_counter() - began)

            worker.check_health = timed_check_health  # type: ignore[method-assign]
            if args.variant == "before":
                # The previous release woke the health thread after every pull.
                pull = worker.pull

                def pull_and_wake(account_id: str) -> PullResult | None:
                    result = pull(account_id)
                    if result is not None:
                        worker.health_wake.set()
                    return result

                worker.pull = pull_and_wake  # type: ignore[method-assign]
            stop = threading.Event()

            def sample() -> None:
                while not stop.wait(0.5):
                    samples.append(_proc_status())

            def feed() -> None:
                rng = random.Random(args.seed)
                pause = 1.0 / args.new_per_second if args.new_per_second > 0 else None
                while pause is not None and shops and not stop.wait(pause):
                    shop = rng.choice(shops)
                    shop.add_order(created=clock.now(), lines=[(rng.choice(SKUS), 1)])

            helpers = [threading.Thread(target=f, daemon=True) for f in (sample, feed)]
            started = datetime.now(UTC)
            worker.start()
            for helper in helpers:
                helper.start()
            try:
                time.sleep(args.duration)
            finally:
                stop.set()
                ended = datetime.now(UTC)
                stop_began = time.monotonic()
                worker.stop()
                stop_s = time.monotonic() - stop_began
            with engine.connect() as connection:
                runs = [
                    dict(r)
                    for r in connection.execute(
                        select(
                            RUNS.c.account_id,
                            RUNS.c.started_at,
                            RUNS.c.finished_at,
                            RUNS.c.outcome,
                        )
                    ).mappings()
                ]
    failed = sum(1 for r in runs if r["outcome"] == "failed")
    # The worker spreads the first runs over one interval, in account order (see
    # orderhub.worker.jobs.first_run_offset), from its start (its first lease claim).
    interval = timedelta(seconds=args.interval)
    first_due = {
        account: started + jobs.first_run_offset(index, len(channels), interval)
        for index, account in enumerate(sorted(channels))
    }
    figures = analyse(runs, channels, float(args.interval), started, ended, first_due)
    pool = sizes[PULLS]
    window = figures["window_s"]
    return {
        "store": args.store,
        "variant": args.variant,
        "accounts": args.accounts,
        "amazon": amazon,
        "interval_s": args.interval,
        "jitter_s": config.accounts[0].jitter.total_seconds(),
        "duration_s": args.duration,
        "pull_threads": pool,
        "pool_sizes": sizes,
        "latency_s": args.latency,
        "results": len(results),
        "failed_runs": failed,
        **figures,
        "pool_busy_share": round(figures["busy_thread_seconds"] / (pool * window), 3),
        "threads_max": max([s["threads"] for s in samples] or [before["threads"]]),
        "rss_mb_before": round(before["rss_kb"] / 1024, 1),
        "rss_mb_max": round(max([s["rss_kb"] for s in samples] or [0]) / 1024, 1),
        "stop_s": round(stop_s, 2),
        "health_checks": len(health_s),
        "health_check_s": quantiles(health_s),
        "health_busy_share": round(sum(health_s) / window, 3),
        "met": {
            "lag_p99": figures["lag_ratio"]["p99"] is not None
            and figures["lag_ratio"]["p99"] <= GOAL_P99,
            "starved": figures["starved"] == 0 and figures["never_pulled"] == 0,
            "double_pulls": figures["double_pulls"] == 0,
        },
    }


def _leg_in_fresh_process(argv: list[str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, "--one-leg", *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"a leg failed ({argv}):\n{completed.stderr[-3000:]}")
    leg: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return leg


def _print(legs: list[dict[str, Any]]) -> None:
    head = (
        f"{'store':<11}{'variant':<9}{'accts':>6}{'thr':>5}{'runs':>7}{'p50':>7}{'p95':>7}{'p99':>7}"
        f"{'max':>7}{'starv':>6}{'dbl':>5}{'pull ms p50/p95':>17}{'busy':>6}"
        f"{'health s':>9}{'threads':>8}{'RSS MB':>8}{'bf':>4}{'wave s':>8}"
    )
    print(head)
    for leg in legs:
        lag, pull = leg["lag_ratio"], leg["pull_ms"]
        print(
            f"{leg['store']:<11}{leg['variant']:<9}{leg['accounts']:>6}{leg['pull_threads']:>5}{leg['runs']:>7}"
            f"{lag['p50'] or 0:>7.3f}{lag['p95'] or 0:>7.3f}{lag['p99'] or 0:>7.3f}"
            f"{lag['max'] or 0:>7.3f}{leg['starved'] + leg['never_pulled']:>6}"
            f"{leg['double_pulls']:>5}"
            f"{(pull['p50'] or 0):>9.1f}/{(pull['p95'] or 0):<7.1f}"
            f"{leg['pool_busy_share']:>6.2f}{leg['health_check_s']['p50'] or 0:>9.2f}"
            f"{leg['threads_max']:>8}{leg['rss_mb_max']:>8.1f}"
            f"{leg['pool_sizes'].get('backfills', 0):>4}{leg['first_wave_s'] or 0:>8.1f}"
        )


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run every leg (one fresh process each), print the table, write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--accounts", default="200", help="account counts, e.g. 200,500")
    parser.add_argument("--amazon", type=int, default=4, help="of them Amazon sellers")
    parser.add_argument("--orders", type=int, default=20, help="orders per WooCommerce shop")
    parser.add_argument(
        "--amazon-orders", type=int, default=2500, help="orders per Amazon seller (> burst)"
    )
    parser.add_argument("--interval", type=int, default=10, help="poll interval, s (min 10)")
    parser.add_argument("--jitter", type=float, help="jitter, s (default: 10%% of interval)")
    parser.add_argument("--duration", type=float, default=90.0, help="real seconds per leg")
    parser.add_argument("--new-per-second", type=float, default=2.0, help="new orders fed")
    parser.add_argument("--pool-threads", default="", help="also run with these pull caps")
    parser.add_argument(
        "--backfill-threads", default="", help="also run with these backfills pool sizes"
    )
    parser.add_argument("--latency", type=float, default=0.0, help="s added to each request")
    parser.add_argument("--database-url", help="also run on PostgreSQL (a schema per leg)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, help="result file (default bench/results/)")
    parser.add_argument(
        "--replicas", type=int, default=0, help="also run N replica processes (PostgreSQL)"
    )
    parser.add_argument("--replica-accounts", type=int, default=1000)
    parser.add_argument("--replica-interval", type=int, default=60, help="s, replicas leg")
    parser.add_argument("--replica-duration", type=float, default=240.0)
    parser.add_argument("--kill-at", type=float, default=100.0, help="SIGKILL one replica")
    parser.add_argument("--only-replicas", action="store_true", help="skip the one-process legs")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL legs only")
    parser.add_argument("--replica-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--status-file", help=argparse.SUPPRESS)
    parser.add_argument("--one-leg", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--store", default="sqlite", help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="orderhub", help=argparse.SUPPRESS)
    parser.add_argument(
        "--variants",
        default="orderhub,before",
        help="orderhub, and/or before (the previous release's health wake per pull and "
        "uncached connector lookups), each a leg of its own",
    )
    args = parser.parse_args(argv)
    if args.replica_child:
        args.accounts = int(args.accounts)
        configure_logging(level="error", fmt="json", stream=sys.stderr)
        _replicas.run_child(args, build_accounts, _proc_status)
        return {}
    if args.one_leg:
        args.accounts = int(args.accounts)
        args.pool_threads = int(args.pool_threads or 0)
        args.backfill_threads = int(args.backfill_threads or 0)
        configure_logging(level="error", fmt="json", stream=sys.stderr)
        try:
            leg = one_leg(args)
        finally:
            reset_logging()
        print(json.dumps(leg, default=str))
        return leg
    common = [
        *("--amazon", str(args.amazon), "--orders", str(args.orders)),
        *("--amazon-orders", str(args.amazon_orders), "--interval", str(args.interval)),
        *("--duration", str(args.duration), "--new-per-second", str(args.new_per_second)),
        *("--seed", str(args.seed)),
        *(() if args.jitter is None else ("--jitter", str(args.jitter))),
        *(("--latency", str(args.latency)) if args.latency else ()),
    ]
    stores = [("sqlite", [])] + (
        [("postgresql", ["--database-url", args.database_url])] if args.database_url else []
    )
    if args.skip_sqlite:
        stores = stores[1:]
    caps = [(0, 0)] + [(int(c), 0) for c in args.pool_threads.split(",") if c.strip()]
    caps += [(0, int(b)) for b in args.backfill_threads.split(",") if b.strip()]
    legs = []
    if args.only_replicas:
        stores = []
    for store, extra in stores:
        for size in (int(s) for s in args.accounts.split(",")):
            for variant in (v.strip() for v in args.variants.split(",") if v.strip()):
                for cap, backfills in caps:
                    leg_argv = [*common, "--accounts", str(size), "--store", store, *extra]
                    leg_argv += ["--variant", variant]
                    leg_argv += ["--pool-threads", str(cap)] if cap else []
                    leg_argv += ["--backfill-threads", str(backfills)] if backfills else []
                    leg = _leg_in_fresh_process(leg_argv)
                    leg["pool_cap"] = cap or jobs.MAX_PULL_THREADS
                    legs.append(leg)
                    _print([leg])
    if args.replicas:
        # The child's jitter defaults to 10% of its own interval, like the others'.
        replica_common = _without(
            _without(_without(common, "--interval"), "--duration"), "--jitter"
        )
        leg = _replicas.run_parent(args, __file__, replica_common, analyse, quantiles)
        legs.append(leg)
        shown = ("lag_ratio", "lag_ratio_outside_takeover", "starved", "never_pulled")
        shown += ("double_pulls", "takeover_s", "not_taken_over", "per_process")
        print(json.dumps({key: leg[key] for key in shown}))
    print()
    _print([leg for leg in legs if "pull_threads" in leg])
    result = {"goal_lag_p99": GOAL_P99, "starved_after_intervals": STARVED_AFTER, "legs": legs}
    if args.database_url:
        result["database"] = "postgresql"  # the URL itself may carry a password
    path = write_result(
        "accounts", result, args.output, _safe_argv(list(argv) if argv else sys.argv[1:])
    )
    print(f"result: {path}")
    return result


class _Slow(httpx.BaseTransport):
    """A transport whose every request takes ``seconds`` longer (``--latency``)."""

    def __init__(self, inner: httpx.BaseTransport, seconds: float) -> None:
        self.inner, self.seconds = inner, seconds

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        time.sleep(self.seconds)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _without(argv: list[str], option: str) -> list[str]:
    """``argv`` without ``option`` and its value."""
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
            continue
        if item == option:
            skip = True
            continue
        out.append(item)
    return out


def _safe_argv(argv: list[str]) -> list[str]:
    """The command line without the database URL (it may carry a password)."""
    out, hide = [], False
    for item in argv:
        out.append("<database-url>" if hide else item)
        hide = item == "--database-url"
    return [a if not a.startswith("--database-url=") else "--database-url=<url>" for a in out]


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
