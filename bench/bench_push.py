"""Push drain: how fast a backlog of tracking pushes reaches the simulated Amazon.

Amazon's published plan for ``confirmShipment`` is 2 requests/s with a burst of 10. The
worker's push job should drain an outbox at that rate, with no 429, whatever its push
interval, and a new push process (a restarted worker, ``orderhub push`` right after the
worker pushed) must not burst into the bucket the previous process emptied. Drains of the
same backlog are measured in one run, on the simulator's clock (so no real time passes and
the figures do not depend on the machine). Each starts from a worker that has been up a
while (its ``confirmShipment`` bucket full) when the backlog arrives:

- ``orderhub``: the push job as the worker runs it (``PushRunner.run()``: until no row
  is due, paced by the connector's token bucket);
- ``capped-100-per-interval``: the reference, the push job as it was before (at most 100
  pushes per run, one run per push interval);
- ``restarted``: the same drain split over ``--restarts`` + 1 push processes, each a fresh
  connector (fresh token buckets) started straight after the one before stopped, against the
  same simulated seller: Amazon's bucket for the seller is as empty as the previous process
  left it (the burst spent, then one push per token);
- ``restarted-full-start``: the reference for it, the same restarts with every bucket
  starting full, as before ``confirmShipment``'s bucket started empty;
- ``first-process`` and ``first-process-full-start``: what the empty start costs, a process
  started with the backlog waiting, against a seller who pushed nothing for a while (Amazon's
  bucket full, the connector's empty or full).

Sustained rate = pushes after the burst / simulated seconds, against the plan's 2/s.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from _support import write_result
from bench_amazon import connector_for as amazon_connector
from bench_amazon import seller, store_in
from sqlalchemy import Engine, select

from orderhub.logs import configure_logging, reset_logging
from orderhub.shipping.push import PushRunner
from orderhub.shipping.record import PUSHES, record_shipments
from orderhub.shipping.requests import ShipmentRequest
from orderhub.store.ingest import ORDERS
from orderhub.sync.pull import PullRunner
from orderhub.testing import FakeClock
from orderhub_connectors.amazon import AmazonConnector

CONFIRM = "confirmShipment"
PLAN = AmazonConnector.rate_limits[CONFIRM]
UPS = "1Z999AA10123456784"
GOAL = 0.95
PATHS = (
    "orderhub",
    "capped-100-per-interval",
    "restarted",
    "restarted-full-start",
    "first-process",
    "first-process-full-start",
)


class FullStartAmazon(AmazonConnector):
    """The connector as it was before: every bucket starts full, confirmShipment's too."""

    rate_limits: ClassVar[Any] = MappingProxyType(
        {op: replace(plan, start_full=True) for op, plan in AmazonConnector.rate_limits.items()}
    )


def connector_for(sim: Any, clock: FakeClock, *, full_start: bool = False) -> AmazonConnector:
    """A connector for the simulated seller in its own process's state (fresh buckets):
    today's, or with every bucket starting full."""
    return amazon_connector(sim, clock, FullStartAmazon if full_start else AmazonConnector)


def _backlog(
    n: int, seed: int, directory: Path, name: str, *, full_start: bool, warm: bool
) -> tuple[Any, Any, Any, Engine]:
    """A store holding ``n`` unshipped Amazon orders, each with a recorded shipment whose
    push is due: the outbox after a day's labels were printed at once, met by a worker that
    has been up a while (``warm``: its confirmShipment bucket full, however it started) or
    by a process that has just started."""
    clock = FakeClock()
    sim = seller(clock, 0, seed)
    sim.generate(
        n,
        start=clock.now() - timedelta(days=2),
        spread=timedelta(days=1),
        afn_share=0.0,
        statuses=[("UNSHIPPED", 1)],
    )
    connector = connector_for(sim, clock, full_start=full_start)
    engine = store_in(directory, name)
    assert PullRunner(engine, connector).run().outcome == "succeeded"
    with engine.begin() as connection:
        rows = connection.execute(
            select(ORDERS.c.external_id).where(ORDERS.c.status == "unshipped")
        ).all()
        record_shipments(
            connection,
            [ShipmentRequest(order=row.external_id, carrier="UPS", tracking=UPS) for row in rows],
            source="bench",
            now=clock.now(),
        )
    if warm:
        assert connector.http.bucket(CONFIRM) is not None
        clock.advance(PLAN.burst / PLAN.rate)  # long enough to fill the bucket from empty
    else:  # a new process: nothing of the pull's connector is left but the simulator
        connector.close()
        connector = connector_for(sim, clock, full_start=full_start)
    return clock, sim, connector, engine


