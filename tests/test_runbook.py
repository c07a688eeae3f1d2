"""docs/runbook.md cannot drift from the code: every event the code can log (found by
reading the source, not from a list kept by hand) and every health state is in it, with
nothing listed that the code no longer emits."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from orderhub.health import STATES
from orderhub.logs import LIBRARY_EVENTS

ROOT = Path(__file__).resolve().parents[1]
RUNBOOK = ROOT / "docs" / "runbook.md"
EVENT_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "msg"}
# Calls named like log methods that are not logging (none found so far).
NOT_LOGGING: set[tuple[str, int]] = set()


def sources() -> list[Path]:
    files = [*(ROOT / "src" / "orderhub").rglob("*.py"), *(ROOT / "connectors").rglob("*.py")]
    return [
        path
        for path in files
        if "/tests/" not in path.as_posix() and "scaffold/template" not in path.as_posix()
    ]


def _constants(node: ast.expr) -> list[str] | None:
    """The strings an argument can be: a literal, or either branch of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, other = _constants(node.body), _constants(node.orelse)
        if body is not None and other is not None:
            return body + other
    return None


def events_in_code() -> tuple[set[str], list[str]]:
    """(events, problems): every event name of a log call, of a ``*_EVENTS`` table, and of
    the library mapping; a log call whose event cannot be read is a problem (make it a
    literal, or put its names in a ``*_EVENTS`` table)."""
    found = set(LIBRARY_EVENTS)
    problems: list[str] = []
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id.endswith("_EVENTS") for t in node.targets
            ):
                for sub in ast.walk(node.value):
                    if (
                        isinstance(sub, ast.Constant)
                        and isinstance(sub.value, str)
                        and EVENT_RE.match(sub.value)
                    ):
                        found.add(sub.value)
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in LOG_METHODS
                and node.args
            ):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if (str(path.relative_to(ROOT)), node.lineno) in NOT_LOGGING:
                continue
            names = _constants(node.args[0])
            if names is None:
                problems.append(f"{where}: event is not a literal: {ast.unparse(node.args[0])}")
                continue
            for name in names:
                if EVENT_RE.match(name):
                    found.add(name)
                else:
                    problems.append(f"{where}: {name!r} is not a dotted event name")
    return found, problems


def runbook_table(heading: str) -> dict[str, list[str]]:
    """The rows of the table under ``## heading``: first cell (without backticks) -> cells."""
    text = RUNBOOK.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_every_event_of_the_code_is_in_the_runbook_and_no_other() -> None:
    events, problems = events_in_code()
    assert problems == []
    documented = runbook_table("Events")
    assert sorted(events - documented.keys()) == [], "events missing from docs/runbook.md"
    assert sorted(documented.keys() - events) == [], "runbook events the code never logs"
    for event, cells in documented.items():
        assert len(cells) == 3 and all(cells), f"{event}: give its level, meaning and action"


def test_the_scan_finds_the_events_it_must() -> None:
    events, _ = events_in_code()
    # One of each way an event is written: a literal, a conditional, a table, the mapping.
    for event in ("sync.failed", "alert.escalated", "push.conflict", "worker.run_skipped"):
        assert event in events
    assert len(events) >= 40


def state_row(code: str) -> list[str]:
    doc = STATES[code]
    return [doc.severity or "-", doc.meaning, doc.action]


def test_every_health_state_is_in_the_runbook_as_the_code_says() -> None:
    documented = runbook_table("Health states")
    assert list(documented) == list(STATES), "same states, same order (worst first)"
    for code in STATES:
        assert documented[code] == state_row(code), code


if __name__ == "__main__":  # print the states table for the runbook
    print("| state | severity | meaning | what to do |\n|---|---|---|---|")
    for code in STATES:
        print(f"| `{code}` | " + " | ".join(state_row(code)) + " |")


def test_every_failure_event_says_its_kind_and_what_to_do() -> None:
    """Error-level log calls pass ``error_kind`` and ``fix`` (or a ``**fields`` that the
    code fills with them, as ``sync.failed`` does)."""
    missing: list[str] = []
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("error", "exception", "critical")
                and node.args
                and _constants(node.args[0])
            ):
                continue
            keywords = {k.arg for k in node.keywords}
            if None not in keywords and not {"error_kind", "fix"} <= keywords:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert missing == []
