"""``bench/bench_history.py`` and ``bench/bench_push.py`` still run: at a tiny size, as
scripts, with complete reports. Speed is never asserted here; what the reports count is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .bench_runs import run_bench

pytestmark = pytest.mark.slow


def run_script(script: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    return run_bench(script, tmp_path / "result.json", *args).result


def test_history_benchmark_compares_a_small_and_a_big_store(tmp_path: Path) -> None:
    result = run_script(
        "bench_history.py",
        tmp_path,
        *("--runs", "2000", "--small-orders", "50", "--big-orders", "500", "--repeat", "2"),
    )
    assert result["bookkeeping"]["small"]["sync_runs"] == 100 + 2
    assert result["bookkeeping"]["big"]["sync_runs"] == 2000 + 2
    # Every repeat pulled 100 new orders into each store.
    assert result["incremental"]["small"]["orders"] == 50 + 2 * 100
    assert result["incremental"]["big"]["orders"] == 500 + 2 * 100
    assert all(result[leg]["ratio"] > 0 for leg in ("bookkeeping", "incremental"))


def test_push_benchmark_drains_every_push_on_every_path(tmp_path: Path) -> None:
    result = run_script("bench_push.py", tmp_path, "--orders", "40", "--restarts", "2")
    legs = {leg["path"]: leg for leg in result["legs"]}
    assert list(legs) == [
        "orderhub",
        "capped-100-per-interval",
        "restarted",
        "restarted-full-start",
        "first-process",
        "first-process-full-start",
    ]
    for leg in legs.values():
        assert leg["pushes"] == leg["confirmed"] == 40
    # One run drains everything; the check that nothing is left is a second, empty run.
    assert legs["orderhub"]["runs"] == 2
    assert legs["restarted"]["runs"] == legs["restarted-full-start"]["runs"] == 3
    # Buckets starting full burst into the bucket the process before emptied, once per
    # restart; the push buckets starting empty never do.
    assert legs["restarted-full-start"]["throttled"] == 2
    assert all(
        leg["throttled"] == 0 for path, leg in legs.items() if path != "restarted-full-start"
    )
