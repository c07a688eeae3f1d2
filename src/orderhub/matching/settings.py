"""The ``[matching]`` table of the configuration file.

```toml
[matching]
# Decorations the channels add to your SKUs, removed before the normalised comparison
# (case, spaces and the separators - _ . / are ignored there already).
strip_prefixes = ["AMZ-"]
strip_suffixes = ["-FBA", "-NEW"]
# How often the worker reads the catalog from accounts whose shop is the catalog source.
catalog_interval = "1h"
```

The configuration loader (``orderhub.config``) reads the table through
:func:`read_matching_config`; this module depends on nothing else in orderhub.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

MATCHING_KEYS = ("strip_prefixes", "strip_suffixes", "catalog_interval")
MIN_CATALOG_INTERVAL = timedelta(minutes=1)
_MAX_RULE_LENGTH = 64
_SEPARATORS_ONLY = re.compile(r"^[\s\-_./]*$")


@dataclass(frozen=True)
class MatchingConfig:
    """SKU matching settings. ``strip_prefixes``/``strip_suffixes`` are the texts a channel
    adds to a SKU (``AMZ-``, ``-FBA``), compared like SKUs (case and separators ignored).
    ``catalog_interval`` is how often the worker reads the catalog from a shop that is
    the catalog source (connectors with ``Capability.CATALOG``)."""

    strip_prefixes: tuple[str, ...] = ()
    strip_suffixes: tuple[str, ...] = ()
    catalog_interval: timedelta = timedelta(hours=1)


def read_matching_config(
    data: Mapping[str, Any],
    *,
    add: Callable[[str, str, str], None],
    did_you_mean: Callable[[str, tuple[str, ...]], str],
    parse_duration: Callable[[Any], timedelta],
) -> MatchingConfig:
    """Read ``[matching]`` from the parsed TOML; report each problem through ``add(key,
    message, fix)`` (unknown keys are refused, so a typo never silently disables a rule)."""
    table = data.get("matching", {})
    if not isinstance(table, dict):
        add(
            "matching",
            "must be a table.",
            'Write [matching] followed by e.g. strip_suffixes = ["-FBA"].',
        )
        return MatchingConfig()
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in MATCHING_KEYS:
            add(
                f"matching.{key}",
                "unknown key.",
                f"{did_you_mean(key, MATCHING_KEYS)}Keys: {', '.join(MATCHING_KEYS)}.",
            )
            continue
        if key == "catalog_interval":
            try:
                interval = parse_duration(value)
            except ValueError as exc:
                add("matching.catalog_interval", f"{exc}.", 'Write e.g. catalog_interval = "1h".')
                continue
            if interval < MIN_CATALOG_INTERVAL:
                add(
                    "matching.catalog_interval",
                    "is below the minimum of one minute.",
                    'Use at least "1m"; a catalog changes far less often than orders.',
                )
                continue
            values[key] = interval
            continue
        example = '["AMZ-"]' if key == "strip_prefixes" else '["-FBA"]'
        if not isinstance(value, list):
            add(f"matching.{key}", "must be a list of texts.", f"Write {key} = {example}.")
            continue
        rules: list[str] = []
        for index, rule in enumerate(value):
            where = f"matching.{key}[{index}]"
            if not isinstance(rule, str):
                add(where, "must be a text.", f"Write {key} = {example}.")
            elif _SEPARATORS_ONLY.match(rule):
                add(
                    where,
                    "has nothing but spaces and separators, which matching ignores anyway.",
                    f"Remove it, or write the text the channel adds, e.g. {key} = {example}.",
                )
            elif len(rule) > _MAX_RULE_LENGTH:
                add(where, f"is longer than {_MAX_RULE_LENGTH} characters.", "Shorten it.")
            elif rule not in rules:
                rules.append(rule)
        values[key] = tuple(rules)
    return MatchingConfig(**values)
