"""Running a benchmark under ``bench/`` as its user does: as a script, in a subprocess,
writing its JSON report. The smoke tests judge the report, never the speed."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent.parent / "bench"


@dataclass(frozen=True)
class BenchRun:
    #: The report the script wrote to its ``--output`` file.
    result: dict[str, Any]
    #: What it printed for the person running it.
    stdout: str


def run_bench(
    script: str, output: Path, *args: str, timeout: float = 120, cwd: Path | None = None
) -> BenchRun:
    """Run ``bench/<script>`` with ``args`` and ``--output output``; fail the test with the
    end of its stderr where it does not exit 0."""
    completed = subprocess.run(
        [sys.executable, str(BENCH / script), *args, "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    result: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return BenchRun(result=result, stdout=completed.stdout)
