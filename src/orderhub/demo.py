"""``orderhub demo``: the whole loop against simulated marketplaces, no credentials needed.

The demo starts simulated channels (a WooCommerce shop, a Shopify store, Amazon and eBay)
as real HTTP servers on localhost, each seeded with a few days of realistic orders (and one
malformed order), lets new orders arrive and existing ones change while it runs, and runs the real
worker against them on the real store (the same default database every other command
uses), for a bounded time. Part-way through, the seller ships some orders whole and some in
part; the worker pushes the tracking to each channel. It then prints what it stored and
pushed, so ``orderhub orders list``, ``orderhub pushes list`` and ``orderhub failures`` run
in the same directory show the same thing.

The channels are configured through a real configuration file (written to a temporary
directory) and environment secrets, exactly as a seller would configure real ones.
"""

from __future__ import annotations

import csv
import os
import shlex
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import func, select

from orderhub.cli.common import console, safe_url
from orderhub.config import load_config
from orderhub.logs import configure_logging
from orderhub.matching import import_catalog_csv
from orderhub.sdk.clock import SystemClock
from orderhub.shipping.record import PUSHES, SHIPMENTS, RecordedShipment, record_shipments
from orderhub.shipping.requests import ShipmentRequest
from orderhub.sims.amazon import CATALOG as AMAZON_CATALOG
from orderhub.sims.amazon import SimulatedAmazon
from orderhub.sims.ebay import CATALOG as EBAY_CATALOG
from orderhub.sims.ebay import SimulatedEbay
from orderhub.sims.shopify import SimulatedShopify
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store import queries
from orderhub.store.db import make_engine, upgrade
from orderhub.store.ingest import LINES, ORDERS
from orderhub.sync.pull import PullResult

if TYPE_CHECKING:
    from orderhub.cli.common import CliState


@dataclass(frozen=True)
class DemoChannel:
    """One simulated channel of the demo and the account that pulls it."""

    account_id: str
    connector: str
    title: str
    #: (clock, seed, initial orders) -> the simulator, seeded with orders
    build: Callable[[SystemClock, int, int], Any]
    #: (simulator, server base URL, env prefix) -> (settings TOML lines, environment)
    settings: Callable[[Any, str, str], tuple[list[str], dict[str, str]]]
    #: (simulator, channel order id, tracking number) -> is the tracking on the channel?
    on_channel: Callable[[Any, str, str], bool]


def _days_of_orders(sim: Any, clock: SystemClock, initial_orders: int) -> None:
    now = clock.now()
    sim.generate(initial_orders, start=now - timedelta(days=6), spread=timedelta(days=5))
    sim.start_live(new_per_hour=LIVE_NEW_PER_HOUR, changes_per_hour=LIVE_CHANGES_PER_HOUR)


def _woocommerce(clock: SystemClock, seed: int, initial_orders: int) -> Any:
    sim = SimulatedWooCommerce(
        clock, consumer_key="ck_demo_webshop", consumer_secret="cs_demo_webshop", seed=seed
    )
    _days_of_orders(sim, clock, initial_orders)
    # One order the connector cannot read: it must land in `orderhub failures` while every
    # other order is stored.
    sim.add_malformed_order("bad_quantity", created=clock.now() - timedelta(hours=2))
    # One order whose SKU was typed by hand: it waits in `orderhub skus unmapped`.
    sim.add_order(
        status="processing",
        lines=[(UNMAPPED_SKU, 2), ("MUG-WHITE", 1)],
        created=clock.now() - timedelta(hours=1),
    )
    return sim


def _woocommerce_settings(sim: Any, url: str, prefix: str) -> tuple[list[str], dict[str, str]]:
    return (
        [
            f'base_url = "{url}"',
            f'consumer_key_env = "{prefix}_KEY"',
            f'consumer_secret_env = "{prefix}_SECRET"',
        ],
        {f"{prefix}_KEY": sim.consumer_key, f"{prefix}_SECRET": sim.consumer_secret},
    )


def _shopify(clock: SystemClock, seed: int, initial_orders: int) -> Any:
    sim = SimulatedShopify(
        clock,
        shop="orderhub-demo",
        client_id="demo-shopify-app",
        client_secret="shpss_demo_shopify",
        seed=seed + 300,
    )
    _days_of_orders(sim, clock, initial_orders)
    return sim


