"""Durations as the configuration writes them: ``"90s"``, ``"5m"``, ``"1h30m"``, ``"2d"``
or a number of seconds, and :func:`duration`, the annotated type the file models use."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator

from orderhub.config.problems import invalid
from orderhub.humanize import human_duration

__all__ = ["MAX_DURATION", "Duration", "duration", "human_duration", "parse_duration"]

#: The longest duration a setting takes: 100 years keeps every date computed from one
#: (now + interval, now - retention) within what a date can hold.
MAX_DURATION = timedelta(days=36500)

_DURATION_PART_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)", re.IGNORECASE)
_DURATION_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(value: str | int | float) -> timedelta:
    """Parse ``"90s"``, ``"5m"``, ``"1h30m"``, ``"2d"`` or a number of seconds.

    Raises ValueError with a message saying what is accepted, for anything else (including
    negative, infinite or boolean values).
    """
    accepted = 'use a number of seconds or a duration like "90s", "5m", "1h30m" or "2d"'
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"invalid duration {value!r}: {accepted}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip()
        if not text:
            raise ValueError(f"empty duration: {accepted}")
        try:
            seconds = float(text)
        except ValueError:
            seconds = 0.0
            position = 0
            compact = text.replace(" ", "")
            for match in _DURATION_PART_RE.finditer(compact):
                if match.start() != position:
                    break
                seconds += float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]
                position = match.end()
            if position != len(compact) or position == 0:
                raise ValueError(f"invalid duration {value!r}: {accepted}") from None
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"invalid duration {value!r}: {accepted}")
    if seconds < 0:
        raise ValueError(f"invalid duration {value!r}: it must not be negative")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"invalid duration {value!r}: it is too long: at most 100 years (36500d)")
    return timedelta(seconds=seconds)


def duration(
    minimum: timedelta | None = None,
    *,
    below: str = "must be positive.",
    fix: str = "",
    zero_ok: bool = False,
) -> BeforeValidator:
    """How a ``timedelta`` field is read (``Annotated[timedelta, duration(...)]``): with
    :func:`parse_duration`. Values under ``minimum``
    (default: zero and below, unless ``zero_ok``) are refused with ``below`` and ``fix``;
    an empty fix is filled from the field's example (``Write e.g. key = "1h".``)."""

    def read(value: Any) -> timedelta:
        if zero_ok and value in (0, "0", "off") and not isinstance(value, bool):
            return timedelta(0)
        try:
            parsed = parse_duration(value)
        except ValueError as exc:
            raise invalid(f"{exc}.", "") from None
        if minimum is not None and parsed < minimum:
            raise invalid(below, fix)
        if minimum is None and not zero_ok and parsed <= timedelta(0):
            raise invalid(below, fix)
        return parsed

    return BeforeValidator(read)


#: Any positive duration.
Duration = Annotated[timedelta, duration()]
