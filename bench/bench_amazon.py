"""Amazon: API calls and simulated time of a backfill, against the rate-limit floor and against
the per-order-items (Orders v0) approach; zero 429s when polling for a simulated day.

Everything runs against the simulated Selling Partner API (``orderhub.sims.amazon``)
with its usage plans enforced, on a ``FakeClock``: the connector's rate-limit waits advance
simulated time, so a four-hour backfill takes seconds of real time and the figures are
exact, not noisy. The same run measures:

``backfill``
    A first sync of N orders (created over the last 20 days, 30-day initial backfill,
    7-day window chunks) through ``PullRunner`` into a real SQLite store with the
    ``searchOrders`` connector. Reported: ``searchOrders`` calls against ceil(N / 100), token
    calls, and the simulated time against the token-bucket floor of those calls (burst 20
    at once, then one call every 1 / 0.0056 s): the ratio must stay within 1.05.
``v0``
    The same N orders read the Orders v0 way, for comparison: ``getOrders`` pages of 100
    plus one ``getOrderItems`` per order (0.0167/20 and 0.5/30), run for real against the
    simulator's v0 routes with the same HTTP helper and token buckets.
``steady``
    A simulated day of polling at the account interval (5 minutes by default, also 1 minute)
    with orders arriving and changing: 429s received must be zero, and the store must end
    equal to the simulator.

Run ``python bench/bench_amazon.py --help`` for the flags.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from _support import write_result
from sqlalchemy import Engine, select

from orderhub.logs import configure_logging, reset_logging
from orderhub.sdk import (
    ConnectorContext,
    HttpClient,
    NextTokenPaginator,
    RateLimit,
    SyncWindow,
    format_utc,
    paginate,
)
from orderhub.sims.amazon import SimulatedAmazon
from orderhub.store.db import make_engine, upgrade
from orderhub.store.ingest import ORDERS
from orderhub.sync.pull import PullRunner
from orderhub.sync.window import chunks, plan_window
from orderhub.testing import FakeClock
from orderhub_connectors.amazon import AmazonConnector, AmazonSettings
from orderhub_connectors.amazon.auth import lwa_auth

SEARCH = "/orders/2026-01-01/orders"
TOKEN = "/auth/o2/token"
US, CA = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"
TARGET_RATIO = 1.05
PLAN = AmazonConnector.rate_limits["searchOrders"]
V0_PLANS = {
    "getOrders": RateLimit(rate=0.0167, burst=20),
    "getOrderItems": RateLimit(rate=0.5, burst=30),
}
ORDERS_AGE = timedelta(days=20)
ORDERS_SPREAD = timedelta(days=19)


def seller(clock: FakeClock, n: int, seed: int) -> SimulatedAmazon:
    """A simulated seller (US and CA) with ``n`` orders created over the last 20 days."""
    sim = SimulatedAmazon(clock, seed=seed, marketplace_ids=(US, CA))
    sim.max_recorded = 1000  # a long run keeps the request record small
    if n:
        sim.generate(n, start=clock.now() - ORDERS_AGE, spread=ORDERS_SPREAD)
    return sim


def connector_for(
    sim: SimulatedAmazon, clock: FakeClock, cls: type[AmazonConnector] = AmazonConnector
) -> AmazonConnector:
    """A connector for the simulated seller, with fresh token buckets (a new process)."""
    settings = AmazonSettings(
        region="na",
        marketplace_ids=[US, CA],
        client_id=sim.client_id,
        client_secret=sim.client_secret,
        refresh_token=sim.refresh_token,
    )
    return cls(
        ConnectorContext(
            account_id="bench-amazon",
            settings=settings,
            clock=clock,
            log=structlog.get_logger(),
            transport=sim.transport(),
        )
    )


class Counter:
    """Counts the simulator's requests per operation (the request record is capped)."""

    def __init__(self, sim: SimulatedAmazon) -> None:
        self.counts: dict[str, int] = {}
        self.statuses: dict[int, int] = {}
        original = sim.handle

        def handle(request: Any) -> Any:
            response = original(request)
            operation = sim.requests[-1].operation or "?" if sim.requests else "?"
            self.counts[operation] = self.counts.get(operation, 0) + 1
            self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
            return response

        sim.handle = handle  # type: ignore[method-assign]


