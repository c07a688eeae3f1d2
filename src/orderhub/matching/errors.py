"""Refusals: what is wrong with the user's input and how to fix it, never a traceback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class MatchingError(Exception):
    """A request refused as a whole (nothing was changed): ``message`` says what is wrong,
    ``fix`` what to do. The CLI prints both and exits with status 2."""

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class RowProblem:
    """One bad row of a file: its number as a spreadsheet shows it (the header is row 1;
    0 for a problem that is not about one row), what is wrong and, where it helps, a fix
    for this problem in particular."""

    row: int
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}" if self.row else self.message


class InputRejected(MatchingError):
    """A file (or a batch of mappings) refused whole, with every problem found; nothing
    was applied."""

    def __init__(self, what: str, problems: Sequence[RowProblem], fix: str) -> None:
        self.problems = sorted(problems, key=lambda p: p.row)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{what} was refused ({count} {noun}); nothing was applied", fix)
