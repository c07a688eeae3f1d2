"""History growth: does a pull cost more once the store has months of history?

A worker polling every 10 s adds 8,640 ``sync_runs`` rows per account per day, and a
seller's order table only grows. Two legs, each a small store and a big one measured in
the same run, on SQLite files configured as orderhub configures them:

- ``bookkeeping``: a pull that finds nothing new (cursor read, closing abandoned runs,
  the run row, the account's state), with 100 vs ``--runs`` (500,000) rows in
  ``sync_runs``;
- ``incremental``: a pull of 100 new orders into a store of ``--small-orders`` (10,000)
  vs ``--big-orders`` (200,000) orders.

Each pull is repeated and the median counts. Goal: big / small within 1.2 for both.
History rows and old orders are written straight into the tables (copies of rows the
real pull wrote), since only their number matters here.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from _support import ACCOUNT, woo_connector, write_result
from sqlalchemy import Engine, func, insert, literal, select

from orderhub.logs import configure_logging, reset_logging
from orderhub.sims.woocommerce import SimulatedWooCommerce
from orderhub.store.db import make_engine, upgrade
from orderhub.store.ingest import LINES, ORDERS
from orderhub.store.runs import RUNS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock

GOAL = 1.2
BATCH = 5000


def _store(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def _pull(engine: Engine, connector: Any) -> float:
    started = time.perf_counter()
    result = PullRunner(engine, connector).run()
    elapsed = time.perf_counter() - started
    assert result.outcome == "succeeded", result.error
    return elapsed


def _copy_rows(engine: Engine, table: Any, template: dict[str, Any], n: int, vary: Any) -> None:
    """Insert ``n`` copies of ``template`` (without its id), ``vary(i, row)`` changing
    what must be unique, in batches."""
    base = {k: v for k, v in template.items() if k != "id"}
    with engine.begin() as connection:
        for start in range(0, n, BATCH):
            rows = [vary(i, dict(base)) for i in range(start, min(n, start + BATCH))]
            connection.execute(insert(table), rows)


def bookkeeping(folder: Path, runs: int, repeat: int) -> dict[str, Any]:
    """Median seconds of an empty pull with 100 and with ``runs`` history rows."""
    stores = []
    for size in (100, runs):
        clock = FakeClock()
        shop = SimulatedWooCommerce(clock, seed=3)
        engine = _store(folder / f"runs-{size}.db")
        connector = woo_connector(clock, shop.transport())
        _pull(engine, connector)
        with engine.connect() as connection:
            template = dict(connection.execute(select(RUNS)).mappings().one())

        def vary(i: int, row: dict[str, Any], clock: FakeClock = clock) -> dict[str, Any]:
            row["started_at"] = clock.now() - timedelta(seconds=10 * (i + 1))
            row["finished_at"] = row["started_at"]
            row["outcome"] = "failed" if i % 50 == 0 else "succeeded"
            return row

        _copy_rows(engine, RUNS, template, size - 1, vary)

        def one(
            clock: FakeClock = clock, engine: Engine = engine, connector: Any = connector
        ) -> float:
            clock.advance(10)
            return _pull(engine, connector)

        stores.append((engine, connector, one))
    return _compare(stores, RUNS, "sync_runs", repeat)


def _compare(stores: list[Any], table: Any, key: str, repeat: int) -> dict[str, Any]:
    """Alternate one pull on each store ``repeat`` times (so a busy machine slows both
    alike); the median of each, and big / small."""
    times: list[list[float]] = [[] for _ in stores]
    for _ in range(repeat):
        for index, (_, _, one) in enumerate(stores):
            times[index].append(one())
    figures = []
    for (engine, connector, _), measured in zip(stores, times, strict=True):
        with engine.connect() as connection:
            count = connection.execute(select(func.count()).select_from(table)).scalar_one()
        connector.close()
        engine.dispose()
        figures.append({key: count, "median_ms": round(statistics.median(measured) * 1000, 2)})
    small, big = figures
    return {"small": small, "big": big, "ratio": round(big["median_ms"] / small["median_ms"], 3)}


def incremental(folder: Path, sizes: tuple[int, int], repeat: int) -> dict[str, Any]:
    """Median seconds of pulling 100 new orders into stores of the two sizes."""
    stores = []
    for size in sizes:
        clock = FakeClock()
        shop = SimulatedWooCommerce(clock, seed=5)
        shop.add_order(created=clock.now() - timedelta(hours=2), lines=[("BLUE-TEE-M", 1)])
        clock.advance(180)
        engine = _store(folder / f"orders-{size}.db")
        connector = woo_connector(clock, shop.transport())
        _pull(engine, connector)
        with engine.connect() as connection:
            order = dict(connection.execute(select(ORDERS)).mappings().one())
            lines = [dict(r) for r in connection.execute(select(LINES)).mappings()]

        def vary(i: int, row: dict[str, Any]) -> dict[str, Any]:
            row["external_id"] = f"old-{i}"
            row["display_id"] = f"old-{i}"
            return row

        _copy_rows(engine, ORDERS, order, size - 1, vary)
        with engine.begin() as connection:
            for line in lines:
                columns = [c for c in line if c not in ("id", "order_id")]
                connection.execute(
                    insert(LINES).from_select(
                        ["order_id", *columns],
                        select(
                            ORDERS.c.id, *(literal(line[c], LINES.c[c].type) for c in columns)
                        ).where(ORDERS.c.external_id.like("old-%")),
                    )
                )

        def one(
            clock: FakeClock = clock,
            shop: SimulatedWooCommerce = shop,
            engine: Engine = engine,
            connector: Any = connector,
        ) -> float:
            created = clock.now()
            for _ in range(100):
                shop.add_order(created=created, lines=[("BLUE-TEE-M", 1), ("MUG-WHITE", 2)])
            clock.advance(300)
            return _pull(engine, connector)

        stores.append((engine, connector, one))
    return _compare(stores, ORDERS, "orders", repeat)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table, write the JSON result; returns the result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=500_000, help="sync_runs rows, big store")
    parser.add_argument("--small-orders", type=int, default=10_000)
    parser.add_argument("--big-orders", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=15, help="pulls per store (median)")
    parser.add_argument("--output", type=Path, help="result file (default bench/results/)")
    args = parser.parse_args(argv)
    configure_logging(level="error", fmt="json", stream=sys.stderr)
    try:
        with tempfile.TemporaryDirectory() as folder:
            result = {
                "account": ACCOUNT,
                "goal_ratio": GOAL,
                "bookkeeping": bookkeeping(Path(folder), args.runs, args.repeat),
                "incremental": incremental(
                    Path(folder), (args.small_orders, args.big_orders), args.repeat
                ),
            }
    finally:
        reset_logging()
    result["met"] = all(result[leg]["ratio"] <= GOAL for leg in ("bookkeeping", "incremental"))
    print(f"{'leg':<14}{'small':>22}{'big':>24}{'ratio':>8}")
    for leg, key in (("bookkeeping", "sync_runs"), ("incremental", "orders")):
        small, big = result[leg]["small"], result[leg]["big"]
        print(
            f"{leg:<14}{small['median_ms']:>10} ms {small[key]:>8}"
            f"{big['median_ms']:>10} ms {big[key]:>10}{result[leg]['ratio']:>8}"
        )
    path = write_result(
        "history", result, args.output, list(argv) if argv is not None else sys.argv[1:]
    )
    print(f"result: {path}")
    return result


if __name__ == "__main__":
    main()
