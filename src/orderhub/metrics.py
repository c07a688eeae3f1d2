"""Prometheus metrics of the worker (``[metrics] port = 9108`` to serve them).

Counters are per account and channel, so a dashboard shows which sync fails and how often;
``orderhub_last_success_timestamp_seconds`` lets an alert fire when an account has not
synced for too long. Each worker owns its registry: nothing global, so tests and several
workers in one process never mix their numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from orderhub.probes import Probe, ProbeServer

if TYPE_CHECKING:
    from orderhub.health import AccountHealth


@dataclass(frozen=True)
class MetricsConfig:
    """``port`` None: no metrics endpoint."""

    port: int | None = None
    address: str = "0.0.0.0"  # noqa: S104 - a container's metrics must be reachable


class WorkerMetrics:
    """The worker's counters and gauges, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ("account", "channel")
        self.runs = Counter(
            "orderhub_sync_runs",
            "Pull runs by outcome.",
            (*labels, "outcome"),
            registry=self.registry,
        )
        self.orders = Counter(
            "orderhub_orders",
            "Orders read, by what the store did with them.",
            (*labels, "change"),
            registry=self.registry,
        )
        self.pushes = Counter(
            "orderhub_pushes",
            "Tracking pushes by outcome.",
            (*labels, "outcome"),
            registry=self.registry,
        )
        self.last_success = Gauge(
            "orderhub_last_success_timestamp_seconds",
            "When the account's last pull run succeeded (Unix time).",
            labels,
            registry=self.registry,
        )
        # From the health model, refreshed by the worker's health job (not per scrape, so
        # a busy Prometheus never adds load on the store).
        self.consecutive_failures = Gauge(
            "orderhub_account_consecutive_failures",
            "Failed pull runs in a row since the account's last success.",
            labels,
            registry=self.registry,
        )
        self.problems = Gauge(
            "orderhub_account_problems",
            "1 for each open problem of the health model (code, severity).",
            (*labels, "code", "severity"),
            registry=self.registry,
        )
        self.healthy = Gauge(
            "orderhub_account_healthy",
            "1 when the account has no problem, else 0.",
            labels,
            registry=self.registry,
        )
        self.outbox = Gauge(
            "orderhub_outbox_pushes",
            "Tracking pushes in the outbox by state (pending, sent, retrying, failed, "
            "conflict, not_reflected).",
            (*labels, "state"),
            registry=self.registry,
        )
        self.quarantined = Gauge(
            "orderhub_quarantined_records",
            "Quarantined records not yet read cleanly.",
            labels,
            registry=self.registry,
        )
        self.awaiting_mapping = Gauge(
            "orderhub_awaiting_mapping_orders",
            "Orders waiting for a SKU mapping.",
            labels,
            registry=self.registry,
        )
        self.credentials_expiry = Gauge(
            "orderhub_credentials_expiry_timestamp_seconds",
            "When the account's credentials expire, where the configuration says (Unix time).",
            labels,
            registry=self.registry,
        )
        self.worker_instances = Gauge(
            "orderhub_worker_instances",
            "Worker processes beating into this store.",
            registry=self.registry,
        )
        self.alert_deliveries_failed = Counter(
            "orderhub_alert_delivery_failures",
            "Failed attempts to deliver an alert, by destination.",
            ("destination",),
            registry=self.registry,
        )
        self.alerts_sent = Counter(
            "orderhub_alerts_sent",
            "Alert messages delivered, by destination and kind.",
            ("destination", "kind"),
            registry=self.registry,
        )

    def record_pull(self, account: str, channel: str, result: Any, now: float) -> None:
        self.runs.labels(account, channel, result.outcome).inc()
        counts = result.counts
        for change in ("created", "updated", "unchanged", "quarantined"):
            amount = getattr(counts, change)
            if amount:
                self.orders.labels(account, channel, change).inc(amount)
        if result.outcome == "succeeded":
            self.last_success.labels(account, channel).set(now)

    def record_push(self, account: str, channel: str, outcomes: Mapping[str, int]) -> None:
        for outcome, amount in outcomes.items():
            self.pushes.labels(account, channel, outcome).inc(amount)

    def record_health(self, snapshot: HealthSnapshot) -> None:
        """Set the health gauges from one evaluation of the health model."""
        # Problems come and go: clear the labelled series so a resolved one disappears.
        for gauge in (self.problems, self.outbox):
            gauge.clear()
        for item in snapshot.accounts:
            labels = (item.account, item.channel)
            self.consecutive_failures.labels(*labels).set(item.failure_streak)
            self.healthy.labels(*labels).set(0 if item.problems else 1)
            for problem in item.problems:
                self.problems.labels(*labels, problem.code, problem.severity).set(1)
            for state in ("pending", "sent", "retrying", "failed", "conflict", "not_reflected"):
                self.outbox.labels(*labels, state).set(item.pushes.get(state, 0))
            self.quarantined.labels(*labels).set(item.quarantined_open)
            self.awaiting_mapping.labels(*labels).set(
                snapshot.awaiting_mapping.get(item.account, 0)
            )
            expiry = snapshot.credential_expiry.get(item.account)
            if expiry is not None:
                self.credentials_expiry.labels(*labels).set(expiry)
        self.worker_instances.set(snapshot.instances)

    def serve(
        self,
        config: MetricsConfig,
        *,
        healthz: Callable[[], Probe] | None = None,
        readyz: Callable[[], Probe] | None = None,
    ) -> ProbeServer | None:
        """Serve ``/metrics``, ``/healthz`` and ``/readyz`` (a daemon thread) if a port is
        configured. Without probes given, both answer 200 (the process serves)."""
        if config.port is None:
            return None
        return ProbeServer(
            config.address,
            config.port,
            registry=self.registry,
            healthz=healthz or (lambda: Probe(True)),
            readyz=readyz or (lambda: Probe(True)),
        )


@dataclass(frozen=True)
class HealthSnapshot:
    """What :meth:`WorkerMetrics.record_health` needs: the health model's accounts plus
    figures it does not carry (per-account awaiting-mapping totals, expiry timestamps)."""

    accounts: Sequence[AccountHealth]
    instances: int
    awaiting_mapping: Mapping[str, int]
    credential_expiry: Mapping[str, float]
