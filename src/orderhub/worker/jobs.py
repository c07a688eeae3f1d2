"""The worker's jobs and pools: what the scheduler keeps per account, how many threads each
kind of work gets, and when each account first runs. Kept apart from the scheduler's
:class:`~orderhub.worker.scheduler.Worker` so the sizing rules read on their own."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor

from orderhub.config import AccountConfig
from orderhub.registry import ConnectorLoadError, load_connector
from orderhub.sdk.connector import Capability, Connector
from orderhub.shipping.push import PushRunResult
from orderhub.sync.pull import ParkedPull, PullResult

RESULTS_KEPT = 50

# Pulls, pushes and the rest (catalog, inbox, heartbeat) run in pools of their own, so a
# long outbox drain or a slow catalog never holds the thread a pull is waiting for.
PULLS, PUSHES, HOUSEKEEPING, LEASING = "pulls", "pushes", "default", "leases"
#: An account's first sync (no cursor yet: a backfill of the lookback window, many pages)
#: runs in a pool of its own, so a first wave of new accounts queues behind itself instead
#: of in front of the regular pulls of the accounts already synced. Half as many threads as
#: the pulls pool, at least BACKFILL_THREADS: backfills mostly wait on the network, and with
#: 100 ms a request 2 threads left 64 of 200 new accounts unsynced after 90 s where 6 synced
#: them all in 52 s; as many as the pulls pool took CPU from the regular pulls (lag p99
#: 1.17 intervals against 1.10; bench/README.md, "first waves over a network").
BACKFILLS = "backfills"
BACKFILL_THREADS = 2
#: Measured up to 6 (200 accounts); more than that in one process is unmeasured.
MAX_BACKFILL_THREADS = 8
MAX_PULL_THREADS = 32
#: Accounts per pull thread beyond the first 8 (a pull of a small change costs 40-150 ms,
#: so 16 accounts at the shortest interval keep a thread about 10-25% busy).
ACCOUNTS_PER_PULL_THREAD = 16
MAX_PUSH_THREADS = 4
#: A pull whose next request would wait longer than this for its token bucket gives its
#: thread back and is resumed when the bucket allows (seconds).
PARK_AFTER = 2.0
HOUSEKEEPING_THREADS = 2
FIRST_RUN_SPACING = timedelta(seconds=1)


def pool_sizes(jobs: Iterable[AccountJob]) -> dict[str, int]:
    """Threads of each kind of work's pool, sized to the accounts that need it."""
    jobs = list(jobs)
    pushing = sum(1 for job in jobs if job.pushes)
    # Pulls waiting for tokens give their thread back, so the pool serves the pulls that
    # work: one thread per account up to 8, then one per ACCOUNTS_PER_PULL_THREAD (the
    # executor starts threads only when they are needed).
    wanted = max(min(8, len(jobs)), -(-len(jobs) // ACCOUNTS_PER_PULL_THREAD))
    pulls = max(1, min(MAX_PULL_THREADS, wanted))
    return {
        PULLS: pulls,
        BACKFILLS: max(1, min(len(jobs), MAX_BACKFILL_THREADS, max(BACKFILL_THREADS, pulls // 2))),
        PUSHES: max(1, min(MAX_PUSH_THREADS, pushing)),
        HOUSEKEEPING: HOUSEKEEPING_THREADS,
        LEASING: 1,
    }


def lease_ttl_for(accounts: Iterable[AccountConfig]) -> timedelta:
    """How long an account lease lasts: half the shortest poll interval (3 s to 60 s), so
    a dead replica's accounts are taken over within one interval (renewed every third)."""
    shortest = min((a.interval for a in accounts), default=timedelta(minutes=1))
    return min(timedelta(seconds=60), max(timedelta(seconds=3), shortest / 2))


def executors_for(jobs: Iterable[AccountJob]) -> dict[str, ThreadPoolExecutor]:
    """One thread pool per kind of work (see :func:`pool_sizes`)."""
    return {kind: ThreadPoolExecutor(max_workers=size) for kind, size in pool_sizes(jobs).items()}


def health_may_change(previous: PullResult | None, result: PullResult) -> bool:
    """Whether a pull can have changed its account's health: it did not succeed, or it is
    the first success after one that did not. (A first success after a restart that ends
    an older failure is seen by the next periodic check, ``[alerts] check_interval``.)"""
    if result.outcome != "succeeded":
        return True
    return previous is not None and previous.outcome != "succeeded"


def first_run_offset(index: int, accounts: int, interval: timedelta) -> timedelta:
    """When the ``index``-th of ``accounts`` accounts first runs: a second apart, or closer
    when that would not fit in one interval, so the first wave of a worker with many
    accounts ends within one interval (then they stay spread, not in step) and a worker
    with a few accounts starts them all at once."""
    if accounts <= 1:
        return timedelta(0)
    return min(FIRST_RUN_SPACING, interval / accounts) * index


@dataclass
class AccountJob:
    account: AccountConfig
    connector: Connector[Any] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # The latest results only: a worker runs for months.
    results: deque[PullResult] = field(default_factory=lambda: deque(maxlen=RESULTS_KEPT))
    #: The connector pushes tracking (decided from its class before the first run).
    pushes: bool = False
    #: The connector's shop is the seller's catalog (Capability.CATALOG).
    catalog: bool = False
    # Pushing uses other operations (and buckets) than pulling, so the two may overlap;
    # two pushes of one account may not.
    push_lock: threading.Lock = field(default_factory=threading.Lock)
    catalog_lock: threading.Lock = field(default_factory=threading.Lock)
    push_results: deque[PushRunResult] = field(default_factory=lambda: deque(maxlen=RESULTS_KEPT))
    #: A pull that gave its thread back while its token bucket refills (resumed by the
    #: account's next pull job, which is moved to when the bucket allows).
    parked: ParkedPull | None = None
    #: The account's pull job runs in the backfills pool: it has no cursor yet and has not
    #: been pulled by this process (moved to the pulls pool when its first pull ends).
    backfill: bool = False


def declares(account: AccountConfig, capability: Capability) -> bool:
    """Whether the account's connector declares ``capability`` (False if it cannot load:
    the pull job reports that)."""
    try:
        return capability in load_connector(account.connector).capabilities
    except ConnectorLoadError:
        return False
