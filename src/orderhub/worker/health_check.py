"""One evaluation of the health model for the worker: read every account, open and resolve
alerts, update the gauges, send what is due."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from datetime import time as dt_time

from sqlalchemy import Engine

from orderhub.alerts.dispatch import deliver_due
from orderhub.alerts.engine import evaluate
from orderhub.config import AccountConfig, AppConfig
from orderhub.health import (
    account_health,
    awaiting_mapping_totals,
    credential_expiry_date,
    worker_instances,
)
from orderhub.metrics import HealthSnapshot, WorkerMetrics
from orderhub.store.db import reading


def evaluate_health(
    engine: Engine,
    config: AppConfig,
    metrics: WorkerMetrics,
    accounts: Iterable[AccountConfig],
    stop: threading.Event,
) -> None:
    """Evaluate the health model once. ``accounts`` are the worker's own (for the credential
    expiry gauges); ``stop`` ends a slow delivery when the worker stops."""
    now = datetime.now(UTC)
    # Read every account in a few grouped statements, in a transaction that takes no write
    # lock (SQLite), then write the alerts in a short one of their own: the evaluation
    # never holds up the pulls (bench/bench_accounts.py).
    with reading(engine) as connection:
        healths = account_health(connection, config, now)
        instances = worker_instances(connection, now)
        totals = awaiting_mapping_totals(connection)
    with engine.begin() as connection:
        evaluate(connection, healths, config.alerts, now)
    metrics.record_health(
        HealthSnapshot(
            accounts=healths,
            instances=len(instances),
            awaiting_mapping={a.account: totals.get(a.account, 0) for a in healths},
            credential_expiry=expiry_timestamps(accounts),
        )
    )
    deliver_due(
        engine,
        config.alerts,
        datetime.now(UTC),
        on_sent=lambda name, kind: metrics.alerts_sent.labels(name, kind).inc(),
        on_failed=lambda name: metrics.alert_deliveries_failed.labels(name).inc(),
        stop=stop,
    )


def expiry_timestamps(accounts: Iterable[AccountConfig]) -> dict[str, float]:
    """Each account's credential expiry date as a Unix time (accounts without one left out)."""
    out: dict[str, float] = {}
    for account in accounts:
        expires = credential_expiry_date(account)
        if expires is not None:
            out[account.id] = datetime.combine(expires, dt_time(), UTC).timestamp()
    return out