def _drain(clock: FakeClock, runner: PushRunner, *, capped: bool, interval: float) -> int:
    """Run push jobs until the outbox is empty; returns the runs it took."""
    runs = 0
    while True:
        runs += 1
        started = clock.monotonic()
        result = runner.run(limit=100) if capped else runner.run()
        if result.attempted == 0:
            return runs
        if capped:
            # The next scheduled run starts one interval after this one started.
            clock.advance(max(0.0, interval - (clock.monotonic() - started)))


def _restarted(
    clock: FakeClock,
    sim: Any,
    connector: AmazonConnector,
    engine: Engine,
    n: int,
    restarts: int,
    *,
    full_start: bool,
) -> int:
    """Drain in ``restarts`` + 1 processes, each pushing its share of the ``n`` rows with a
    fresh connector (so fresh buckets), started with no time passing after the one before
    (the worst case: the channel's bucket is as empty as the previous process left it)."""
    share = -(-n // (restarts + 1))
    runs = 0
    for process in range(restarts + 1):
        if process:
            connector.close()
            connector = connector_for(sim, clock, full_start=full_start)
        runs += 1
        last = process == restarts
        result = PushRunner(engine, connector).run(limit=None if last else share)
        if result.attempted == 0:
            break
    connector.close()
    return runs


def run_drain(
    n: int, seed: int, directory: Path, *, path: str, interval: float, restarts: int = 0
) -> dict[str, Any]:
    full_start = path.endswith("full-start")
    clock, sim, connector, engine = _backlog(
        n,
        seed,
        directory,
        f"push-{path}.db",
        full_start=full_start,
        warm=not path.startswith("first-process"),
    )
    before = sum(sim.rate_limits.throttled.values())
    started, wall = clock.monotonic(), time.perf_counter()
    if path.startswith("restarted"):
        runs = _restarted(clock, sim, connector, engine, n, restarts, full_start=full_start)
    else:
        runner = PushRunner(engine, connector)
        runs = _drain(clock, runner, capped=path == "capped-100-per-interval", interval=interval)
        connector.close()
    simulated = clock.monotonic() - started
    wall = time.perf_counter() - wall
    with engine.connect() as connection:
        statuses = [row.status for row in connection.execute(select(PUSHES.c.status))]
    engine.dispose()
    pushed = sum(1 for status in statuses if status in ("confirmed", "already_applied"))
    after_burst = max(0, pushed - PLAN.burst)
    rate = after_burst / simulated if simulated > 0 else float("inf")
    return {
        "path": path,
        "pushes": len(statuses),
        "confirmed": pushed,
        "runs": runs,
        "simulated_seconds": round(simulated, 1),
        "sustained_per_second": round(rate, 3),
        "ratio_to_plan": round(rate / PLAN.rate, 3),
        "throttled": sum(sim.rate_limits.throttled.values()) - before,
        "wall_seconds": round(wall, 2),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table, write the JSON result; returns the result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=1000, help="orders shipped at once")
    parser.add_argument("--interval", type=float, default=60.0, help="push interval (s)")
    parser.add_argument(
        "--restarts", type=int, default=1, help="restarts during the restarted legs' drain"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, help="result file (default bench/results/)")
    args = parser.parse_args(argv)
    configure_logging(level="error", fmt="json", stream=sys.stderr)
    try:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            legs = [
                run_drain(
                    args.orders,
                    args.seed,
                    Path(folder),
                    path=path,
                    interval=args.interval,
                    restarts=args.restarts,
                )
                for path in PATHS
            ]
    finally:
        reset_logging()
    result = {
        "plan": {"rate": PLAN.rate, "burst": PLAN.burst},
        "goal_ratio": GOAL,
        "legs": legs,
        "restarts": args.restarts,
        "met": all(
            leg["ratio_to_plan"] >= GOAL and leg["throttled"] == 0
            for leg in legs
            if leg["path"] in ("orderhub", "restarted", "first-process")
        ),
    }
    print(
        f"push drain of {args.orders} orders, Amazon confirmShipment plan {PLAN.rate:g}/s "
        f"burst {PLAN.burst}, {args.restarts} restart(s) in the restarted legs"
    )
    print(f"{'path':<26}{'pushes':>8}{'runs':>6}{'sim s':>9}{'per s':>8}{'x plan':>8}{'429s':>6}")
    for leg in legs:
        print(
            f"{leg['path']:<26}{leg['confirmed']:>8}{leg['runs']:>6}{leg['simulated_seconds']:>9}"
            f"{leg['sustained_per_second']:>8}{leg['ratio_to_plan']:>8}{leg['throttled']:>6}"
        )
    path = write_result(
        "push", result, args.output, list(argv) if argv is not None else sys.argv[1:]
    )
    print(f"result: {path}")
    return result


if __name__ == "__main__":
    main()
