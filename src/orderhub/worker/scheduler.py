"""The worker: APScheduler drives one pull job per enabled account.

Only `orderhub.worker` imports APScheduler. The scheduler holds no business state:
cursors, runs and failures live in the store, so killing the process at any instant and
starting it again resumes with nothing lost and nothing doubled.

Each account's job runs at its configured interval with jitter (so many accounts don't hit
their channels in step; the jitter never accumulates, see :mod:`orderhub.worker.triggers`),
``max_instances=1`` (never two pulls of one account at once) and ``coalesce=True`` (a
backlog of missed runs collapses into one). An exception in one account's job is logged and
recorded for that account only; the others keep running.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import httpx
import structlog
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from orderhub.config import AppConfig, ConfigError
from orderhub.logs import register_job_accounts
from orderhub.matching import sync_catalog
from orderhub.metrics import WorkerMetrics
from orderhub.probes import Probe, liveness, readiness
from orderhub.registry import ConnectorLoadError
from orderhub.runtime import build_connector
from orderhub.sdk.clock import Interrupted, SystemClock
from orderhub.sdk.connector import Capability, Connector
from orderhub.sdk.errors import ConnectorError
from orderhub.shipping.inbox import process_inbox
from orderhub.shipping.push import PushRunner, PushRunResult, verify_pushes
from orderhub.store import heartbeats, leases, runs
from orderhub.store.heartbeats import new_instance_id
from orderhub.store.ingest import accounts_with_cursor
from orderhub.store.retention import purge
from orderhub.sync.pull import ORDERS_STREAM, PullResult, PullRunner
from orderhub.worker.health_check import evaluate_health
from orderhub.worker.jobs import (
    BACKFILLS,
    HOUSEKEEPING,
    LEASING,
    PARK_AFTER,
    PULLS,
    PUSHES,
    AccountJob,
    declares,
    executors_for,
    first_run_offset,
    health_may_change,
    lease_ttl_for,
    pool_sizes,
)
from orderhub.worker.triggers import PollTrigger

HEARTBEAT_EVERY = 15.0
_BUG_FIX = (
    "A bug in orderhub or the connector, not in your data: report it with this line. "
    "Nothing was lost; the job runs again at its next time."
)
#: Seconds between two retention purges (buyer data past its period, old history rows).
PURGE_EVERY = 3600.0


_heap_frozen = threading.Event()


def freeze_startup_heap() -> None:
    """Move what the process holds at the worker's start (modules, configuration, table
    metadata: about 190,000 objects) out of the cyclic garbage collector's sight, once per
    process. A generation-2 collection stops every thread; with that heap in it, it took
    0.2-0.46 s and made the pulls due meanwhile start late (bench/README.md, 2026-12-03
    evening); without, 10-150 ms. What is frozen is never collected: it lives as long as
    the process anyway."""
    if _heap_frozen.is_set():
        return
    _heap_frozen.set()
    gc.collect()
    gc.freeze()


class Worker:
    """Runs every enabled account's pull on schedule until :meth:`stop` is called.

    ``transports`` maps account ids to an httpx transport (the demo and tests point accounts
    at simulated channels).

    The worker records a heartbeat row in the store (removed on a clean stop), so
    ``orderhub health`` and ``status`` see the workers of *this* store; a thread of its own
    evaluates the health model (metrics gauges, alerts) and delivers alert messages, so a
    slow alert destination never holds up a pull.
    """

    def __init__(
        self,
        config: AppConfig,
        engine: Engine,
        *,
        transports: Mapping[str, httpx.BaseTransport] | None = None,
        on_result: Callable[[PullResult], None] | None = None,
        heartbeat_every: float = HEARTBEAT_EVERY,
        leasing: bool | None = None,
        lease_ttl: timedelta | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.transports = dict(transports or {})
        self.heartbeat_every = heartbeat_every
        self.instance_id = new_instance_id()
        self.last_beat: datetime | None = None
        self.health_wake = threading.Event()
        self._health_thread: threading.Thread | None = None
        self.on_result = on_result
        self.stop_event = threading.Event()
        self.clock = SystemClock(stop=self.stop_event)
        self.jobs: dict[str, AccountJob] = {
            account.id: AccountJob(
                account,
                pushes=declares(account, Capability.PUSH_TRACKING),
                catalog=declares(account, Capability.CATALOG),
            )
            for account in config.enabled_accounts
        }
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.metrics = WorkerMetrics()
        self._metrics_server: Any = None
        self._build_lock = threading.Lock()
        self.log = structlog.get_logger()
        self._scheduler: BackgroundScheduler | None = None
        # Replicas on one PostgreSQL share the accounts by leases; SQLite is one process.
        self.leasing = engine.dialect.name == "postgresql" if leasing is None else leasing
        self.lease_ttl = lease_ttl or lease_ttl_for(config.enabled_accounts)
        self.held: set[str] = set()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        freeze_startup_heap()
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors=executors_for(self.jobs.values()),
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        now = datetime.now(UTC)
        shipping = self.config.shipping
        with self.engine.begin() as connection:
            heartbeats.register(connection, self.instance_id, accounts=sorted(self.jobs), now=now)
            if self.leasing:
                leases.ensure_rows(connection, self.jobs, now=now)
        self.last_beat = now
        self._scheduler = scheduler
        if self.leasing:
            self.renew_leases()
            scheduler.add_job(
                self.renew_leases,
                IntervalTrigger(seconds=self.lease_ttl.total_seconds() / 3),
                id="leases",
                name="account leases",
                executor=LEASING,
                next_run_time=now + self.lease_ttl / 3,
            )
        else:
            self._schedule(list(self.jobs), now)
        if shipping.inbox is not None:
            scheduler.add_job(
                self.scan_inbox,
                IntervalTrigger(seconds=shipping.scan_interval.total_seconds()),
                id="inbox",
                name="shipments inbox",
                executor=HOUSEKEEPING,
                next_run_time=now,
            )
        if self.config.retention.enabled:
            scheduler.add_job(
                self.purge,
                IntervalTrigger(seconds=PURGE_EVERY),
                id="retention",
                name="retention purge",
                executor=HOUSEKEEPING,
                next_run_time=now + timedelta(seconds=30),
            )
        scheduler.add_job(
            self.beat,
            IntervalTrigger(seconds=self.heartbeat_every),
            id="heartbeat",
            name="heartbeat",
            executor=HOUSEKEEPING,
            next_run_time=now + timedelta(seconds=self.heartbeat_every),
        )
        register_job_accounts(
            {account_id: job.account.connector for account_id, job in self.jobs.items()}
        )
        scheduler.start()
        self._metrics_server = self.metrics.serve(
            self.config.metrics, healthz=self.healthz, readyz=self.readyz
        )
        self._health_thread = threading.Thread(
            target=self._health_loop, name="orderhub-health", daemon=True
        )
        self._health_thread.start()
        self.log.info(
            "worker.started",
            accounts=sorted(self.jobs),
            instance=self.instance_id,
            threads=pool_sizes(self.jobs.values()),
        )

    def _schedule(self, accounts: list[str], now: datetime, *, taken_over: bool = False) -> None:
        """Add the pull, push and catalog jobs of ``accounts``: first pulls spread over one
        interval, or over a third of the lease TTL for accounts ``taken_over`` from a
        replica (they are late already: they run soon).

        Accounts taken over pull in the pulls pool even when that replica had not synced
        them yet: a takeover must not wait behind this replica's own first wave in the
        backfills pool (the takeover is due within one interval)."""
        scheduler = self._scheduler
        assert scheduler is not None
        shipping = self.config.shipping
        with self.engine.connect() as connection:
            synced = accounts_with_cursor(connection, accounts, ORDERS_STREAM)
        for index, account_id in enumerate(accounts):
            job = self.jobs[account_id]
            interval = job.account.interval
            jitter = job.account.jitter or timedelta(0)
            spread = self.lease_ttl / 3 if taken_over else interval
            # A first sync runs in the backfills pool (see jobs.BACKFILLS); an account
            # synced before (a restart, a takeover from a replica) pulls a small change.
            job.backfill = not taken_over and account_id not in synced and not job.results
            scheduler.add_job(
                self.pull,
                PollTrigger(interval.total_seconds(), jitter.total_seconds()),
                args=[account_id],
                id=f"pull:{account_id}",
                name=f"pull {account_id}",
                executor=BACKFILLS if job.backfill else PULLS,
                next_run_time=now + first_run_offset(index, len(accounts), spread),
                replace_existing=True,
            )
            if job.pushes:
                scheduler.add_job(
                    self.push,
                    PollTrigger(shipping.push_interval.total_seconds(), 1.0),
                    args=[account_id],
                    id=f"push:{account_id}",
                    name=f"push {account_id}",
                    executor=PUSHES,
                    next_run_time=now + timedelta(seconds=index + 2),
                    replace_existing=True,
                )
            if job.catalog:
                scheduler.add_job(
                    self.sync_catalog,
                    PollTrigger(self.config.matching.catalog_interval.total_seconds(), 5.0),
                    args=[account_id],
                    id=f"catalog:{account_id}",
                    name=f"catalog {account_id}",
                    executor=HOUSEKEEPING,
                    next_run_time=now + timedelta(seconds=index + 1),
                    replace_existing=True,
                )

    def _unschedule(self, account_id: str) -> None:
        scheduler = self._scheduler
        if scheduler is not None:
            for kind in ("pull", "push", "catalog"):
                with suppress(JobLookupError):
                    scheduler.remove_job(f"{kind}:{account_id}")
        self._abandon_parked(self.jobs[account_id])

    def renew_leases(self) -> None:
        """Renew this replica's account leases, take free ones up to its share, give back
        the surplus, and schedule what changed (PostgreSQL). Never raises."""
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as connection:
                if not heartbeats.beat(connection, self.instance_id, now=now):
                    heartbeats.register(
                        connection, self.instance_id, accounts=sorted(self.jobs), now=now
                    )
                claim = leases.renew(
                    connection,
                    self.instance_id,
                    list(self.jobs),
                    now=now,
                    ttl=self.lease_ttl,
                    held=self.held,
                )
        except SQLAlchemyError as exc:
            # The leases run out if this goes on; the pull lock still keeps two replicas
            # from pulling one account at once.
            self._heartbeat_failed(exc, "the worker retries; its leases expire meanwhile.")
            return
        self.last_beat = now
        first, self.held = not self.held, set(claim.held)
        for account_id in sorted(claim.lost):
            self._unschedule(account_id)
        if claim.gained:
            # The first claim spreads its first pulls over one interval; accounts taken over
            # from a replica that died or gave them back are late already: run them soon.
            self._schedule(sorted(claim.gained), now, taken_over=not first)
        if claim.gained or claim.lost:
            self.log.info(
                "worker.leases_changed",
                instance=self.instance_id,
                held=len(claim.held),
                gained=len(claim.gained),
                lost=len(claim.lost),
                share=claim.share,
                replicas=claim.replicas,
            )

    def stop(self) -> None:
        """Stop taking work, let running pulls commit their page, and return."""
        if self.stop_event.is_set() and self._scheduler is None:
            return
        self.stop_event.set()
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        for job in self.jobs.values():
            self._abandon_parked(job)
        self.health_wake.set()
        if self._health_thread is not None:
            # At most one message is in flight (bounded by its destination's timeout); do
            # not let a hanging destination hold up a clean stop for long.
            self._health_thread.join(5)
            self._health_thread = None
        try:
            with self.engine.begin() as connection:
                heartbeats.unregister(connection, self.instance_id)
                if self.leasing:
                    leases.release(connection, self.instance_id, now=datetime.now(UTC))
        except SQLAlchemyError as exc:
            self._heartbeat_failed(exc, "`orderhub health` shows stale rows.")
        if self._metrics_server is not None:
            self._metrics_server.shutdown()
            self._metrics_server = None
        for job in self.jobs.values():
            if job.connector is not None:
                job.connector.close()
        self.log.info("worker.stopped")

    def run_until_stopped(self, *, duration: float | None = None) -> None:
        """Start, then block until SIGTERM/SIGINT (or ``duration`` seconds), then stop."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self.start()
            deadline = None if duration is None else time.monotonic() + duration
            while not self.stop_event.is_set():
                timeout = (
                    1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
                )
                if deadline is not None and time.monotonic() >= deadline:
                    break
                self.stop_event.wait(timeout)
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.log.info("worker.stopping", signal=signal.Signals(signum).name)
        self.stop_event.set()

    # -- jobs --------------------------------------------------------------------------

    def beat(self) -> None:
        """Refresh this process's heartbeat row (re-created if something removed it)."""
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as connection:
                if not heartbeats.beat(connection, self.instance_id, now=now):
                    heartbeats.register(
                        connection, self.instance_id, accounts=sorted(self.jobs), now=now
                    )
        except SQLAlchemyError as exc:
            self._heartbeat_failed(exc, "the worker retries.")
            return
        self.last_beat = now

    def _heartbeat_failed(self, exc: SQLAlchemyError, then: str) -> None:
        self.log.warning(
            "worker.heartbeat_failed",
            instance=self.instance_id,
            error_kind="store",
            error=str(getattr(exc, "orig", None) or exc).splitlines()[0][:300],
            fix=f"Check that the store is reachable (`orderhub health`); {then}",
        )

    def healthz(self) -> Probe:
        """Alive: the heartbeat job ran within three periods (a wedged scheduler fails)."""
        return liveness(
            self.last_beat,
            datetime.now(UTC),
            max_age=timedelta(seconds=max(3 * self.heartbeat_every, 5.0)),
        )

    def readyz(self) -> Probe:
        """Ready: the store answers and its migrations are current."""
        return readiness(self.engine)

    # -- health, metrics and alerts (their own thread) ----------------------------------

    def _health_loop(self) -> None:
        interval = self.config.alerts.check_interval.total_seconds()
        while not self.stop_event.is_set():
            self.health_wake.wait(interval)
            self.health_wake.clear()
            if self.stop_event.is_set():
                return
            self.check_health()

    def check_health(self) -> None:
        """Evaluate the health model once: gauges, alerts opened/resolved, messages sent.
        Never raises."""
        try:
            evaluate_health(
                self.engine,
                self.config,
                self.metrics,
                [job.account for job in self.jobs.values()],
                self.stop_event,
            )
        except Exception:
            self.log.exception(
                "worker.health_crashed",
                error_kind="internal",
                fix="A bug in orderhub: report it with this line. Syncing goes on.",
            )

    def pull(self, account_id: str) -> PullResult | None:
        """One scheduled pull of one account. Never raises: a failure stays with its account."""
        job = self.jobs[account_id]
        if self.stop_event.is_set() or not job.lock.acquire(blocking=False):
            return None
        began = datetime.now(UTC)
        try:
            connector = self._connector(job)
            if connector is None:
                return None
            runner = PullRunner(
                self.engine,
                connector,
                stop=self.stop_event,
                matching=self.config.matching,
                park_after=PARK_AFTER,
            )
            parked, job.parked = job.parked, None
            result = runner.resume(parked) if parked is not None else runner.run()
            if result.outcome == "waiting":
                job.parked = result.parked
                self._resume_at(account_id, result.resume_in or PARK_AFTER)
                return result
            previous = job.results[-1] if job.results else None
            job.results.append(result)
            self.metrics.record_pull(account_id, connector.name, result, time.time())
            if result.outcome == "succeeded" and job.pushes:
                with self.engine.begin() as connection:
                    verify_pushes(
                        connection,
                        account_id=account_id,
                        now=self.clock.now(),
                        verify_after=self.config.shipping.verify_after,
                        reflects_partial=connector.reflects_partial_shipments,
                    )
            if self.on_result is not None:
                self.on_result(result)
            # Tell the health thread when the account's health may have changed: a failure
            # is alerted within moments, a recovery resolved, not an interval later. Not
            # after a routine success: each evaluation reads every account in one store
            # transaction, and with hundreds of accounts a wake per pull kept it evaluating
            # (and holding SQLite's write lock) nonstop (bench/bench_accounts.py).
            if health_may_change(previous, result):
                self.health_wake.set()
            return result
        except Interrupted:
            self.log.info("worker.pull_stopping", account=account_id)
            return None
        except Exception:
            self.log.exception(
                "worker.job_crashed",
                account=account_id,
                channel=job.account.connector,
                error_kind="internal",
                fix=_BUG_FIX,
            )
            return None
        finally:
            if job.backfill and job.parked is None:
                self._end_backfill(job, began)
            job.lock.release()

    def _end_backfill(self, job: AccountJob, began: datetime) -> None:
        """Move an account whose first pull ended (however it ended) to the pulls pool,
        its next pull one interval after this one began: a first pull that waited for a
        backfill thread starts the account's rhythm late, it does not pull again at once."""
        job.backfill = False
        scheduler = self._scheduler
        if scheduler is None:
            return
        with suppress(JobLookupError):
            scheduler.modify_job(
                f"pull:{job.account.id}", executor=PULLS, next_run_time=began + job.account.interval
            )

    def _resume_at(self, account_id: str, seconds: float) -> None:
        """Move the account's next pull to when its token bucket allows the request."""
        scheduler = self._scheduler
        if scheduler is None:
            return
        when = datetime.now(UTC) + timedelta(seconds=seconds)
        with suppress(JobLookupError):
            scheduler.modify_job(f"pull:{account_id}", next_run_time=when)

    def _abandon_parked(self, job: AccountJob) -> None:
        """End a waiting pull's run as interrupted (stop, or the account's lease lost)."""
        parked, job.parked = job.parked, None
        if parked is None or job.connector is None:
            return
        try:
            PullRunner(self.engine, job.connector).abandon(parked)
        except Exception:
            self.log.exception(
                "worker.job_crashed",
                account=job.account.id,
                channel=job.account.connector,
                error_kind="internal",
                fix=_BUG_FIX,
            )

    def push(self, account_id: str) -> PushRunResult | None:
        """One scheduled drain of one account's outbox. Never raises."""
        job = self.jobs[account_id]
        if self.stop_event.is_set() or not job.push_lock.acquire(blocking=False):
            return None
        try:
            connector = self._connector(job)
            if connector is None:
                return None
            runner = PushRunner(
                self.engine,
                connector,
                worker_id=self.worker_id,
                carrier_overrides=self.config.shipping.carrier_codes,
            )
            result = runner.run(stop=self.stop_event)
            job.push_results.append(result)
            self.metrics.record_push(account_id, connector.name, result.outcomes)
            return result
        except Interrupted:
            self.log.info("worker.push_stopping", account=account_id)
            return None
        except Exception:
            self.log.exception(
                "worker.push_crashed",
                account=account_id,
                channel=job.account.connector,
                error_kind="internal",
                fix=_BUG_FIX,
            )
            return None
        finally:
            job.push_lock.release()

    def sync_catalog(self, account_id: str) -> None:
        """Read the catalog from a shop that is its source of truth. Never raises."""
        job = self.jobs[account_id]
        if self.stop_event.is_set() or not job.catalog_lock.acquire(blocking=False):
            return
        try:
            connector = self._connector(job)
            if connector is not None:
                sync_catalog(self.engine, connector, self.clock.now(), config=self.config.matching)
        except ConnectorError as exc:
            self.log.error(
                "catalog.sync_failed",
                account=account_id,
                channel=job.account.connector,
                run_id=None,
                error_kind=exc.kind.value,
                error=exc.message,
                fix=exc.fix,
            )
        except Interrupted:
            # A stop during a wait (a retry pause, a slow answer): a normal stop.
            self.log.info("worker.catalog_stopping", account=account_id)
        except Exception:
            self.log.exception(
                "worker.catalog_crashed",
                account=account_id,
                channel=job.account.connector,
                error_kind="internal",
                fix=_BUG_FIX,
            )
        finally:
            job.catalog_lock.release()

    def purge(self) -> None:
        """Apply [retention]: erase buyer data past its period, drop old history. Never
        raises."""
        if self.stop_event.is_set():
            return
        try:
            with self.engine.begin() as connection:
                result = purge(connection, self.config.retention, now=self.clock.now())
            self.log.info(
                "retention.purged",
                orders_erased=result.orders_erased,
                runs_deleted=result.runs_deleted,
                quarantine_deleted=result.quarantine_deleted,
            )
        except Exception:
            self.log.exception("worker.retention_crashed", error_kind="internal", fix=_BUG_FIX)

    def scan_inbox(self) -> None:
        """Import the CSV files waiting in the shipments drop folder. Never raises."""
        inbox = self.config.shipping.inbox
        if inbox is None or self.stop_event.is_set():
            return
        try:
            process_inbox(self.engine, inbox)
        except Exception:
            self.log.exception(
                "worker.inbox_crashed", inbox=str(inbox), error_kind="internal", fix=_BUG_FIX
            )

    def _connector(self, job: AccountJob) -> Connector[Any] | None:
        # The pull and push jobs of one account may ask at once: build one instance.
        with self._build_lock:
            return self._build_connector(job)

    def _build_connector(self, job: AccountJob) -> Connector[Any] | None:
        if job.connector is not None:
            return job.connector
        account = job.account
        try:
            if account.problems:
                raise ConfigError(list(account.problems))
            job.connector = build_connector(
                self.config, account, clock=self.clock, transport=self.transports.get(account.id)
            )
        except (ConfigError, ConnectorLoadError) as exc:
            reason = str(exc)
            fix = "Fix the account in the configuration, check it with `orderhub config check`."
            self.log.error(
                "worker.account_unusable",
                error_kind="config",
                account=account.id,
                channel=account.connector,
                error=reason,
                fix=fix,
            )
            with self.engine.begin() as connection:
                runs.set_attention(
                    connection, account.id, reason=reason, fix=fix, now=datetime.now(UTC)
                )
            return None
        return job.connector