def _shopify_settings(sim: Any, url: str, prefix: str) -> tuple[list[str], dict[str, str]]:
    return (
        [
            'shop = "orderhub-demo"',
            f'api_base_url = "{url}"',
            'client_id = "demo-shopify-app"',
            f'client_secret_env = "{prefix}_CLIENT_SECRET"',
        ],
        {f"{prefix}_CLIENT_SECRET": sim.client_secret},
    )


def _amazon(clock: SystemClock, seed: int, initial_orders: int) -> Any:
    sim = SimulatedAmazon(
        clock,
        client_id="amzn1.application-oa2-client.demo",
        client_secret="amzn1.oa2-cs.v1.demo",
        refresh_token="Atzr|demo-refresh",
        marketplace_ids=("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"),
        seed=seed + 100,
    )
    _days_of_orders(sim, clock, initial_orders)
    return sim


def _amazon_settings(sim: Any, url: str, prefix: str) -> tuple[list[str], dict[str, str]]:
    return (
        [
            'region = "na"',
            'marketplace_ids = ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]',
            f'api_base_url = "{url}"',
            f'token_url = "{url.rstrip("/")}/auth/o2/token"',
            f'client_id_env = "{prefix}_CLIENT_ID"',
            f'client_secret_env = "{prefix}_CLIENT_SECRET"',
            f'refresh_token_env = "{prefix}_REFRESH_TOKEN"',
        ],
        {
            f"{prefix}_CLIENT_ID": "amzn1.application-oa2-client.demo",
            f"{prefix}_CLIENT_SECRET": "amzn1.oa2-cs.v1.demo",
            f"{prefix}_REFRESH_TOKEN": "Atzr|demo-refresh",
        },
    )


def _ebay(clock: SystemClock, seed: int, initial_orders: int) -> Any:
    sim = SimulatedEbay(
        clock,
        client_id="demo-ebay-app",
        client_secret="demo-ebay-cert",
        refresh_token="v^1.1#demo-ebay",
        seed=seed + 200,
    )
    _days_of_orders(sim, clock, initial_orders)
    return sim


def _ebay_settings(sim: Any, url: str, prefix: str) -> tuple[list[str], dict[str, str]]:
    expires = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    return (
        [
            f'api_base_url = "{url}"',
            f'token_url = "{url.rstrip("/")}/identity/v1/oauth2/token"',
            f'client_id_env = "{prefix}_CLIENT_ID"',
            f'client_secret_env = "{prefix}_CLIENT_SECRET"',
            f'refresh_token_env = "{prefix}_REFRESH_TOKEN"',
            # Recorded 20 days ahead, so `orderhub status` shows its renewal warning.
            f"refresh_token_expires_on = {expires}",
        ],
        {
            f"{prefix}_CLIENT_ID": "demo-ebay-app",
            f"{prefix}_CLIENT_SECRET": "demo-ebay-cert",
            f"{prefix}_REFRESH_TOKEN": "v^1.1#demo-ebay",
        },
    )


CHANNELS = (
    DemoChannel(
        "demo-webshop",
        "woocommerce",
        "the seller's WooCommerce web shop",
        _woocommerce,
        _woocommerce_settings,
        lambda sim, order, tracking: any(
            tracking in note["note"] for note in sim.notes(int(order))
        ),
    ),
    DemoChannel(
        "demo-shopify",
        "shopify",
        "the seller's Shopify store",
        _shopify,
        _shopify_settings,
        lambda sim, order, tracking: any(
            tracking in item["tracking"] for item in sim.fulfillments(int(order))
        ),
    ),
    DemoChannel(
        "demo-amazon",
        "amazon",
        "Amazon (US and Canada marketplaces)",
        _amazon,
        _amazon_settings,
        lambda sim, order, tracking: any(
            package.get("trackingNumber") == tracking for package in sim.packages(order)
        ),
    ),
    DemoChannel(
        "demo-ebay",
        "ebay",
        "eBay",
        _ebay,
        _ebay_settings,
        lambda sim, order, tracking: any(
            item.get("shipmentTrackingNumber") == tracking for item in sim.fulfillments(order)
        ),
    ),
)

# New orders and status changes per hour of real time: fast enough that a 40-second demo
# sees orders arrive, get paid, ship and occasionally get cancelled.
LIVE_NEW_PER_HOUR = 600.0
LIVE_CHANGES_PER_HOUR = 600.0

