"""Prometheus metrics of the worker (``[metrics] port = 9108`` to serve them).

Counters are per account and channel, so a dashboard shows which sync fails and how often;
``orderhub_last_success_timestamp_seconds`` lets an alert fire when an account has not
synced for too long. Each worker owns its registry: nothing global, so tests and several
workers in one process never mix their numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

METRICS_KEYS = ("port", "address")


@dataclass(frozen=True)
class MetricsConfig:
    """``port`` None: no metrics endpoint."""

    port: int | None = None
    address: str = "0.0.0.0"  # noqa: S104 - a container's metrics must be reachable


def read_metrics_config(
    data: Mapping[str, Any],
    *,
    add: Callable[[str, str, str], None],
    did_you_mean: Callable[[str, tuple[str, ...]], str],
) -> MetricsConfig:
    table = data.get("metrics", {})
    if not isinstance(table, dict):
        add("metrics", "must be a table.", "Write [metrics] then port = 9108.")
        return MetricsConfig()
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in METRICS_KEYS:
            add(
                f"metrics.{key}",
                "unknown key.",
                f"{did_you_mean(key, METRICS_KEYS)}Keys: {', '.join(METRICS_KEYS)}.",
            )
        elif key == "port":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
                add("metrics.port", f"{value!r} is not a port number.", "Write port = 9108.")
            else:
                values["port"] = value
        elif not isinstance(value, str) or not value.strip():
            add(
                "metrics.address",
                "must be an address to listen on.",
                'Write address = "0.0.0.0" (all interfaces) or "127.0.0.1".',
            )
        else:
            values["address"] = value.strip()
    return MetricsConfig(**values)


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

    def serve(self, config: MetricsConfig) -> Any:
        """Start the HTTP endpoint (a daemon thread) if a port is configured."""
        if config.port is None:
            return None
        server, _thread = start_http_server(config.port, config.address, registry=self.registry)
        return server
