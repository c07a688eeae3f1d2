"""Wording shared by the CLI, the web console, the health model and the configuration's
messages. It imports nothing of orderhub's, so any module may use it."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["human_duration"]


def human_duration(delta: timedelta) -> str:
    """The largest whole unit of ``delta``, as durations are written in the configuration
    (``"3d"``, ``"5h"``, ``"2m"``, ``"40s"``; negative with a ``-``), for tables and pages."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{sign}{seconds // size}{unit}"
    return f"{sign}{seconds}s"
