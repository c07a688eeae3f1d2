"""Hostile channels: how long the HTTP helper takes to give up on each hostile server, and
the peak memory of one request whose answer is a 50 MB body.

Servers (``orderhub.testing.hostile``, real 127.0.0.1 sockets): trickle (one byte every
0.5 s), silent, huge (50 MB chunked), huge_declared (50 MB with Content-Length), redirect
(a 302 to itself). Each request runs with the given ``--deadline`` and the default size cap
(32 MiB). Memory is the Python heap's peak during the request (``tracemalloc``), against a
baseline request of a 1 MB body measured in the same run; the 50 MB body is also read once
with a cap above it, to show what the cap saves.

    python bench/bench_hostile.py [--deadline 5] [--output FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import structlog
from _support import write_result

from orderhub.sdk.clock import SystemClock
from orderhub.sdk.errors import ConnectorError
from orderhub.sdk.http import DEFAULT_MAX_RESPONSE_BYTES, HttpClient
from orderhub.sdk.retry import RetryPolicy
from orderhub.testing.hostile import hostile_server

MB = 1024 * 1024


def one_request(mode: str, *, deadline: float, cap: int, size: int) -> dict[str, Any]:
    with hostile_server(mode, size=size) as server:
        http = HttpClient(
            base_url=server.url,
            account_id="bench",
            rate_limits={},
            default_rate_limit=None,
            retry_policy=RetryPolicy(),
            clock=SystemClock(),
            log=structlog.get_logger(),
            deadline=deadline,
            max_response_bytes=cap,
        )
        tracemalloc.start()
        started = time.monotonic()
        outcome = "ok"
        try:
            http.get_json("orders", "orders")
        except ConnectorError as exc:
            outcome = f"{exc.kind.value}: {exc.message}"
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        http.close()
        return {
            "mode": mode,
            "seconds_to_give_up": round(elapsed, 2),
            "peak_mb": round(peak / MB, 1),
            "body_bytes_sent": server.sent,
            "outcome": outcome[:160],
        }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, default=5.0)
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    size = args.size_mb * MB
    cap = DEFAULT_MAX_RESPONSE_BYTES
    runs = [
        one_request(mode, deadline=args.deadline, cap=cap, size=size)
        for mode in ("trickle", "silent", "huge", "huge_declared", "redirect")
    ]
    baseline = one_request("huge", deadline=args.deadline, cap=cap, size=MB)
    uncapped = one_request("huge", deadline=60, cap=4 * size, size=size)
    result = {
        "deadline_s": args.deadline,
        "cap_bytes": cap,
        "body_mb": args.size_mb,
        "servers": runs,
        "baseline_1mb": baseline,
        "body_read_whole_with_cap_above_it": uncapped,
        "peak_ratio_capped_vs_1mb": round(runs[2]["peak_mb"] / max(baseline["peak_mb"], 0.1), 1),
    }
    path = write_result("hostile", result, Path(args.output) if args.output else None, argv)
    for run in [*runs, baseline, uncapped]:
        print(
            f"{run['mode']:>14}: gave up after {run['seconds_to_give_up']:6.2f} s, "
            f"peak {run['peak_mb']:6.1f} MB, {run['outcome'][:70]}"
        )
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
