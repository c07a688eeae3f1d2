"""``bench/bench_redaction.py`` still runs at a tiny size, as a script, and both redactors
it compares mask every account's secrets (speed is never asserted here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .bench_runs import run_bench

pytestmark = pytest.mark.slow


def test_redaction_benchmark_reports_both_redactors(tmp_path: Path) -> None:
    output = tmp_path / "result.json"
    result = run_bench("bench_redaction.py", output, "--accounts", "5", "--lines", "30").result
    assert result["accounts"] == 5
    assert result["secret_forms"] >= 15
    for name in ("orderhub", "previous"):
        assert result[name]["register_s"] > 0
        assert result[name]["masked_all"] is True
