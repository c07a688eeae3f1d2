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
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Engine

from orderhub.files import private_dir as _private_dir
from orderhub.files import write_private_text
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


def _refusal(path: Path, inbox: Path) -> str | None:
    """Why ``path`` is not a file to import (None when it is one). Never opens it: opening a
    FIFO would block the scan."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "it is a symbolic link to nothing readable"
        if inbox.resolve() not in target.parents:
            return "it is a symbolic link to a file outside the drop folder (not followed)"
        info = target.stat()
    if stat.S_ISDIR(info.st_mode):
        return "it is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "it is not a regular file (a FIFO, socket or device)"
    if not os.access(path, os.R_OK):
        return "orderhub may not read it (file permissions)"
    return None


def process_inbox(engine: Engine, inbox: Path, *, now: datetime | None = None) -> list[InboxResult]:
    """Import every settled CSV file in ``inbox`` and file it under done/ or failed/.

    One entry never stops the scan of the others: a folder, FIFO, unreadable file or a
    symbolic link leading out of the folder is moved to failed/ with a report (or, when it
    cannot be moved, logged and left), and the scan goes on."""
    log = structlog.get_logger()
    moment = now or datetime.now(UTC)
    results: list[InboxResult] = []
    if not inbox.is_dir():
        return results
    for path in sorted(inbox.glob("*.csv")):
        try:
            result = _process_entry(engine, inbox, path, moment, log)
        except Exception as exc:  # one entry must never stop the scan of the others
            log.error(
                "shipments.file_failed",
                file=_shown(path),
                error_kind="internal",
                error=type(exc).__name__,
                fix="Move the file out of the drop folder and import it with "
                "`orderhub shipments import FILE` to see the problem.",
            )
            continue
        if result is not None:
            results.append(result)
    return results


def _shown(path: Path) -> str:
    """A file name safe for a log line (odd bytes and control characters escaped)."""
    return path.name.encode("utf-8", "backslashreplace").decode().encode("unicode_escape").decode()


def _process_entry(
    engine: Engine, inbox: Path, path: Path, moment: datetime, log: Any
) -> InboxResult | None:
    done, failed = inbox / "done", inbox / "failed"
    try:
        age = moment.timestamp() - path.lstat().st_mtime
    except FileNotFoundError:  # taken by another worker sharing the folder
        return None
    if age < SETTLE_SECONDS:
        return None
    refusal = _refusal(path, inbox)
    if refusal is not None:
        result = InboxResult(
            path,
            False,
            0,
            [ShipmentProblem("file", f"{refusal}.", "Drop a regular CSV file in the folder.")],
        )
    else:
        try:
            result = import_file(engine, path, source=f"inbox:{path.name}", now=moment)
        except OSError as exc:
            result = InboxResult(
                path,
                False,
                0,
                [
                    ShipmentProblem(
                        "file",
                        f"the file cannot be read ({exc.strerror or type(exc).__name__}).",
                        "Check its permissions and drop it in again.",
                    )
                ],
            )
    target_dir = done if result.ok else failed
    _private_dir(target_dir)
    target = _unique(target_dir / path.name)
    # os.rename moves the entry itself (a link stays a link, a FIFO is never opened).
    os.rename(path, target)
    if result.ok:
        log.info("shipments.file_imported", file=_shown(path), shipments=result.shipments)
        return result
    report = target.with_name(target.name + ".errors.txt")
    write_private_text(
        report,
        f"{_shown(path)} was not imported; nothing from it was recorded.\n"
        + describe(result.problems)
        + "\n",
    )
    log.error(
        "shipments.file_rejected",
        error_kind="rejected",
        file=_shown(path),
        problems=len(result.problems),
        first_problem=str(result.problems[0]),
        fix=f"Correct the rows listed in failed/{_shown(report)} and drop the file in again.",
    )
    return result
