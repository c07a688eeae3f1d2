"""Shopify: API calls and simulated time of a backfill against the cost-bucket floor.

Runs against the simulated Shopify store (``orderhub.sims.shopify``) with its query
cost and leaky bucket enforced for the chosen plan, on a ``FakeClock``: the connector's
waits for the bucket advance simulated time, so an hour-long backfill takes seconds of real
time and the figures are exact.

``backfill``
    A first sync of N orders (created over the last 20 days; 30-day initial backfill in
    7-day window chunks) through ``PullRunner`` into a real SQLite store. Reported:

    - ``orders`` queries against the fewest pages that can hold N orders
      (ceil(N / 14), 14 orders per page being what fits under the 1,000-point query limit),
      plus the token request;
    - the simulated time against the **cost-bucket floor**: the points Shopify charged for
      the run (the actual cost of every query), less the full bucket the run starts with,
      divided by the plan's restore rate. No client can finish sooner; the goal is a ratio
      of at most 1.05;
    - THROTTLED answers received (0 in steady state).

Run ``python bench/bench_shopify.py --help`` for the flags.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from _support import write_result
from sqlalchemy import func, select

from orderhub.logs import configure_logging, reset_logging
from orderhub.sdk import ConnectorContext
from orderhub.sims.shopify import PLANS, SimulatedShopify
from orderhub.store.db import make_engine, upgrade
from orderhub.store.ingest import ORDERS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub_connectors.shopify import ShopifyConnector
from orderhub_connectors.shopify.queries import ORDERS_PER_PAGE

TARGET_RATIO = 1.05
ORDERS_AGE = timedelta(days=20)
ORDERS_SPREAD = timedelta(days=19)


def run_backfill(n: int, plan: str, seed: int, directory: Path) -> dict[str, Any]:
    clock = FakeClock()
    sim = SimulatedShopify(clock, shop="bench-shop", plan=plan, seed=seed)
    sim.max_recorded = 1000  # a long run keeps the request record small
    if n:
        sim.generate(n, start=clock.now() - ORDERS_AGE, spread=ORDERS_SPREAD)
    settings = ShopifyConnector.settings_model(
        shop="bench-shop", client_id=sim.client_id, client_secret=sim.client_secret
    )
    connector = ShopifyConnector(
        ConnectorContext(
            account_id="bench-shopify",
            settings=settings,
            clock=clock,
            log=structlog.get_logger(),
            transport=sim.transport(),
        )
    )
    engine = make_engine(f"sqlite:///{directory / f'shopify-{plan}-{n}.db'}")
    upgrade(engine)
    started, wall = clock.monotonic(), time.perf_counter()
    result = PullRunner(engine, connector).run()
    simulated = clock.monotonic() - started
    wall = time.perf_counter() - wall
    connector.close()
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(ORDERS)).scalar_one()
    engine.dispose()
    limits = PLANS[plan]
    floor = max(0.0, sim.points_charged - limits.maximum) / limits.restore_rate
    pages = sum(1 for name, _throttled in sim.answers if name == "Orders")
    fewest = math.ceil(n / ORDERS_PER_PAGE)
    return {
        "orders": n,
        "plan": plan,
        "outcome": result.outcome,
        "stored": stored,
        "orders_calls": pages,
        "fewest_pages": fewest,
        "calls_ratio": round(pages / fewest, 4) if fewest else None,
        "other_calls": len(sim.answers) - pages,
        "token_calls": sim.tokens_issued,
        "throttled": sim.throttled,
        "points_charged": sim.points_charged,
        "simulated_seconds": round(simulated, 1),
        "floor_seconds": round(floor, 1),
        "ratio_to_floor": round(simulated / floor, 4) if floor > 0 else None,
        "wall_seconds": round(wall, 2),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table, write the JSON result; returns the result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--orders", default="10000", help="backfill sizes, comma-separated")
    parser.add_argument("--plans", default="standard", help=f"plans, of {', '.join(PLANS)}")
    parser.add_argument("--seed", type=int, default=7, help="the simulated store's seed")
    parser.add_argument("--output", type=Path, default=None, help="where the JSON result goes")
    args = parser.parse_args(list(argv) if argv is not None else None)
    sizes = [int(s) for s in str(args.orders).split(",") if s.strip()]
    plans = [p.strip() for p in str(args.plans).split(",") if p.strip()]
    configure_logging(level="error", fmt="json", stream=sys.stderr)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rows = [run_backfill(n, plan, args.seed, Path(tmp)) for plan in plans for n in sizes]
    finally:
        reset_logging()
    print(
        f"{'orders':>7} {'plan':>9} {'calls':>6} {'fewest':>6} {'thr.':>4} "
        f"{'sim s':>8} {'floor s':>8} {'ratio':>6} {'wall s':>7}"
    )
    for row in rows:
        print(
            f"{row['orders']:>7} {row['plan']:>9} {row['orders_calls']:>6} "
            f"{row['fewest_pages']:>6} {row['throttled']:>4} {row['simulated_seconds']:>8} "
            f"{row['floor_seconds']:>8} {row['ratio_to_floor'] or '-':>6} {row['wall_seconds']:>7}"
        )
    over = [r for r in rows if (r["ratio_to_floor"] or 0) > TARGET_RATIO]
    if over:
        print(f"ratio above the {TARGET_RATIO} goal: {[(r['orders'], r['plan']) for r in over]}")
    result = {"target_ratio": TARGET_RATIO, "backfill": rows}
    path = write_result("shopify", result, args.output, list(argv or sys.argv[1:]))
    print(f"result written to {path}")
    return result


if __name__ == "__main__":
    main()
