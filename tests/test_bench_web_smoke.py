"""``bench/bench_web.py`` still runs: at a tiny size, as a script, writing every case.
Speed is never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_web_benchmark_runs(tmp_path: Path) -> None:
    output = tmp_path / "web.json"
    completed = subprocess.run(
        [
            sys.executable,
            str(BENCH / "bench_web.py"),
            "--orders",
            "600",
            "--repeat",
            "1",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(output.read_text())
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