def floor_seconds(calls: int, plan: RateLimit) -> float:
    """The token-bucket floor of ``calls`` requests starting with a full bucket."""
    return max(0, calls - plan.burst) / plan.rate


def store_in(directory: Path, name: str) -> Engine:
    engine = make_engine(f"sqlite:///{directory / name}")
    upgrade(engine)
    return engine


# -- backfill ----------------------------------------------------------------------------------


def run_backfill(n: int, seed: int, directory: Path) -> dict[str, Any]:
    clock = FakeClock()
    sim = seller(clock, n, seed)
    counter = Counter(sim)
    connector = connector_for(sim, clock)
    engine = store_in(directory, f"backfill-{n}.db")
    started, wall = clock.monotonic(), time.perf_counter()
    result = PullRunner(engine, connector).run()
    simulated = clock.monotonic() - started
    wall = time.perf_counter() - wall
    connector.close()
    with engine.connect() as connection:
        stored = len(connection.execute(select(ORDERS.c.id)).all())
    engine.dispose()
    calls = counter.counts.get("searchOrders", 0)
    floor = floor_seconds(calls, PLAN)
    chunk_count = math.ceil(connector.initial_backfill / connector.max_window)
    return {
        "orders": n,
        "outcome": result.outcome,
        "stored": stored,
        "search_calls": calls,
        "token_calls": counter.counts.get("lwa.token", 0),
        "ceil_n_over_100": math.ceil(n / 100),
        "window_chunks": chunk_count,
        "extra_calls": calls - math.ceil(n / 100),
        "simulated_seconds": round(simulated, 1),
        "floor_seconds": round(floor, 1),
        "ratio_to_floor": round(simulated / floor, 4) if floor > 0 else None,
        "throttled": sum(sim.rate_limits.throttled.values()),
        "wall_seconds": round(wall, 2),
    }


# -- the Orders v0 way, for comparison ----------------------------------------------------------


def v0_orders(http: HttpClient, window: SyncWindow) -> Iterator[dict[str, Any]]:
    yield from paginate(
        http,
        "getOrders",
        "/orders/v0/orders",
        params={
            "LastUpdatedAfter": format_utc(window.start),
            "LastUpdatedBefore": format_utc(window.end),
            "MarketplaceIds": f"{US},{CA}",
            "MaxResultsPerPage": 100,
        },
        paginator=NextTokenPaginator("payload.NextToken", "NextToken"),
        records=lambda body: body["payload"]["Orders"],
    )


def run_v0(n: int, seed: int) -> dict[str, Any]:
    """Read the same orders with getOrders + one getOrderItems per order."""
    clock = FakeClock()
    sim = seller(clock, n, seed)
    counter = Counter(sim)
    http = HttpClient(
        base_url="https://sellingpartnerapi-na.amazon.com",
        account_id="bench-amazon-v0",
        rate_limits=V0_PLANS,
        default_rate_limit=None,
        retry_policy=AmazonConnector.retry_policy,
        clock=clock,
        log=structlog.get_logger(),
        transport=sim.transport(),
        auth=lwa_auth(
            token_url="https://api.amazon.com/auth/o2/token",
            refresh_token=sim.refresh_token,
            client_id=sim.client_id,
            client_secret=sim.client_secret,
            clock=clock,
        ),
    )
    window = plan_window(
        now=clock.now(),
        cursor=None,
        since=None,
        lookback=AmazonConnector.lookback,
        settle_delay=AmazonConnector.settle_delay,
        initial_backfill=AmazonConnector.initial_backfill,
    )
    started, wall = clock.monotonic(), time.perf_counter()
    read = 0
    for chunk in chunks(window, AmazonConnector.max_window):
        for order in v0_orders(http, chunk):
            http.get_json("getOrderItems", f"/orders/v0/orders/{order['AmazonOrderId']}/orderItems")
            read += 1
    simulated = clock.monotonic() - started
    http.close()
    pages = counter.counts.get("getOrders", 0)
    items = counter.counts.get("getOrderItems", 0)
    return {
        "orders": n,
        "read": read,
        "get_orders_calls": pages,
        "get_order_items_calls": items,
        "calls": pages + items,
        "n_plus_n_over_100": n + math.ceil(n / 100),
        "simulated_seconds": round(simulated, 1),
        "floor_seconds": round(
            max(
                floor_seconds(pages, V0_PLANS["getOrders"]),
                floor_seconds(items, V0_PLANS["getOrderItems"]),
            ),
            1,
        ),
        "throttled": sum(sim.rate_limits.throttled.values()),
        "wall_seconds": round(time.perf_counter() - wall, 2),
    }


