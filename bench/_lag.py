"""The figures of ``bench_accounts.py`` from the store's ``sync_runs`` rows: poll lag,
starved accounts, double pulls, pull durations."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

GOAL_P99 = 1.1
STARVED_AFTER = 2.0


def quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def q(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 4)

    return {"n": len(ordered), "p50": q(0.5), "p95": q(0.95), "p99": q(0.99), "max": q(1.0)}


def analyse(
    runs: list[dict[str, Any]],
    accounts: dict[str, str],
    interval: float,
    started: datetime,
    ended: datetime,
    first_due: dict[str, datetime] | None = None,
) -> dict[str, Any]:
    """The figures of one leg from its ``sync_runs`` rows; ``accounts`` maps account ids
    to their channel, ``first_due`` to when the worker schedules their first run.

    The lag ratio is measured between runs, so a first run that starts late is not in it
    (and its second run may come an interval after it): ``first_start_late_s`` is that
    lateness, the first run's start minus its scheduled time (WooCommerce accounts), and
    ``first_wave_s`` how long after ``started`` the last of them had finished its first run
    (None if one never did): how long a first wave of new accounts takes to sync."""
    by_account: dict[str, list[dict[str, Any]]] = {account: [] for account in accounts}
    for run in runs:
        by_account[run["account_id"]].append(run)
    gaps: dict[str, list[float]] = {"woocommerce": [], "amazon": []}
    first_ms: list[float] = []
    first_late: list[float] = []
    first_done: list[datetime | None] = []
    later_ms: list[float] = []
    amazon_run_s: list[float] = []
    starved: list[str] = []
    never: list[str] = []
    double = 0
    busy = 0.0
    for account, rows in by_account.items():
        channel = accounts[account]
        rows.sort(key=lambda r: r["started_at"])
        if not rows:
            never.append(account)
            if channel == "woocommerce":
                first_done.append(None)
            continue
        starts = [r["started_at"] for r in rows]
        if first_due is not None and channel == "woocommerce":
            first_late.append((starts[0] - first_due[account]).total_seconds())
        if channel == "woocommerce":
            first_done.append(rows[0]["finished_at"])
        account_gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
        gaps[channel].extend(g / interval for g in account_gaps)
        # The time since the last start counts too: an account stuck behind a queue has no
        # next run to measure a gap to.
        silent = max([*account_gaps, (ended - starts[-1]).total_seconds()])
        if channel == "woocommerce" and silent > STARVED_AFTER * interval:
            starved.append(account)
        for previous, current in itertools.pairwise(rows):
            if previous["finished_at"] is None or current["started_at"] < previous["finished_at"]:
                double += 1
        for position, row in enumerate(rows):
            end = row["finished_at"] or ended
            seconds = (end - row["started_at"]).total_seconds()
            busy += seconds
            if channel == "amazon":
                amazon_run_s.append(seconds)
            elif row["finished_at"] is not None:
                (first_ms if position == 0 else later_ms).append(seconds * 1000)
    window = (ended - started).total_seconds()
    return {
        "runs": len(runs),
        "runs_by_channel": count_by_channel(accounts, by_account, len),
        "pulled_by_channel": count_by_channel(accounts, by_account, lambda rows: int(bool(rows))),
        "runs_finished": sum(1 for r in runs if r["finished_at"] is not None),
        "lag_ratio": quantiles(gaps["woocommerce"]),
        "amazon_lag_ratio": quantiles(gaps["amazon"]),
        "amazon_run_s": quantiles(amazon_run_s),
        "starved": len(starved),
        "starved_examples": starved[:5],
        "never_pulled": len(never),
        "double_pulls": double,
        "first_pull_ms": quantiles(first_ms),
        "first_start_late_s": quantiles(first_late),
        "first_wave_s": (
            None
            if None in first_done
            else round((max(d for d in first_done if d is not None) - started).total_seconds(), 1)
        ),
        "pull_ms": quantiles(later_ms),
        "busy_thread_seconds": round(busy, 1),
        "window_s": round(window, 1),
    }


def count_by_channel(
    accounts: dict[str, str], by_account: dict[str, Any], of: Any
) -> dict[str, int]:
    out = dict.fromkeys(sorted(set(accounts.values())), 0)
    for account, rows in by_account.items():
        out[accounts[account]] += of(rows)
    return out
