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

The table's shape is :class:`orderhub.config.sections.MatchingTable`, which checks it and
makes the :class:`MatchingConfig` below; this module depends on nothing else in orderhub.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

MIN_CATALOG_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class MatchingConfig:
    """SKU matching settings. ``strip_prefixes``/``strip_suffixes`` are the texts a channel
    adds to a SKU (``AMZ-``, ``-FBA``), compared like SKUs (case and separators ignored).
    ``catalog_interval`` is how often the worker reads the catalog from a shop that is
    the catalog source (connectors with ``Capability.CATALOG``)."""

    strip_prefixes: tuple[str, ...] = ()
    strip_suffixes: tuple[str, ...] = ()
    catalog_interval: timedelta = timedelta(hours=1)