UNMAPPED_SKU = "blu tee m"
#: Marketplace SKUs left out of the demo catalog on purpose, so a handful of lines wait
#: for a mapping (with suggestions) while most match.
LEFT_UNMAPPED = frozenset({"SOCKS-3PK", "TEE-ORGANIC-L", "BOOK-SF-1977"})
#: Written at the top of the kept orderhub.toml: a file without it is never overwritten.
KEPT_MARKER = "# Written by `orderhub demo --keep`"
DEMO_WEB_PORT = 8080
DEMO_WEB_PASSWORD_ENV = "ORDERHUB_DEMO_WEB_PASSWORD"  # noqa: S105 - a variable's name
DEMO_WEB_PASSWORD = "demo-console"  # noqa: S105 - made up, for the simulated shop only

# A little into the run, the seller ships some orders whole and some in part.
SHIP_AT = 0.3
FULL_SHIPMENTS = 3
PARTIAL_SHIPMENTS = 2
DEMO_PARCELS = (
    ("UPS", "1Z999AA1012345{n:04d}"),
    ("Royal Mail", "AB12345{n:04d}GB"),
    ("DHL", "JD01460000{n:04d}"),
    ("fed-ex", "79461234{n:04d}"),
)


@contextmanager
def _simulated_channels(seed: int, initial_orders: int) -> Iterator[dict[str, Any]]:
    clock = SystemClock()
    with ExitStack() as stack:
        servers: dict[str, Any] = {}
        for channel in CHANNELS:
            sim = channel.build(clock, seed, initial_orders)
            servers[channel.account_id] = (sim, stack.enter_context(sim.serve()))
        yield servers


def _write_config(directory: Path, servers: dict[str, Any], database_url: str) -> dict[str, str]:
    lines = [
        "# Written by `orderhub demo`: simulated channels on localhost.",
        "[orderhub]",
        f'database_url = "{database_url}"',
        "",
        "[shipments]",
        'push_interval = "3s"',
        "",
    ]
    env: dict[str, str] = {}
    for channel in CHANNELS:
        sim, server = servers[channel.account_id]
        prefix = channel.account_id.upper().replace("-", "_")
        settings, secrets = channel.settings(sim, server.base_url, prefix)
        env.update(secrets)
        lines += [
            "[[accounts]]",
            f'id = "{channel.account_id}"',
            f'connector = "{channel.connector}"',
            'interval = "10s"',
            'jitter = "1s"',
            "[accounts.settings]",
            *settings,
            "",
        ]
    (directory / "orderhub-demo.toml").write_text("\n".join(lines))
    return env


def _demo_catalog(engine: Any, directory: Path) -> None:
    """The seller's catalog beside the web shop's products (which the worker reads): the
    marketplace listings' SKUs with their ASINs and eBay ids, except :data:`LEFT_UNMAPPED`."""
    path = directory / "demo-catalog.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "title", "asin", "ebay_item_id", "ebay_variation_id"])
        for product in AMAZON_CATALOG:
            if product.sku and product.sku not in LEFT_UNMAPPED:
                writer.writerow([product.sku, product.title, product.asin, "", ""])
        for listing in EBAY_CATALOG:
            if listing.sku and listing.sku not in LEFT_UNMAPPED:
                writer.writerow(
                    [listing.sku, listing.title, "", listing.item_id, listing.variation_id or ""]
                )
    with engine.begin() as connection:
        import_catalog_csv(connection, path, now=datetime.now(UTC))


def _keep_files(config_text: str, env: dict[str, str]) -> tuple[Path, Path]:
    """``./orderhub.toml`` pointing at the simulators and ``./orderhub-demo.env`` with
    their (made-up) credentials. An orderhub.toml not written by the demo is left alone."""
    config = Path("orderhub.toml")
    if config.exists() and not config.read_text(encoding="utf-8").startswith(KEPT_MARKER):
        config = Path("orderhub-demo.toml")
    # The web console too: `orderhub web` (or `orderhub run`) serves it on this port, with
    # a made-up password kept beside the channels' credentials.
    env = {**env, DEMO_WEB_PASSWORD_ENV: DEMO_WEB_PASSWORD}
    web = f'\n[web]\nport = {DEMO_WEB_PORT}\npassword_env = "{DEMO_WEB_PASSWORD_ENV}"\n'
    config.write_text(f"{KEPT_MARKER}; the simulators stop with it.\n{config_text}{web}")
    env_file = Path("orderhub-demo.env")
    env_file.write_text(
        "# The demo simulators' made-up credentials: `set -a; . ./orderhub-demo.env; set +a`\n"
        + "".join(f"{name}={shlex.quote(value)}\n" for name, value in sorted(env.items()))
    )
    return config, env_file


