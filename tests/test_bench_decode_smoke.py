"""``bench/bench_decode.py`` still runs at a tiny size, as a script, on every channel's
pages (speed is never asserted here; the script itself refuses a page read differently)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .bench_runs import run_bench

pytestmark = pytest.mark.slow


def test_decode_benchmark_reports_each_channel(tmp_path: Path) -> None:
    run = run_bench("bench_decode.py", tmp_path / "result.json", "--pages", "1", "--repeat", "1")
    rows = run.result["channels"]
    assert [row["channel"] for row in rows] == ["woocommerce", "ebay", "amazon"]
    for row in rows:
        assert row["pages"] == 1
        assert row["kb_per_page"] > 10
        assert row["json_loads_ms_per_page"] > 0
        assert row["decode_json_ms_per_page"] > 0
