"""``orderhub demo``: the whole loop against simulated marketplaces, no credentials needed.

The demo starts simulated channels as real HTTP servers on localhost, each seeded with a
few days of realistic orders (and one malformed order), lets new orders arrive and existing
ones change while it runs, and runs the real worker against them on the real store (the
same default database every other command uses), for a bounded time. It then prints what
it stored, so ``orderhub orders list`` and ``orderhub failures`` run in the same directory
show the same thing.

The channels are configured through a real configuration file (written to a temporary
directory) and environment secrets, exactly as a seller would configure real ones.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import func, select

from orderhub.cli.common import console, safe_url
from orderhub.config import load_config
from orderhub.logs import configure_logging
from orderhub.sdk.clock import SystemClock
from orderhub.store import queries
from orderhub.store.db import make_engine, upgrade
from orderhub.store.ingest import ORDERS
from orderhub.sync.pull import PullResult
from orderhub.testing.sims.woocommerce import SimulatedWooCommerce

if TYPE_CHECKING:
    from orderhub.cli.common import CliState


@dataclass(frozen=True)
class DemoShop:
    account_id: str
    title: str
    currency: str
    seed_offset: int


SHOPS = (
    DemoShop("demo-webshop", "the seller's WooCommerce web shop", "EUR", 0),
    DemoShop("demo-outlet", "a second WooCommerce outlet shop", "GBP", 100),
)

# New orders and status changes per hour of real time: fast enough that a 40-second demo
# sees orders arrive, get paid, ship and occasionally get cancelled.
LIVE_NEW_PER_HOUR = 600.0
LIVE_CHANGES_PER_HOUR = 900.0


@contextmanager
def _simulated_shops(seed: int, initial_orders: int) -> Iterator[dict[str, Any]]:
    clock = SystemClock()
    with ExitStack() as stack:
        servers: dict[str, Any] = {}
        for shop in SHOPS:
            sim = SimulatedWooCommerce(
                clock,
                consumer_key=f"ck_{shop.account_id.replace('-', '_')}",
                consumer_secret=f"cs_{shop.account_id.replace('-', '_')}_demo",
                seed=seed + shop.seed_offset,
                currency=shop.currency,
            )
            now = clock.now()
            sim.generate(initial_orders, start=now - timedelta(days=6), spread=timedelta(days=5))
            if shop is SHOPS[0]:
                # One order the connector cannot read: it must land in `orderhub failures`
                # while every other order is stored.
                sim.add_malformed_order("bad_quantity", created=now - timedelta(hours=2))
            sim.start_live(new_per_hour=LIVE_NEW_PER_HOUR, changes_per_hour=LIVE_CHANGES_PER_HOUR)
            server = stack.enter_context(sim.serve())
            servers[shop.account_id] = (sim, server)
        yield servers


def _write_config(directory: Path, servers: dict[str, Any], database_url: str) -> dict[str, str]:
    lines = [
        "# Written by `orderhub demo`: simulated shops on localhost.",
        "[orderhub]",
        f'database_url = "{database_url}"',
        "",
    ]
    env: dict[str, str] = {}
    for shop in SHOPS:
        sim, server = servers[shop.account_id]
        prefix = shop.account_id.upper().replace("-", "_")
        env[f"{prefix}_KEY"] = sim.consumer_key
        env[f"{prefix}_SECRET"] = sim.consumer_secret
        lines += [
            "[[accounts]]",
            f'id = "{shop.account_id}"',
            'connector = "woocommerce"',
            'interval = "10s"',
            'jitter = "1s"',
            "[accounts.settings]",
            f'base_url = "{server.base_url}"',
            f'consumer_key_env = "{prefix}_KEY"',
            f'consumer_secret_env = "{prefix}_SECRET"',
            "",
        ]
    (directory / "orderhub-demo.toml").write_text("\n".join(lines))
    return env


def run_demo(st: CliState, *, duration: float, initial_orders: int, seed: int) -> None:
    """Run the demo for ``duration`` seconds and print a summary."""
    from orderhub.worker.scheduler import Worker

    database_url = st.url()
    configure_logging(level=st.log_level or "warning", fmt=st.log_format or "console")
    engine = make_engine(database_url)
    upgrade(engine)
    console.print(
        f"[bold]orderhub demo[/]: {len(SHOPS)} simulated WooCommerce shops on localhost, "
        f"{initial_orders} orders each to start with, new orders and changes arriving live; "
        f"the worker runs for {duration:.0f} s into {safe_url(database_url)}.",
        highlight=False,
    )
    results: list[PullResult] = []
    lock = threading.Lock()

    def on_result(result: PullResult) -> None:
        with lock:
            results.append(result)

    with _simulated_shops(seed, initial_orders) as servers, tempfile.TemporaryDirectory() as tmp:
        env = _write_config(Path(tmp), servers, database_url)
        config = load_config(Path(tmp) / "orderhub-demo.toml", env={**os.environ, **env})
        worker = Worker(config, engine, on_result=on_result)
        with Progress(
            TextColumn("[bold]worker[/]"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("demo", total=duration, detail="starting")
            started = time.monotonic()
            worker.start()
            try:
                while (elapsed := time.monotonic() - started) < duration:
                    with lock:
                        done = list(results)
                    fetched = sum(r.fetched for r in done)
                    progress.update(
                        task, completed=elapsed, detail=f"{len(done)} runs, {fetched} orders read"
                    )
                    time.sleep(0.25)
            except KeyboardInterrupt:
                console.print("Interrupted: stopping the worker.")
            finally:
                worker.stop()
        _summary(engine, results, servers)


def _summary(engine: Any, results: list[PullResult], servers: dict[str, Any]) -> None:
    with engine.connect() as connection:
        by_status = queries.orders_by_channel_and_status(connection)
        per_account = dict(
            connection.execute(
                select(ORDERS.c.account_id, func.count()).group_by(ORDERS.c.account_id)
            ).all()
        )
        failures = queries.quarantined(connection)
    table = Table(title="Stored orders by channel and status")
    table.add_column("channel")
    table.add_column("status")
    table.add_column("orders", justify="right")
    for row in by_status:
        table.add_row(row.channel, row.status, str(row.orders))
    console.print(table)

    runs = Table(title="Accounts")
    for column in ("account", "on the channel", "stored", "quarantined", "runs", "failed"):
        runs.add_column(column, justify="right" if column != "account" else "left")
    for shop in SHOPS:
        sim, _server = servers[shop.account_id]
        mine = [r for r in results if r.account_id == shop.account_id]
        runs.add_row(
            shop.account_id,
            str(len(sim.store)),
            str(per_account.get(shop.account_id, 0)),
            str(sum(1 for f in failures if f.account_id == shop.account_id)),
            str(len(mine)),
            str(sum(1 for r in mine if not r.ok)),
        )
    console.print(runs)
    console.print(
        f"Quarantined records: {len(failures)} (the demo plants one malformed order on "
        "purpose: it is kept with its reason, and the rest of its page was stored). Orders "
        "that arrived on a channel after the last run are picked up by the next one.",
        highlight=False,
    )
    console.print(
        "Next: [bold]orderhub orders list[/], [bold]orderhub orders show ID[/], "
        "[bold]orderhub failures[/] and [bold]orderhub status[/] in this directory."
    )