def run_demo(
    st: CliState, *, duration: float, initial_orders: int, seed: int, keep: bool = False
) -> None:
    """Run the demo for ``duration`` seconds and print a summary. ``keep`` then leaves the
    simulators serving until Ctrl-C, with an orderhub.toml in the current directory
    pointing at them."""
    from orderhub.worker.scheduler import Worker

    database_url = st.url()
    configure_logging(level=st.log_level or "warning", fmt=st.log_format or "console")
    engine = make_engine(database_url)
    upgrade(engine)
    console.print(
        "[bold]orderhub demo[/]: simulated "
        + ", ".join(channel.title for channel in CHANNELS)
        + f" on localhost, {initial_orders} orders each to start with, new orders and changes "
        f"arriving live; the worker runs for {duration:.0f} s into {safe_url(database_url)}, "
        "and part-way through the seller ships some orders.",
        highlight=False,
    )
    results: list[PullResult] = []
    lock = threading.Lock()

    def on_result(result: PullResult) -> None:
        with lock:
            results.append(result)

    with _simulated_channels(seed, initial_orders) as servers, tempfile.TemporaryDirectory() as tmp:
        env = _write_config(Path(tmp), servers, database_url)
        config = load_config(Path(tmp) / "orderhub-demo.toml", env={**os.environ, **env})
        _demo_catalog(engine, Path(tmp))
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
            shipped: list[RecordedShipment] = []
            try:
                while (elapsed := time.monotonic() - started) < duration:
                    with lock:
                        done = list(results)
                    if not shipped and elapsed >= duration * SHIP_AT and done:
                        # The seller ships some orders: whole ones and part of others.
                        shipped = _ship_some(engine)
                    fetched = sum(r.fetched for r in done)
                    progress.update(
                        task,
                        completed=elapsed,
                        detail=f"{len(done)} runs, {fetched} orders read, "
                        f"{len(shipped)} shipments recorded",
                    )
                    time.sleep(0.25)
            except KeyboardInterrupt:
                console.print("Interrupted: stopping the worker.")
            finally:
                worker.stop()
        _summary(engine, results, servers)
        if keep:
            _carry_on(Path(tmp) / "orderhub-demo.toml", env)


def _ship_some(engine: Any) -> list[RecordedShipment]:
    """Record shipments for a few paid orders of each demo account: the first ones whole,
    the next ones in part (one unit of their first line)."""
    now = datetime.now(UTC)
    requests: list[ShipmentRequest] = []
    with engine.connect() as connection:
        for shop_index, shop in enumerate(CHANNELS):
            rows = connection.execute(
                select(ORDERS.c.id)
                .where(
                    ORDERS.c.account_id == shop.account_id,
                    ORDERS.c.status == "unshipped",
                    # The marketplace ships those itself (Amazon FBA).
                    ORDERS.c.fulfilled_by_channel.is_(False),
                )
                .order_by(ORDERS.c.id)
                .limit(FULL_SHIPMENTS + PARTIAL_SHIPMENTS)
            ).scalars()
            for index, order_id in enumerate(rows):
                carrier, tracking = DEMO_PARCELS[(shop_index * 7 + index) % len(DEMO_PARCELS)]
                tracking = tracking.format(n=1000 + shop_index * 100 + index)
                lines = None
                if index >= FULL_SHIPMENTS:
                    first = connection.execute(
                        select(LINES.c.external_id)
                        .where(LINES.c.order_id == order_id)
                        .order_by(LINES.c.position)
                        .limit(1)
                    ).scalar_one()
                    lines = ((first, 1),)
                requests.append(
                    ShipmentRequest(
                        order=str(order_id), carrier=carrier, tracking=tracking, lines=lines
                    )
                )
    if not requests:
        return []
    with engine.begin() as connection:
        return record_shipments(connection, requests, source="demo", now=now)


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

    with engine.connect() as connection:
        awaiting = dict(
            connection.execute(
                select(ORDERS.c.account_id, func.count())
                .where(ORDERS.c.awaiting_mapping)
                .group_by(ORDERS.c.account_id)
            ).all()
        )
    runs = Table(title="Accounts")
    for column in (
        "account",
        "on the channel",
        "stored",
        "awaiting mapping",
        "quarantined",
        "runs",
        "failed",
    ):
        if column == "account":
            _account_column(runs)
        else:
            runs.add_column(column, justify="right")
    for shop in CHANNELS:
        sim, _server = servers[shop.account_id]
        mine = [r for r in results if r.account_id == shop.account_id]
        runs.add_row(
            shop.account_id,
            str(len(sim.store)),
            str(per_account.get(shop.account_id, 0)),
            str(awaiting.get(shop.account_id, 0)),
            str(sum(1 for f in failures if f.account_id == shop.account_id)),
            str(len(mine)),
            str(sum(1 for r in mine if not r.ok)),
        )
    console.print(runs)
    _push_summary(engine, servers)
    console.print(
        f"Quarantined records: {len(failures)} (the demo plants one malformed order on "
        "purpose: it is kept with its reason, and the rest of its page was stored). Orders "
        "that arrived on a channel after the last run are picked up by the next one. A push "
        "can fail when the channel changed the order meanwhile (shipped or cancelled it "
        "elsewhere): `orderhub pushes list --failed` shows the channel's reason.",
        highlight=False,
    )
    console.print(
        "SKU matching: the catalog is the web shop's products and most marketplace SKUs; a "
        "line whose SKU matches none of them waits (the order is stored and flagged): a "
        "handful do, on purpose. Try "
        "[bold]orderhub skus unmapped[/], then "
        f"[bold]orderhub skus map '{UNMAPPED_SKU}' BLUE-TEE-M --account demo-webshop[/] and "
        "[bold]orderhub skus explain ORDER[/].",
        highlight=False,
    )
    console.print(
        "Next: [bold]orderhub orders list[/], [bold]orderhub orders show ID[/], "
        "[bold]orderhub failures[/], [bold]orderhub pushes list[/] and [bold]orderhub status[/] "
        "in this directory."
    )


