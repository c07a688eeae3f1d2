"""What the benchmarks share: simulated WooCommerce orders, a connector bound to the
simulator, and the result file.

The benchmarks run as scripts (``python bench/bench_ingest.py``), so this module is
imported by its bare name from the ``bench`` directory.
"""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import structlog

from orderhub.sdk import ConnectorContext
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.testing import FakeClock
from orderhub_connectors.woocommerce import WooCommerceConnector, WooCommerceSettings

RESULTS = Path(__file__).parent / "results"
ACCOUNT = "bench-shop"

# The simulated orders are created within the last 20 days, so the first sync's 30-day
# backfill covers every one of them.
ORDERS_AGE = timedelta(days=20)
ORDERS_SPREAD = timedelta(days=19)


def woo_shop(n: int, *, seed: int = 7, clock: FakeClock | None = None) -> SimulatedWooCommerce:
    """A simulated WooCommerce shop holding ``n`` generated orders."""
    clock = clock or FakeClock()
    shop = SimulatedWooCommerce(clock, seed=seed)
    shop.generate(n, start=clock.now() - ORDERS_AGE, spread=ORDERS_SPREAD)
    return shop


def woo_payloads(n: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` order payloads exactly as the connector receives them: rendered by the
    simulator and passed through JSON text, as the HTTP client decodes them."""
    shop = woo_shop(n, seed=seed)
    return [json.loads(json.dumps(shop.order(record.id))) for record in shop.store]


def woo_connector(
    clock: Any, transport: httpx.BaseTransport, *, account_id: str = ACCOUNT
) -> WooCommerceConnector:
    """The WooCommerce connector, talking to ``transport`` (the simulator's in-process
    transport: no sockets)."""
    settings = WooCommerceSettings(
        base_url="http://127.0.0.1/", consumer_key="ck_test", consumer_secret="cs_test"
    )
    return WooCommerceConnector(
        ConnectorContext(
            account_id=account_id,
            settings=settings,
            clock=clock,
            log=structlog.get_logger(),
            transport=transport,
        )
    )


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    import sqlite3

    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def write_result(name: str, result: dict[str, Any], path: Path | None, argv: list[str]) -> Path:
    """Write ``result`` (plus the date and the machine) as JSON; returns the file's path.
    The default place is ``bench/results/<name>-<UTC timestamp>.json``."""
    stamp = datetime.now(UTC)
    if path is None:
        path = RESULTS / f"{name}-{stamp.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": name,
        "measured_at": stamp.isoformat(timespec="seconds"),
        "machine": machine(),
        "argv": argv,
        **result,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path
