"""``bench/bench_suggest.py`` runs on the committed evaluation set, the set is exactly what
its generator writes, and the scorer meets the goals the benchmark states on the held-out
half (quality, not speed: these are accuracy figures on a fixed labelled set)."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .bench_runs import BENCH, run_bench

pytestmark = pytest.mark.slow
EVAL = BENCH / "suggest_eval"


def test_the_committed_evaluation_set_is_what_the_generator_writes(tmp_path: Path) -> None:
    shutil.copy(EVAL / "make_eval.py", tmp_path / "make_eval.py")
    subprocess.run(
        [sys.executable, str(tmp_path / "make_eval.py")],
        check=True,
        timeout=60,
        capture_output=True,
    )
    for name in ("catalog.csv", "pairs.csv"):
        assert filecmp.cmp(tmp_path / name, EVAL / name, shallow=False), name


def test_suggest_benchmark_runs_and_meets_its_goals(tmp_path: Path) -> None:
    run = run_bench("bench_suggest.py", tmp_path / "suggest.json", cwd=BENCH)
    result = run.result
    held = result["orderhub"]["heldout"]
    assert held["related"] > 100 and held["unrelated"] >= 20
    assert held["top1"] >= result["goals"]["top1"]
    assert held["top3"] >= result["goals"]["top3"]
    assert held["unrelated_suggested"] <= result["goals"]["unrelated_suggested"]
    # The previous scorer is measured in the same run, on the same lines.
    assert result["previous"]["heldout"]["related"] == held["related"]
    assert "previous" in run.stdout and "orderhub" in run.stdout
