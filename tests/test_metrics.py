"""The worker's Prometheus metrics: configuration, counts from real runs, the endpoint."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import structlog
from sqlalchemy import Engine

from orderhub.config import ConfigError, load_config
from orderhub.metrics import MetricsConfig, WorkerMetrics
from orderhub.sdk import ConnectorContext
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings


def test_metrics_config_is_read_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[metrics]\nport = 9108\naddress = "127.0.0.1"\n')
    assert load_config(good, env={}).metrics == MetricsConfig(port=9108, address="127.0.0.1")
    plain = tmp_path / "plain.toml"
    plain.write_text("[orderhub]\n")
    assert load_config(plain, env={}).metrics.port is None, "off unless a port is given"

    bad = tmp_path / "bad.toml"
    bad.write_text('[metrics]\nport = "ninety"\nprot = 1\n')
    with pytest.raises(ConfigError) as caught:
        load_config(bad, env={})
    keys = {problem.key for problem in caught.value.problems}
    assert keys == {"metrics.port", "metrics.prot"}
    assert "Did you mean" in str(caught.value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_counts_from_a_real_run_are_served(sqlite_engine: Engine) -> None:
    clock = FakeClock()
    shop = SimulatedWooCommerce(clock, seed=4)
    shop.generate(12, start=clock.now() - timedelta(days=1), spread=timedelta(hours=20))
    shop.add_malformed_order(created=clock.now() - timedelta(hours=2))
    clock.advance(60)
    connector = WooCommerceConnector(
        ConnectorContext(
            account_id="shop",
            settings=WooCommerceSettings(
                base_url="http://127.0.0.1/", consumer_key="ck_test", consumer_secret="cs_test"
            ),
            clock=clock,
            log=structlog.get_logger(),
            transport=shop.transport(),
        )
    )
    result = PullRunner(sqlite_engine, connector).run()
    metrics = WorkerMetrics()
    metrics.record_pull("shop", "woocommerce", result, 1_700_000_000.0)
    metrics.record_push("shop", "woocommerce", {"confirmed": 2, "failed": 1})

    def value(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(
            name, {"account": "shop", "channel": "woocommerce", **labels}
        )

    assert value("orderhub_sync_runs_total", outcome="succeeded") == 1
    assert value("orderhub_orders_total", change="created") == 12
    assert value("orderhub_orders_total", change="quarantined") == 1
    assert value("orderhub_pushes_total", outcome="failed") == 1
    assert value("orderhub_last_success_timestamp_seconds") == 1_700_000_000.0

    port = free_port()
    server = metrics.serve(MetricsConfig(port=port, address="127.0.0.1"))
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        server.shutdown()
        server.server_close()
    assert (
        'orderhub_orders_total{account="shop",change="created",channel="woocommerce"} 12.0' in body
    )
    assert metrics.serve(MetricsConfig()) is None, "no port, no endpoint"
    connector.close()
