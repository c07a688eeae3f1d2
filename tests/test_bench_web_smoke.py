"""``bench/bench_web.py`` still runs: at a tiny size, as a script, writing every case.
Speed is never asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest

from .bench_runs import run_bench

pytestmark = pytest.mark.slow


def test_web_benchmark_runs(tmp_path: Path) -> None:
    output = tmp_path / "web.json"
    result = run_bench("bench_web.py", output, "--orders", "600", "--repeat", "1").result
    assert result["orders"] == 600
    assert [case["case"] for case in result["cases"]] == [
        "floor: /healthz",
        "overview",
        "orders, first page",
        "orders, page at 75% depth",
        "orders, one account",
        "orders, search by SKU",
    ]
    assert all(case["page_ms"] > 0 for case in result["cases"])
    assert all(case["baseline_ms"] > 0 for case in result["cases"][1:])
