"""Memory: peak RSS of a real sync of N simulated WooCommerce orders, per N.

Each size runs in a fresh Python process (peak RSS is per process), which:

1. generates N orders in the simulated WooCommerce shop, created within the last 20 days
   so the first sync's 30-day backfill covers all of them;
2. creates and migrates a fresh SQLite file store;
3. measures its RSS, then runs one real ``PullRunner`` sync (windows, paging, the
   connector, normalisation, one transaction per page) through the simulator's in-process
   transport (no sockets), on a fake clock (rate-limit waits cost no time);
4. reports the sync's own peak (the kernel's high-water mark ``VmHWM``, reset just before
   the sync where Linux allows it, else sampled every 2 ms) and the process's peak
   (``ru_maxrss``).

The simulator keeps every order it serves (compact records, by design) and caches each
list query's matching records, so the process's total grows with N whatever orderhub
does. Whether orderhub's memory is flat is judged on the sync's own growth: its peak minus
the RSS just before it started. The simulator's record of the requests it answered (kept
for tests) is capped at 100, because it is the fake channel's bookkeeping, not orderhub's.

Run ``python bench/bench_memory.py --help`` for the flags.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _support import woo_connector, woo_shop, write_result

FLAT_TOLERANCE = 0.20  # the sync's growth at the largest size vs the smallest
PEAK_LIMIT_MB = 200.0
RECORDED_REQUESTS = 100
_MB = 1024 * 1024


# -- measuring (in the child process) -------------------------------------------------------


def current_rss() -> int:
    """Resident set size now, in bytes (Linux: /proc; elsewhere: the peak so far)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return peak_rss()


def peak_rss() -> int:
    """The process's peak RSS so far, in bytes (``ru_maxrss`` is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class PeakWatch:
    """The peak RSS over a stretch of code. On Linux the kernel's high-water mark
    (``VmHWM``) is reset at the start and read at the end, which is exact; where that is
    not possible, a thread samples the RSS every few milliseconds."""

    def __init__(self) -> None:
        self.method = ""
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakWatch:
        if _reset_high_water_mark():
            self.method = "VmHWM"
        else:
            self.method = "sampled"
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
        else:
            self.peak = _high_water_mark()

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, current_rss())


def _reset_high_water_mark() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return _high_water_mark() > 0


def _high_water_mark() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def measure(orders: int, seed: int) -> dict[str, Any]:
    """One size, in this process: generate, migrate, sync, and report (sizes in MB)."""
    import structlog
    from sqlalchemy import func, select

    from orderhub.logs import configure_logging
    from orderhub.store.db import make_engine, upgrade
    from orderhub.store.ingest import ORDERS
    from orderhub.sync.pull import PullRunner
    from orderhub.testing import FakeClock

    # The worker's logging at its default level, written nowhere: per-page debug events
    # are filtered as in production, and the per-request info events cost their rendering.
    configure_logging(level="info", fmt="json", stream=open(os.devnull, "w"))  # noqa: SIM115
    clock = FakeClock()
    started = time.perf_counter()
    shop = woo_shop(orders, seed=seed, clock=clock)
    # The simulator records every request it answers, for tests to inspect: bookkeeping of
    # the fake channel, not of orderhub, that would grow with N inside the measured sync.
    shop.max_recorded = RECORDED_REQUESTS
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="orderhub-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'orderhub.db'}")
        upgrade(engine)
        connector = woo_connector(clock, shop.transport())
        runner = PullRunner(engine, connector, trigger="cli")
        gc.collect()
        before = current_rss()
        started = time.perf_counter()
        with PeakWatch() as watch:
            result = runner.run()
        synced = time.perf_counter() - started
        requests = connector.http.stats.requests
        with engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(ORDERS)).scalar_one()
        connector.close()
        engine.dispose()
    structlog.reset_defaults()
    return {
        "orders": orders,
        "outcome": result.outcome,
        "error": result.error,
        "fetched": result.fetched,
        "created": result.counts.created,
        "stored": stored,
        "pages": result.pages,
        "requests": requests,
        "generate_seconds": round(generated, 2),
        "sync_seconds": round(synced, 2),
        "orders_per_s": round(orders / synced, 1),
        "rss_before_sync_mb": round(before / _MB, 1),
        "sync_peak_rss_mb": round(watch.peak / _MB, 1),
        "sync_growth_mb": round((watch.peak - before) / _MB, 1),
        "peak_rss_mb": round(peak_rss() / _MB, 1),
        "peak_method": watch.method,
    }


# -- driving (in the parent process) --------------------------------------------------------


def run_size(orders: int, seed: int) -> dict[str, Any]:
    """Measure one size in a fresh interpreter and return its report."""
    completed = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            str(orders),
            "--seed",
            str(seed),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"the {orders}-order run failed (exit {completed.returncode}):\n{completed.stderr}"
        )
    report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table, write the JSON result; returns the result."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="comma-separated order counts, smallest first (default 10000,100000)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, help="result file (default bench/results/)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child is not None:
        print(json.dumps(measure(args.child, args.seed)))
        return {}

    sizes = sorted(int(size) for size in args.sizes.split(","))
    reports = []
    for size in sizes:
        print(f"syncing {size} orders in a fresh process ...", file=sys.stderr)
        reports.append(run_size(size, args.seed))
    result = judge(reports)
    _print_table(reports, result)
    path = write_result(
        "memory", result, args.output, list(argv) if argv is not None else sys.argv[1:]
    )
    print(f"result written to {path}", file=sys.stderr)
    return result


def judge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The targets: the sync's growth at the largest size within 20% of the smallest's,
    and the process's peak under 200 MB at every size."""
    small, large = reports[0], reports[-1]
    growth_ratio = (
        large["sync_growth_mb"] / small["sync_growth_mb"] if small["sync_growth_mb"] > 0 else None
    )
    flat = growth_ratio is not None and growth_ratio <= 1 + FLAT_TOLERANCE
    under_limit = all(report["peak_rss_mb"] < PEAK_LIMIT_MB for report in reports)
    return {
        "targets": {"flat_tolerance": FLAT_TOLERANCE, "peak_limit_mb": PEAK_LIMIT_MB},
        "growth_ratio": round(growth_ratio, 3) if growth_ratio is not None else None,
        "flat": flat,
        "under_limit": under_limit,
        "sizes": reports,
    }


def _print_table(reports: list[dict[str, Any]], result: dict[str, Any]) -> None:
    print(
        f"\n{'orders':>8} {'stored':>8} {'sync s':>7} {'orders/s':>9} {'RSS before':>11} "
        f"{'sync peak':>10} {'sync growth':>12} {'process peak':>13}"
    )
    for r in reports:
        print(
            f"{r['orders']:>8} {r['stored']:>8} {r['sync_seconds']:>7.1f} "
            f"{r['orders_per_s']:>9,.0f} {r['rss_before_sync_mb']:>8.1f} MB "
            f"{r['sync_peak_rss_mb']:>7.1f} MB {r['sync_growth_mb']:>9.1f} MB "
            f"{r['peak_rss_mb']:>10.1f} MB"
        )
    ratio = result["growth_ratio"]
    print(
        f"\nsync growth, largest / smallest: {ratio if ratio is not None else 'n/a'} "
        f"({'flat' if result['flat'] else 'NOT flat'} within {FLAT_TOLERANCE:.0%}); "
        f"peak {'under' if result['under_limit'] else 'OVER'} {PEAK_LIMIT_MB:.0f} MB"
    )


if __name__ == "__main__":
    main()
