"""``bench/bench_accounts.py`` still runs: a tiny worker (5 accounts, one of them Amazon)
for 12 s, as a script, with a complete report. Timing is never asserted here; what the
report counts is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orderhub.testing.db import postgres_url

from .bench_runs import run_bench

pytestmark = pytest.mark.slow


def run_accounts(tmp_path: Path, *args: str) -> dict[str, Any]:
    return run_bench("bench_accounts.py", tmp_path / "result.json", *args, timeout=180).result


def test_accounts_benchmark_reports_every_account_of_every_store(tmp_path: Path) -> None:
    url = postgres_url()
    extra = ("--database-url", url) if url else ()
    result = run_accounts(
        tmp_path,
        *("--accounts", "5", "--amazon", "1", "--amazon-orders", "150", "--orders", "5"),
        *("--duration", "12", "--new-per-second", "1", "--variants", "orderhub"),
        *extra,
    )
    assert [leg["store"] for leg in result["legs"]] == ["sqlite"] + (["postgresql"] if url else [])
    # The URL may carry a password: the result file never holds it.
    assert url is None or url not in json.dumps(result)
    for leg in result["legs"]:
        assert (leg["accounts"], leg["amazon"], leg["variant"]) == (5, 1, "orderhub")
        # Five accounts: the pull pool has a thread for each (at most 8).
        assert leg["pull_threads"] == leg["pool_sizes"]["pulls"] == 5
        runs, pulled = leg["runs_by_channel"], leg["pulled_by_channel"]
        assert sum(runs.values()) == leg["runs"] >= leg["runs_finished"]
        assert leg["never_pulled"] == 5 - sum(pulled.values())
        # One gap per run after an account's first.
        assert leg["lag_ratio"]["n"] == runs.get("woocommerce", 0) - pulled.get("woocommerce", 0)
        assert leg["amazon_lag_ratio"]["n"] == runs.get("amazon", 0) - pulled.get("amazon", 0)
        # The first runs' lateness (not in the lag ratio), one per WooCommerce account pulled.
        assert leg["first_start_late_s"]["n"] == pulled.get("woocommerce", 0)
        # First syncs have a pool of their own.
        assert leg["pool_sizes"]["backfills"] == 2
        # Every finished run reached the worker's on_result, but those a pull thread was
        # finishing when the worker stopped (at most one per thread); none failed, none
        # overlapped.
        assert leg["runs_finished"] - leg["pull_threads"] <= leg["results"]
        assert leg["results"] <= leg["runs_finished"]
        assert leg["failed_runs"] == 0
        assert leg["double_pulls"] == 0
        assert leg["threads_max"] >= 5 and leg["rss_mb_max"] > 0
        assert set(leg["met"]) == {"lag_p99", "starved", "double_pulls"}


def test_the_replicas_leg_shares_the_accounts_and_takes_over_a_killed_replica(
    tmp_path: Path,
) -> None:
    url = postgres_url()
    if url is None:
        pytest.skip("the replicas leg needs PostgreSQL (ORDERHUB_TEST_DATABASE_URL)")
    result = run_accounts(
        tmp_path,
        *("--only-replicas", "--replicas", "2", "--replica-accounts", "6"),
        *("--amazon", "1", "--amazon-orders", "150", "--orders", "5"),
        *("--replica-interval", "10", "--replica-duration", "30", "--kill-at", "12"),
        *("--new-per-second", "1", "--database-url", url),
    )
    (leg,) = result["legs"]
    assert url not in json.dumps(result)
    assert (leg["replicas"], leg["accounts"]) == (2, 6)
    assert len(leg["per_process"]) == 2
    # The killed replica held accounts; the other took every one of them over.
    assert leg["victim_held"] >= 1
    assert leg["not_taken_over"] == 0
    assert leg["takeover_s"]["n"] == leg["victim_held"]
    assert leg["double_pulls"] == 0 and leg["never_pulled"] == 0
    assert set(leg["met"]) == {"lag_p99", "starved", "double_pulls", "takeover"}
