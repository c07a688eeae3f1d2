"""``bench/bench_decode.py`` still runs at a tiny size, as a script, on every channel's
pages (speed is never asserted here; the script itself refuses a page read differently)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_decode_benchmark_reports_each_channel(tmp_path: Path) -> None:
    output = tmp_path / "result.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(BENCH / "bench_decode.py"),
            *("--pages", "1", "--repeat", "1", "--output", str(output)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    rows = json.loads(output.read_text())["channels"]
    assert [row["channel"] for row in rows] == ["woocommerce", "ebay", "amazon"]
    for row in rows:
        assert row["pages"] == 1
        assert row["kb_per_page"] > 10
        assert row["json_loads_ms_per_page"] > 0
        assert row["decode_json_ms_per_page"] > 0