def _account_column(table: Table) -> None:
    """The account ids whole (they are what ``orderhub sync`` takes); the counts fold."""
    width = max(len("account"), *(len(shop.account_id) for shop in CHANNELS))
    table.add_column("account", no_wrap=True, min_width=width, overflow="ignore")


def _push_summary(engine: Any, servers: dict[str, Any]) -> None:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                PUSHES.c.account_id,
                PUSHES.c.status,
                SHIPMENTS.c.tracking_number,
                ORDERS.c.external_id,
            )
            .join(SHIPMENTS, SHIPMENTS.c.id == PUSHES.c.shipment_id)
            .join(ORDERS, ORDERS.c.id == PUSHES.c.order_id)
        ).all()
    if not rows:
        return
    table = Table(title="Tracking pushed back")
    for column in (
        "account",
        "shipments",
        "confirmed",
        "already there",
        "waiting",
        "failed",
        "on the channel",
    ):
        if column == "account":
            _account_column(table)
        else:
            table.add_column(column, justify="right")
    for shop in CHANNELS:
        sim, _server = servers[shop.account_id]
        mine = [row for row in rows if row.account_id == shop.account_id]
        table.add_row(
            shop.account_id,
            str(len(mine)),
            str(sum(1 for row in mine if row.status == "confirmed")),
            str(sum(1 for row in mine if row.status == "already_applied")),
            str(sum(1 for row in mine if row.status in ("pending", "sent", "retrying"))),
            str(sum(1 for row in mine if row.status in ("failed", "conflict", "skipped"))),
            str(
                sum(1 for row in mine if shop.on_channel(sim, row.external_id, row.tracking_number))
            ),
        )
    console.print(table)


def _carry_on(written: Path, env: dict[str, str]) -> None:
    """Keep the simulators serving until Ctrl-C, and say how to use them."""
    text = written.read_text(encoding="utf-8").split("\n", 1)[1]
    config, env_file = _keep_files(text, env)
    console.print(
        f"\n[bold]The simulators keep serving[/] (Ctrl-C stops them). {config} points at "
        f"them and {env_file} holds their made-up credentials. In another terminal, here:\n"
        f"  set -a; . ./{env_file}; set +a\n"
        + (f"  export ORDERHUB_CONFIG={config}\n" if config.name != "orderhub.toml" else "")
        + "  orderhub sync demo-webshop        # pull one account now\n"
        "  orderhub run                      # the worker, on every account\n"
        "  orderhub ship ORDER --carrier UPS --tracking 1Z999AA10123456784\n"
        "  orderhub web                      # the console: http://127.0.0.1:"
        f"{DEMO_WEB_PORT}/, password {DEMO_WEB_PASSWORD}\n"
        "  orderhub skus unmapped            # the lines left waiting on purpose",
        highlight=False,
    )
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("Stopped the simulators.")
