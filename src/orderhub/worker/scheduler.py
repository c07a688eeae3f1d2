"""The worker: APScheduler drives one pull job per enabled account.

This is the only module that imports APScheduler. The scheduler holds no business state:
cursors, runs and failures live in the store, so killing the process at any instant and
starting it again resumes with nothing lost and nothing doubled.

Each account's job runs at its configured interval with jitter (so many accounts don't hit
their channels in step), ``max_instances=1`` (never two pulls of one account at once) and
``coalesce=True`` (a backlog of missed runs collapses into one). An exception in one
account's job is logged and recorded for that account only; the others keep running.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from orderhub.config import AccountConfig, AppConfig, ConfigError
from orderhub.files import write_private_text
from orderhub.matching import sync_catalog
from orderhub.metrics import WorkerMetrics
from orderhub.registry import ConnectorLoadError, load_connector
from orderhub.runtime import build_connector
from orderhub.sdk.clock import Interrupted, SystemClock
from orderhub.sdk.connector import Capability, Connector
from orderhub.sdk.errors import ConnectorError
from orderhub.shipping.inbox import process_inbox
from orderhub.shipping.push import PushRunner, PushRunResult, verify_pushes
from orderhub.store import runs
from orderhub.store.retention import purge
from orderhub.sync.pull import PullResult, PullRunner

HEARTBEAT_EVERY = 15.0
#: Seconds between two retention purges (buyer data past its period, old history rows).
PURGE_EVERY = 3600.0
RESULTS_KEPT = 50


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


class Worker:
    """Runs every enabled account's pull on schedule until :meth:`stop` is called.

    ``transports`` maps account ids to an httpx transport (the demo and tests point accounts
    at simulated channels); ``heartbeat`` is a file touched every few seconds for the
    container health check.
    """

    def __init__(
        self,
        config: AppConfig,
        engine: Engine,
        *,
        transports: Mapping[str, httpx.BaseTransport] | None = None,
        heartbeat: Path | None = None,
        on_result: Callable[[PullResult], None] | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.transports = dict(transports or {})
        self.heartbeat = heartbeat
        self.on_result = on_result
        self.stop_event = threading.Event()
        self.clock = SystemClock(stop=self.stop_event)
        self.jobs: dict[str, AccountJob] = {
            account.id: AccountJob(
                account,
                pushes=_declares(account, Capability.PUSH_TRACKING),
                catalog=_declares(account, Capability.CATALOG),
            )
            for account in config.enabled_accounts
        }
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self.metrics = WorkerMetrics()
        self._metrics_server: Any = None
        self._build_lock = threading.Lock()
        self.log = structlog.get_logger()
        self._scheduler: BackgroundScheduler | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        workers = max(1, min(8, len(self.jobs)))
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        now = datetime.now(UTC)
        for index, (account_id, job) in enumerate(self.jobs.items()):
            interval = job.account.interval
            jitter = job.account.jitter or timedelta(0)
            scheduler.add_job(
                self.pull,
                IntervalTrigger(seconds=interval.total_seconds(), jitter=jitter.total_seconds()),
                args=[account_id],
                id=f"pull:{account_id}",
                name=f"pull {account_id}",
                # First runs start at once, spread by a second each.
                next_run_time=now + timedelta(seconds=index),
            )
        shipping = self.config.shipping
        for index, (account_id, job) in enumerate(self.jobs.items()):
            if not job.pushes:
                continue
            scheduler.add_job(
                self.push,
                IntervalTrigger(seconds=shipping.push_interval.total_seconds(), jitter=1.0),
                args=[account_id],
                id=f"push:{account_id}",
                name=f"push {account_id}",
                next_run_time=now + timedelta(seconds=index + 2),
            )
        for index, (account_id, job) in enumerate(self.jobs.items()):
            if not job.catalog:
                continue
            scheduler.add_job(
                self.sync_catalog,
                IntervalTrigger(
                    seconds=self.config.matching.catalog_interval.total_seconds(), jitter=5.0
                ),
                args=[account_id],
                id=f"catalog:{account_id}",
                name=f"catalog {account_id}",
                next_run_time=now + timedelta(seconds=index + 1),
            )
        if shipping.inbox is not None:
            scheduler.add_job(
                self.scan_inbox,
                IntervalTrigger(seconds=shipping.scan_interval.total_seconds()),
                id="inbox",
                name="shipments inbox",
                next_run_time=now,
            )
        if self.config.retention.enabled:
            scheduler.add_job(
                self.purge,
                IntervalTrigger(seconds=PURGE_EVERY),
                id="retention",
                name="retention purge",
                next_run_time=now + timedelta(seconds=30),
            )
        if self.heartbeat is not None:
            scheduler.add_job(
                self.beat,
                IntervalTrigger(seconds=HEARTBEAT_EVERY),
                id="heartbeat",
                next_run_time=now,
            )
        scheduler.start()
        self._scheduler = scheduler
        self._metrics_server = self.metrics.serve(self.config.metrics)
        self.log.info("worker.started", accounts=sorted(self.jobs))

    def stop(self) -> None:
        """Stop taking work, let running pulls commit their page, and return."""
        if self.stop_event.is_set() and self._scheduler is None:
            return
        self.stop_event.set()
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=True)
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
        if self.heartbeat is not None:
            write_private_text(self.heartbeat, datetime.now(UTC).isoformat())

    def pull(self, account_id: str) -> PullResult | None:
        """One scheduled pull of one account. Never raises: a failure stays with its account."""
        job = self.jobs[account_id]
        if self.stop_event.is_set() or not job.lock.acquire(blocking=False):
            return None
        try:
            connector = self._connector(job)
            if connector is None:
                return None
            result = PullRunner(
                self.engine, connector, stop=self.stop_event, matching=self.config.matching
            ).run()
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
            return result
        except Interrupted:
            self.log.info("worker.pull_stopping", account=account_id)
            return None
        except Exception:
            self.log.exception("worker.job_crashed", account=account_id)
            return None
        finally:
            job.lock.release()

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
            self.log.exception("worker.push_crashed", account=account_id)
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
                "catalog.sync_failed", account=account_id, error=exc.message, fix=exc.fix
            )
        except Interrupted:
            # A stop during a wait (a retry pause, a slow answer): a normal stop.
            self.log.info("worker.catalog_stopping", account=account_id)
        except Exception:
            self.log.exception("worker.catalog_crashed", account=account_id)
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
            self.log.exception("worker.retention_crashed")

    def scan_inbox(self) -> None:
        """Import the CSV files waiting in the shipments drop folder. Never raises."""
        inbox = self.config.shipping.inbox
        if inbox is None or self.stop_event.is_set():
            return
        try:
            process_inbox(self.engine, inbox)
        except Exception:
            self.log.exception("worker.inbox_crashed", inbox=str(inbox))

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


def _declares(account: AccountConfig, capability: Capability) -> bool:
    """Whether the account's connector declares ``capability`` (False if it cannot load:
    the pull job reports that)."""
    try:
        return capability in load_connector(account.connector).capabilities
    except ConnectorLoadError:
        return False
