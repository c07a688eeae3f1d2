"""TOML text for tests that write configuration files from Python values (the standard
library reads TOML but does not write it)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any


def toml_literal(value: Any) -> str:
    """``value`` as a TOML value: booleans, integers, floats (``nan`` and ``inf`` too),
    strings, dates and times, arrays, and tables as inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{toml_literal(k)} = {toml_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(value)
