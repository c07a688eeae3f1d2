"""``bench/bench_redaction.py`` still runs at a tiny size, as a script, and both redactors
it compares mask every account's secrets (speed is never asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_redaction_benchmark_reports_both_redactors(tmp_path: Path) -> None:
    output = tmp_path / "result.json"
    script = str(BENCH / "bench_redaction.py")
    completed = subprocess.run(
        [sys.executable, script, "--accounts", "5", "--lines", "30", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(output.read_text())
    assert result["accounts"] == 5
    assert result["secret_forms"] >= 15
    for name in ("orderhub", "previous"):
        assert result[name]["register_s"] > 0
        assert result[name]["masked_all"] is True