# -- steady state ------------------------------------------------------------------------------


def run_steady(
    initial: int, hours: float, interval: timedelta, seed: int, directory: Path, per_hour: float
) -> dict[str, Any]:
    """Poll every ``interval`` (fixed rate, like the worker) for ``hours`` of simulated time
    while orders arrive and change; count 429s and check the store converges. An interval
    shorter than the plan allows is paced by the token bucket: runs then wait, never 429."""
    clock = FakeClock()
    sim = seller(clock, initial, seed)
    counter = Counter(sim)
    connector = connector_for(sim, clock)
    engine = store_in(directory, f"steady-{int(interval.total_seconds())}.db")
    backfill = PullRunner(engine, connector).run()
    sim.start_live(new_per_hour=per_hour, changes_per_hour=per_hour)
    counter.counts.clear()
    counter.statuses.clear()
    sim.rate_limits.throttled.clear()
    start = clock.monotonic()
    end = start + hours * 3600
    next_run = start + interval.total_seconds()
    runs = failed = 0
    waited = connector.http.stats.waited
    while next_run <= end:
        if clock.monotonic() < next_run:
            clock.advance(next_run - clock.monotonic())
        result = PullRunner(engine, connector).run()
        runs += 1
        failed += result.outcome != "succeeded"
        # One run at a time per account; runs missed meanwhile are coalesced into the next
        # (the worker's scheduler does the same).
        next_run += interval.total_seconds()
        while next_run < clock.monotonic():
            next_run += interval.total_seconds()
    waited = connector.http.stats.waited - waited
    # Stop the feed, let the last changes age past the two-minute horizon, read them, and
    # check the store holds exactly what the simulator holds.
    if sim.live_feed is not None:
        sim.live_feed.catch_up()
        sim.live_feed = None
    clock.advance(300)
    PullRunner(engine, connector).run()
    with engine.connect() as connection:
        rows = dict(connection.execute(select(ORDERS.c.external_id, ORDERS.c.channel_status)).all())
    expected = {order_id: sim.record(order_id).status for order_id in sim.order_ids()}
    connector.close()
    engine.dispose()
    return {
        "interval_seconds": interval.total_seconds(),
        "hours": hours,
        "initial_orders": initial,
        "backfill_outcome": backfill.outcome,
        "runs": runs,
        "failed_runs": failed,
        "search_calls": counter.counts.get("searchOrders", 0),
        "token_calls": counter.counts.get("lwa.token", 0),
        "received_429": counter.statuses.get(429, 0),
        "sim_throttled": sum(sim.rate_limits.throttled.values()),
        "client_throttled": connector.http.stats.throttled,
        "seconds_waited_for_tokens": round(waited, 1),
        "orders_at_end": len(expected),
        "store_matches_simulator": rows == expected,
    }


# -- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the tables, write the JSON result; returns the result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--orders", default="2000,10000", help="backfill sizes, comma-separated (2000,10000)"
    )
    parser.add_argument(
        "--v0-orders",
        default=None,
        help="sizes to also read the v0 way (default: the same as --orders; 0 skips)",
    )
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours of polling")
    parser.add_argument(
        "--intervals", default="300,60", help="poll intervals in seconds, comma-separated"
    )
    parser.add_argument("--steady-orders", type=int, default=2000, help="orders before polling")
    parser.add_argument("--per-hour", type=float, default=40.0, help="new and changed orders/h")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, help="result file (default bench/results/)")
    args = parser.parse_args(argv)
    configure_logging(level="error", fmt="json", stream=sys.stderr)
    try:
        return _run(args, list(argv) if argv is not None else sys.argv[1:])
    finally:
        reset_logging()


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip() and int(part) > 0]


