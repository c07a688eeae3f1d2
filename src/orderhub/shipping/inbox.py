"""The shipments drop folder: a shipping tool or warehouse exports CSV files into it, the
worker records them.

Each ``*.csv`` file in the folder is imported as one all-or-nothing batch (same columns and
checks as ``orderhub shipments import``), then moved to ``done/``, or to ``failed/`` with
``<name>.errors.txt`` beside it listing every bad row and its fix. A file modified in the last
few seconds is left for the next scan, so one still being written is never half-read (tools
that can should write ``name.tmp`` and rename it to ``name.csv`` when complete).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from sqlalchemy import Engine

from orderhub.shipping.csvfile import describe, parse_shipments_csv
from orderhub.shipping.record import record_shipments
from orderhub.shipping.requests import ShipmentError, ShipmentProblem

SETTLE_SECONDS = 2.0


@dataclass
class InboxResult:
    file: Path
    ok: bool
    shipments: int
    problems: list[ShipmentProblem]


def _unique(target: Path) -> Path:
    """``target``, or ``name-2.csv``, ``name-3.csv``... if a file of that name was processed
    before (a tool may reuse names)."""
    if not target.exists():
        return target
    for n in range(2, 10_000):
        candidate = target.with_name(f"{target.stem}-{n}{target.suffix}")
        if not candidate.exists():
            return candidate
    raise RuntimeError(f"too many files named {target.name}")


def _row_order(problem: ShipmentProblem) -> int:
    number = re.search(r"\d+", problem.label)
    return int(number.group()) if number else 0


def import_file(engine: Engine, path: Path, *, source: str, now: datetime) -> InboxResult:
    """Import one shipments file in one transaction (nothing recorded unless all is well)."""
    return import_bytes(engine, path.read_bytes(), path=path, source=source, now=now)


def import_bytes(
    engine: Engine, data: bytes, *, path: Path, source: str, now: datetime
) -> InboxResult:
    """Import the content of a shipments file (read from disk, or uploaded to the console)
    in one transaction: every row recorded, or none and every bad row reported."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return InboxResult(
            path,
            False,
            0,
            [ShipmentProblem("file", "the file is not UTF-8 text.", "Export it as UTF-8 CSV.")],
        )
    requests, problems = parse_shipments_csv(text)
    if not requests and not problems:
        problems = [
            ShipmentProblem("file", "the file has no shipments.", "Add one row per parcel line.")
        ]
    recorded = []
    try:
        with engine.begin() as connection:
            # Check the rows that parsed even when others did not, so one report lists
            # every bad row; then roll everything back unless the whole file is good.
            recorded = record_shipments(connection, requests, source=source, now=now)
            if problems:
                raise ShipmentError([])
    except ShipmentError as exc:
        return InboxResult(path, False, 0, sorted(problems + exc.problems, key=_row_order))
    return InboxResult(path, True, sum(1 for r in recorded if not r.already_recorded), [])


def process_inbox(engine: Engine, inbox: Path, *, now: datetime | None = None) -> list[InboxResult]:
    """Import every settled CSV file in ``inbox`` and file it under done/ or failed/."""
    log = structlog.get_logger()
    moment = now or datetime.now(UTC)
    done, failed = inbox / "done", inbox / "failed"
    results: list[InboxResult] = []
    if not inbox.is_dir():
        return results
    for path in sorted(inbox.glob("*.csv")):
        try:
            age = moment.timestamp() - path.stat().st_mtime
        except FileNotFoundError:  # taken by another worker sharing the folder
            continue
        if age < SETTLE_SECONDS:
            continue
        result = import_file(engine, path, source=f"inbox:{path.name}", now=moment)
        results.append(result)
        target_dir = done if result.ok else failed
        target_dir.mkdir(parents=True, exist_ok=True)
        target = _unique(target_dir / path.name)
        shutil.move(os.fspath(path), os.fspath(target))
        if result.ok:
            log.info("shipments.file_imported", file=path.name, shipments=result.shipments)
        else:
            report = target.with_name(target.name + ".errors.txt")
            report.write_text(
                f"{path.name} was not imported; nothing from it was recorded.\n"
                + describe(result.problems)
                + "\n"
            )
            log.error(
                "shipments.file_rejected",
                error_kind="rejected",
                file=path.name,
                problems=len(result.problems),
                first_problem=str(result.problems[0]),
                fix=f"Correct the rows listed in failed/{report.name} and drop the file in again.",
            )
    return results
