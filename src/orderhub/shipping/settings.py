"""The ``[shipments]`` and ``[carriers.<channel>]`` tables of the configuration file.

```toml
[shipments]
inbox = "/srv/orderhub/inbox"   # drop folder for CSV exports (optional)
scan_interval = "30s"           # how often the worker looks into it
push_interval = "1m"            # how often each account's outbox is drained
verify_after = "2h"             # flag a push the channel has not reflected by then

[carriers.amazon]               # this channel's code for a carrier, where it differs
Evri = "Hermes"
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path


@dataclass(frozen=True)
class ShippingConfig:
    inbox: Path | None = None
    scan_interval: timedelta = timedelta(seconds=30)
    push_interval: timedelta = timedelta(minutes=1)
    verify_after: timedelta = timedelta(hours=2)
    #: channel -> {canonical carrier key -> channel code}
    carrier_codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