def _run(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    sizes = _sizes(args.orders)
    v0_sizes = _sizes(args.v0_orders) if args.v0_orders is not None else sizes
    backfills: list[dict[str, Any]] = []
    v0: list[dict[str, Any]] = []
    steady: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="orderhub-bench-amazon-") as tmp:
        directory = Path(tmp)
        for n in sizes:
            print(f"backfill of {n} orders with searchOrders ...", file=sys.stderr)
            backfills.append(run_backfill(n, args.seed, directory))
        for n in v0_sizes:
            print(f"the same {n} orders the v0 way ...", file=sys.stderr)
            v0.append(run_v0(n, args.seed))
        for seconds in _sizes(args.intervals):
            print(f"{args.hours:g} h of polling every {seconds} s ...", file=sys.stderr)
            steady.append(
                run_steady(
                    args.steady_orders,
                    args.hours,
                    timedelta(seconds=seconds),
                    args.seed,
                    directory,
                    args.per_hour,
                )
            )

    print(
        f"\n{'backfill':<10} {'calls':>6} {'ceil(N/100)':>11} {'tokens':>6} {'sim time':>10} "
        f"{'floor':>10} {'ratio':>7} {'429s':>5}  {'v0 calls':>9} {'N+N/100':>8} {'v0 time':>10}"
    )
    by_size = {row["orders"]: row for row in v0}
    for row in backfills:
        other = by_size.get(row["orders"], {})
        ratio = f"{row['ratio_to_floor']:.3f}" if row["ratio_to_floor"] is not None else "burst"
        print(
            f"{row['orders']:<10} {row['search_calls']:>6} {row['ceil_n_over_100']:>11} "
            f"{row['token_calls']:>6} {_duration(row['simulated_seconds']):>10} "
            f"{_duration(row['floor_seconds']):>10} {ratio:>7} {row['throttled']:>5}  "
            f"{other.get('calls', '-'):>9} {other.get('n_plus_n_over_100', '-'):>8} "
            f"{_duration(other['simulated_seconds']) if other else '-':>10}"
        )
    print(
        f"\n{'polling':<10} {'runs':>5} {'calls':>6} {'429s':>5} {'waited':>9} {'orders':>7} "
        f"{'store = sim':>11}"
    )
    for row in steady:
        print(
            f"every {int(row['interval_seconds'])}s".ljust(10)
            + f" {row['runs']:>5} {row['search_calls']:>6} {row['received_429']:>5} "
            f"{_duration(row['seconds_waited_for_tokens']):>9} {row['orders_at_end']:>7} "
            f"{row['store_matches_simulator']!s:>11}"
        )

    calls_ok = all(
        row["search_calls"] <= row["ceil_n_over_100"] + row["window_chunks"] for row in backfills
    )
    time_ok = all(
        row["ratio_to_floor"] is None or row["ratio_to_floor"] <= TARGET_RATIO for row in backfills
    )
    steady_ok = all(
        row["received_429"] == 0 and row["store_matches_simulator"] and not row["failed_runs"]
        for row in steady
    )
    print(
        f"\ncalls <= ceil(N/100) + window chunks: {calls_ok}; simulated time within "
        f"{TARGET_RATIO}x of the floor: {time_ok}; zero 429s and a converged store while "
        f"polling: {steady_ok}"
    )
    result = {
        "parameters": {
            "orders": sizes,
            "v0_orders": v0_sizes,
            "hours": args.hours,
            "intervals": _sizes(args.intervals),
            "steady_orders": args.steady_orders,
            "per_hour": args.per_hour,
            "seed": args.seed,
            "plan": {"rate": PLAN.rate, "burst": PLAN.burst},
        },
        "target_ratio": TARGET_RATIO,
        "backfill": backfills,
        "v0": v0,
        "steady": steady,
        "meets": {"calls": calls_ok, "time": time_ok, "steady": steady_ok},
    }
    path = write_result("amazon", result, args.output, argv)
    print(f"result written to {path}", file=sys.stderr)
    return result


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.2f} h"


if __name__ == "__main__":
    main()
