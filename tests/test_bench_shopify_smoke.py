"""The Shopify benchmark runs end to end on a tiny input and writes its result (no figures are
judged here: that is the benchmark's job)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_bench_shopify_runs_tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))  # the benchmarks import _support by bare name
    bench = importlib.import_module("bench_shopify")
    output = tmp_path / "shopify.json"
    result = bench.main(["--orders", "60", "--output", str(output)])
    written = json.loads(output.read_text(encoding="utf-8"))
    assert written["benchmark"] == "shopify"
    (backfill,) = written["backfill"] == result["backfill"] and written["backfill"]
    assert backfill["outcome"] == "succeeded" and backfill["stored"] == 60
    assert backfill["fewest_pages"] == 5 and backfill["throttled"] == 0
    assert backfill["token_calls"] == 1
