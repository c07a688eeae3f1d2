"""Reading the CSV files people hand to orderhub: UTF-8 (with or without the BOM a
spreadsheet adds), comma or semicolon separated, a header row, numbered like a spreadsheet
(the header is row 1)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from orderhub.matching.errors import MatchingError


@dataclass(frozen=True)
class CsvRow:
    """One data row: its spreadsheet row number and its cells by (lower-case) column;
    ``extra`` is true when it has more non-empty cells than the header has columns."""

    number: int
    cells: dict[str, str]
    extra: bool = False

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()


def read_csv(
    path: Path, *, required: Sequence[str], known: Sequence[str], what: str
) -> list[CsvRow]:
    """The rows of ``path``. Raises :class:`MatchingError` naming the file and the fix
    when it cannot be read, has no header, lacks a required column or has an unknown one
    (a misspelt column would otherwise be ignored silently)."""
    columns_help = f"The columns are: {', '.join(known)} ({', '.join(required)} required)."
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MatchingError(f"{path} does not exist.", "Check the file name.") from None
    except OSError as exc:
        raise MatchingError(
            f"{path} cannot be read ({exc.strerror or type(exc).__name__}).",
            "Check the path and its permissions.",
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MatchingError(
            f"{path} is not UTF-8 text.",
            "Save it as CSV UTF-8 (in a spreadsheet: Save As > CSV UTF-8).",
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise MatchingError(
            f"{path} is not valid CSV: {exc} (near row {reader.line_num}).",
            "Check the quotes on that row.",
        ) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise MatchingError(f"{path} is empty: {what} needs a header row.", columns_help)
    header = [cell.strip().lower() for cell in rows[0]]
    unknown = [name for name in header if name and name not in known]
    missing = [name for name in required if name not in header]
    problems = []
    if unknown:
        problems.append(f"unknown column {', '.join(repr(name) for name in unknown)}")
    if missing:
        problems.append(f"missing column {', '.join(repr(name) for name in missing)}")
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        problems.append(f"repeated column {', '.join(repr(name) for name in repeated)}")
    if problems:
        raise MatchingError(f"{path}: {'; '.join(problems)}; nothing was applied.", columns_help)
    out: list[CsvRow] = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often at the end of an exported file
        values = {name: value for name, value in zip(header, cells, strict=False) if name}
        extra = any(cell.strip() for cell in cells[len(header) :])
        out.append(CsvRow(number, values, extra))
    return out
