"""Decoding pages of orders: the SDK's ``decode_json`` (what every connector's JSON answer
goes through) against ``json.loads`` (what it used before), on the same bodies in the same
run.

The bodies are pages of 100 orders as the simulated WooCommerce, eBay and Amazon render
them, in each API's envelope, encoded as JSON text before any clock starts. Each decoder
reads every page; the best of ``--repeat`` runs counts. Both must give equal values.

    python bench/bench_decode.py
    python bench/bench_decode.py --pages 50 --repeat 7
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _support import woo_shop, write_result

from orderhub.sdk.json_body import decode_json
from orderhub.sims.amazon import SimulatedAmazon
from orderhub.sims.ebay import SimulatedEbay
from orderhub.testing import FakeClock

PAGE = 100


def pages(channel: str, count: int) -> list[bytes]:
    """``count`` pages of ``PAGE`` orders of ``channel``, as its list endpoint's bodies."""
    n = count * PAGE
    clock = FakeClock()
    if channel == "woocommerce":
        shop = woo_shop(n, clock=clock)
        orders = [shop.order(record.id) for record in shop.store]
        wrap: Callable[[list[Any]], Any] = lambda page: page  # noqa: E731 - a bare list
    elif channel == "ebay":
        ebay = SimulatedEbay(clock)
        orders = [ebay.order(order_id) for order_id in ebay.generate(n)]
        wrap = lambda page: {"orders": page, "total": n, "limit": PAGE}  # noqa: E731
    else:
        amazon = SimulatedAmazon(clock)
        orders = [amazon.order(order_id) for order_id in amazon.generate(n)]
        wrap = lambda page: {"payload": {"orders": page}}  # noqa: E731
    return [json.dumps(wrap(orders[i : i + PAGE])).encode() for i in range(0, len(orders), PAGE)]


def best(decode: Callable[[bytes], Any], bodies: Sequence[bytes], repeat: int) -> float:
    """The best of ``repeat`` runs over every body, in seconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for body in bodies:
            decode(body)
        runs.append(time.perf_counter() - start)
    return min(runs)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20, help="pages per channel")
    parser.add_argument("--repeat", type=int, default=5, help="runs per decoder; best counts")
    parser.add_argument("--output", type=Path, help="result file (default bench/results/)")
    args = parser.parse_args(argv)

    rows = []
    heading = ("channel", "KB a page", "json.loads ms", "decode_json ms", "speed")
    print("{:12} {:>9} {:>14} {:>15} {:>7}".format(*heading))
    for channel in ("woocommerce", "ebay", "amazon"):
        bodies = pages(channel, args.pages)
        if any(decode_json(body) != json.loads(body) for body in bodies):
            raise AssertionError(f"{channel}: decode_json read a page differently")
        baseline = best(json.loads, bodies, args.repeat) / len(bodies)
        ours = best(decode_json, bodies, args.repeat) / len(bodies)
        size = sum(map(len, bodies)) / len(bodies) / 1024
        row = {
            "channel": channel,
            "pages": len(bodies),
            "kb_per_page": round(size, 1),
            "json_loads_ms_per_page": round(baseline * 1000, 3),
            "decode_json_ms_per_page": round(ours * 1000, 3),
            "speed_ratio": round(baseline / ours, 2),
        }
        rows.append(row)
        print(
            f"{channel:12} {size:9.1f} {baseline * 1000:14.2f} {ours * 1000:15.2f}"
            f" {baseline / ours:6.2f}x"
        )
    path = write_result("decode", {"page": PAGE, "channels": rows}, args.output, argv)
    print(f"result written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
