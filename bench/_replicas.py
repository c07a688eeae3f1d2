"""The replicas leg of ``bench_accounts.py``: N worker processes on one PostgreSQL schema.

The parent makes the schema, starts ``--replicas`` child processes (each the real
``Worker`` with every account configured and its own in-process simulators of the same
seeds), SIGKILLs one of them at ``--kill-at`` seconds, stops the others with SIGTERM at the
end, and reads ``sync_runs`` and ``account_leases`` back. Each child writes its threads,
RSS, instance id and held accounts to a status file every half second (a killed child
cannot report at the end).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from orderhub.config import load_config
from orderhub.sdk import SystemClock
from orderhub.store.db import make_engine
from orderhub.store.leases import LEASES
from orderhub.store.runs import RUNS
from orderhub.testing.db import temporary_schema

URL_ENV = "ORDERHUB_BENCH_URL"


def run_child(
    args: argparse.Namespace, build: Callable[..., Any], status: Callable[[], Any]
) -> None:
    """One replica: the worker until SIGTERM, its status written every half second."""
    from orderhub.worker.scheduler import Worker

    url = os.environ[URL_ENV]
    engine = make_engine(url, connect_args={"options": f"-csearch_path={args.schema}"})
    sims, sections, env, _channels = build(args, SystemClock())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orderhub.toml"
        path.write_text("\n".join(sections), encoding="utf-8")
        config = load_config(path, env=env)
    worker = Worker(
        config, engine, transports={account: sim.transport() for account, sim in sims.items()}
    )
    peak = {"threads": 0, "rss_kb": 0}
    out = Path(args.status_file)

    def report() -> None:
        now = status()
        peak["threads"] = max(peak["threads"], now["threads"])
        peak["rss_kb"] = max(peak["rss_kb"], now["rss_kb"])
        record = {
            "pid": os.getpid(),
            "instance": worker.instance_id,
            "held": sorted(worker.held),
            "threads_max": peak["threads"],
            "rss_mb_max": round(peak["rss_kb"] / 1024, 1),
        }
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(record), encoding="utf-8")
        tmp.replace(out)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker.start()
    try:
        while not stop.wait(0.5):
            report()
    finally:
        worker.stop()
        report()
        engine.dispose()


def run_parent(
    args: argparse.Namespace,
    script: str,
    common: list[str],
    analyse: Callable[..., dict[str, Any]],
    quantiles: Callable[[list[float]], dict[str, Any]],
) -> dict[str, Any]:
    """The replicas leg's figures."""
    assert args.database_url, "the replicas leg needs --database-url (PostgreSQL)"
    interval = float(args.replica_interval)
    with temporary_schema(args.database_url, prefix="orderhub_bench") as engine:
        with engine.connect() as connection:
            schema = str(connection.execute(text("SELECT current_schema()")).scalar())
        folder = Path(tempfile.mkdtemp(prefix="orderhub-replicas-"))
        env = {**os.environ, URL_ENV: args.database_url}
        children = []
        started = datetime.now(UTC)
        for number in range(args.replicas):
            status_file = folder / f"replica-{number}.json"
            argv = [
                sys.executable,
                script,
                "--replica-child",
                *common,
                *("--accounts", str(args.replica_accounts), "--interval", str(int(interval))),
                *("--schema", schema, "--status-file", str(status_file)),
            ]
            children.append(
                (status_file, subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL))
            )
        time.sleep(args.kill_at)
        victim_file, victim = children[0]
        victim_status = json.loads(victim_file.read_text()) if victim_file.exists() else {}
        # What the victim holds right now, from the store (its own report may be late).
        with engine.connect() as connection:
            held = set(
                connection.execute(
                    select(LEASES.c.account_id).where(
                        LEASES.c.holder == victim_status.get("instance", "")
                    )
                ).scalars()
            )
        victim.send_signal(signal.SIGKILL)
        killed = datetime.now(UTC)
        time.sleep(max(0.0, args.replica_duration - args.kill_at))
        for _file, child in children[1:]:
            child.send_signal(signal.SIGTERM)
        ended = datetime.now(UTC)
        for _file, child in children:
            child.wait(timeout=120)
        statuses = [json.loads(f.read_text()) if f.exists() else {} for f, _child in children]
        with engine.connect() as connection:
            rows = [
                dict(r)
                for r in connection.execute(
                    select(RUNS.c.account_id, RUNS.c.started_at, RUNS.c.finished_at)
                ).mappings()
            ]
    accounts = {
        (f"amazon-{i:04d}" if i < args.amazon else f"shop-{i:04d}"): (
            "amazon" if i < args.amazon else "woocommerce"
        )
        for i in range(args.replica_accounts)
    }
    figures = analyse(rows, accounts, interval, started, ended)
    # Takeover: for each account the victim held, from the kill to its first run started
    # by another replica.
    takeover: list[float] = []
    slowest: list[tuple[float, str]] = []
    not_taken = 0
    for account in held:
        after = [r["started_at"] for r in rows if r["account_id"] == account]
        after = [t for t in after if t > killed]
        if after:
            takeover.append((min(after) - killed).total_seconds())
            slowest.append((takeover[-1], account))
        else:
            not_taken += 1
    # Poll lag outside the takeover: gaps that do not span the kill.
    steady: list[float] = []
    by_account: dict[str, list[datetime]] = {}
    for r in rows:
        if accounts.get(r["account_id"]) == "woocommerce":
            by_account.setdefault(r["account_id"], []).append(r["started_at"])
    for starts in by_account.values():
        starts.sort()
        for a, b in itertools.pairwise(starts):
            if not (a < killed < b):
                steady.append((b - a).total_seconds() / interval)
    return {
        "store": "postgresql",
        "variant": f"{args.replicas} replicas",
        "accounts": args.replica_accounts,
        "amazon": args.amazon,
        "interval_s": interval,
        "duration_s": args.replica_duration,
        "kill_at_s": args.kill_at,
        "replicas": args.replicas,
        **figures,
        "lag_ratio_outside_takeover": quantiles(steady),
        "victim_held": len(held),
        "takeover_s": quantiles(takeover),
        # The accounts taken over last, to tell a slow channel from a slow claim.
        "takeover_slowest": [
            {"account": account, "s": round(seconds, 1)}
            for seconds, account in sorted(slowest, reverse=True)[:5]
        ],
        "not_taken_over": not_taken,
        "per_process": [
            {k: s.get(k) for k in ("pid", "threads_max", "rss_mb_max")}
            | {"held_at_end": len(s.get("held", []))}
            for s in statuses
        ],
        "met": {
            "lag_p99": (figures["lag_ratio"]["p99"] or 99) <= 1.1,
            "starved": figures["starved"] == 0 and figures["never_pulled"] == 0,
            "double_pulls": figures["double_pulls"] == 0,
            "takeover": not not_taken and (max(takeover, default=0.0) <= interval),
        },
    }
