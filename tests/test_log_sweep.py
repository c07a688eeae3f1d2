"""A log sweep of a demo-sized run: every line the worker writes is one JSON object whose
event is in docs/runbook.md, library lines included, and failure lines say what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .test_runbook import runbook_table

pytestmark = pytest.mark.slow


def test_every_line_of_a_demo_run_is_a_runbook_event(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ORDERHUB_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "orderhub",
            "--log-level",
            "debug",
            "--log-format",
            "json",
            "demo",
            "--duration",
            "6",
            "--orders",
            "30",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    documented = runbook_table("Events")
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    events = {line["event"] for line in lines}
    assert sorted(events - documented.keys()) == []
    # A demo-sized run: pulls of all three channels, pushes, library and scheduler lines.
    assert {"sync.started", "sync.finished", "http.request", "push.confirmed"} <= events
    assert {"worker.scheduler_message", "worker.library_message"} <= events
    assert len(lines) > 100
    for line in lines:
        if line.get("logger"):  # from a library: its text is kept, under a stable event
            assert line["event"].startswith("worker.") and line["message"]
        if line["level"] == "error":
            assert {"error_kind", "fix"} <= line.keys(), line
        if line["event"].startswith(("sync.", "push.")):
            assert line["account"] and line["channel"], line
