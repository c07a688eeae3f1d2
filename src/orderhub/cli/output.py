"""List output for people and for scripts: one :class:`Listing` per list command, shown as
a table (``--format table``, the default), JSON or CSV.

In a table the key columns (ids, order references, SKUs, tracking numbers: what a user
copies into the next command) are never truncated or wrapped; the other columns fold to
fit the terminal. When the terminal is too narrow even for the key columns side by side,
each row is shown as a block of ``column: value`` lines instead. JSON and CSV carry the
same columns with plain values, written straight to stdout (no markup, no wrapping), so
``orderhub orders list --format csv > orders.csv`` is a file a spreadsheet opens.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        help="table (for people), json or csv (for scripts: every row, plain values).",
        case_sensitive=False,
        show_default=True,
    ),
]


class Listing:
    """Rows of plain text under ``columns``; ``keys`` names the columns never cut. An
    ``account`` column is always one: its ids are what ``--account`` and ``sync`` take."""

    def __init__(self, title: str, columns: Sequence[str], *, keys: Iterable[str] = ()) -> None:
        self.title = title
        self.columns = list(columns)
        self.keys = set(keys) | ({"account"} & set(self.columns))
        unknown = self.keys - set(self.columns)
        if unknown:
            raise ValueError(f"key columns {sorted(unknown)} are not columns")
        self.rows: list[list[str]] = []

    def add(self, *values: object) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} values for {len(self.columns)} columns")
        self.rows.append(["" if value is None else str(value) for value in values])

    def __len__(self) -> int:
        return len(self.rows)

    def table(self) -> Table:
        table = Table(title=self.title)
        for position, column in enumerate(self.columns):
            if column in self.keys:
                # Wide enough for the longest value, and never wrapped: rich then shrinks
                # the other columns instead.
                width = max([len(column), *(len(row[position]) for row in self.rows)])
                table.add_column(column, no_wrap=True, min_width=width, overflow="ignore")
            else:
                table.add_column(column, overflow="fold")
        for row in self.rows:
            table.add_row(*(escape(value) for value in row))
        return table

    def fits(self, width: int) -> bool:
        """Whether the key columns, whole, leave room for the others in ``width`` columns,
        borders and padding included. Each other column needs its header's longest word
        (at least 4, at most 12 characters), so a header is never broken inside a word."""
        need = 1 + 3 * len(self.columns)
        for position, column in enumerate(self.columns):
            if column in self.keys:
                need += max([len(column), *(len(row[position]) for row in self.rows)])
            else:
                need += max(4, min(12, max(len(word) for word in column.split())))
        return need <= width

    def records(self) -> Text:
        """One block per row, ``column: value`` per line: for a terminal too narrow for
        the key columns side by side."""
        text = Text(f"{self.title}\n", style="bold")
        name_width = max(len(column) for column in self.columns)
        for row in self.rows:
            text.append("\n")
            for column, value in zip(self.columns, row, strict=True):
                text.append(f"{column:>{name_width}}: ", style="dim")
                # A value of several lines keeps to its own column, under its first line.
                shown = value.replace("\n", "\n" + " " * (name_width + 2))
                text.append(f"{shown}\n", style="bold" if column in self.keys else "")
        return text

    def emit(self, fmt: Format, console: Console) -> None:
        if fmt is Format.table:
            console.print(self.table() if self.fits(console.width) else self.records())
        elif fmt is Format.json:
            records = [dict(zip(self.columns, row, strict=True)) for row in self.rows]
            sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=1) + "\n")
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(self.columns)
            writer.writerows(self.rows)
            sys.stdout.write(buffer.getvalue())
        sys.stdout.flush()
