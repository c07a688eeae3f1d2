"""Configuration problems: where (file and dotted key), what, and how to fix it.

Every reader of the configuration reports through :class:`Problems`, and pydantic's
validation errors are turned into problems here (:func:`translate`), in orderhub's own
sentences: a user never reads "Input should be a valid integer" or "Value error, ...".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "Problems",
    "did_you_mean",
    "invalid",
    "shorten_words",
]

#: Longer runs of text without a space are cut when a problem quotes them.
_LONG_WORD = re.compile(r"\S{121,}")


def shorten_words(text: str) -> str:
    """``text`` with each run of over 120 characters without a space cut to its first 60,
    and its length said."""
    return _LONG_WORD.sub(lambda m: f"{m.group()[:60]}…({len(m.group())} characters)", text)


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the configuration: where, what, and how to fix it.

    ``file`` is the configuration file as given (None for problems in the environment),
    ``key`` the dotted key at fault (``accounts[0].settings.consumer_secret``; empty for
    the file as a whole).
    """

    file: str | None
    key: str
    message: str
    fix: str

    def __post_init__(self) -> None:
        # A message may quote the value at fault; a value of 200 KB must not be printed
        # back whole (twice, with the fix).
        object.__setattr__(self, "message", shorten_words(self.message))
        object.__setattr__(self, "fix", shorten_words(self.fix))

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.key) if part)
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.message} Fix: {self.fix}"


class ConfigError(Exception):
    """The configuration cannot be used. ``problems`` holds every problem found, not just
    the first, so one ``orderhub config check`` shows them all."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} configuration problems:"]
        lines += [f"- {problem}" for problem in self.problems]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()


def did_you_mean(key: str, allowed: Sequence[str]) -> str:
    """``'Did you mean "x"? '`` for the closest of ``allowed``, or nothing."""
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    return f'Did you mean "{close[0]}"? ' if close else ""


def invalid(message: str, fix: str = "", *, key: str = "") -> PydanticCustomError:
    """The error a validator raises: our message and our fix, carried through pydantic
    untouched (``{`` in them is not a placeholder). An empty fix is filled from the field's
    example; ``key`` names a key below the one validated (a table's check of two keys)."""
    return PydanticCustomError(
        "orderhub", "{message}", {"message": message, "fix": fix, "key": key}
    )


class Problems:
    """The problems of one file, collected in one pass."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.items: list[ConfigProblem] = []

    def add(self, key: str, message: str, fix: str) -> None:
        self.items.append(ConfigProblem(self.file, key, message, fix))

    def extend(self, problems: Iterable[ConfigProblem]) -> None:
        self.items.extend(problems)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[ConfigProblem]:
        return iter(self.items)

    def from_validation(self, error: ValidationError, model: Any, prefix: str = "") -> None:
        """Add a problem for each error pydantic found validating ``model``'s table at
        ``prefix`` (``""`` for the whole file)."""
        from orderhub.config.fields import describe

        for details in error.errors(include_url=False, include_input=True, include_context=True):
            key, message, fix = describe(model, details, prefix)
            self.add(key, message, fix)
