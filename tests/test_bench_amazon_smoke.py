"""The Amazon benchmark runs end to end on a tiny input and writes its result (no figures are
judged here: that is the benchmark's job)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_bench_amazon_runs_tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))  # the benchmarks import _support by bare name
    bench = importlib.import_module("bench_amazon")
    output = tmp_path / "amazon.json"
    result = bench.main(
        [
            "--orders", "250",
            "--v0-orders", "120",
            "--hours", "1",
            "--intervals", "600",
            "--steady-orders", "50",
            "--output", str(output),
        ]
    )  # fmt: skip

    written = json.loads(output.read_text(encoding="utf-8"))
    assert written["benchmark"] == "amazon"
    assert written["backfill"] == result["backfill"]
    (backfill,) = written["backfill"]
    assert backfill["outcome"] == "succeeded" and backfill["stored"] == 250
    assert backfill["ceil_n_over_100"] == 3
    (v0,) = written["v0"]
    assert v0["read"] == 120 and v0["get_order_items_calls"] == 120
    (steady,) = written["steady"]
    assert steady["runs"] == 6 and steady["store_matches_simulator"]
