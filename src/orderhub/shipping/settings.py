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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from orderhub.shipping.carriers import UnknownCarrierError, resolve_carrier

SHIPMENTS_KEYS = ("inbox", "scan_interval", "push_interval", "verify_after")


@dataclass(frozen=True)
class ShippingConfig:
    inbox: Path | None = None
    scan_interval: timedelta = timedelta(seconds=30)
    push_interval: timedelta = timedelta(minutes=1)
    verify_after: timedelta = timedelta(hours=2)
    #: channel -> {canonical carrier key -> channel code}
    carrier_codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def read_shipping_config(
    data: Mapping[str, Any],
    *,
    add: Callable[[str, str, str], None],
    parse_duration: Callable[[Any], timedelta],
    did_you_mean: Callable[[str, tuple[str, ...]], str],
) -> ShippingConfig:
    """Read both tables from the parsed TOML; report each problem through ``add(key,
    message, fix)``."""
    table = data.get("shipments", {})
    values: dict[str, Any] = {}
    if not isinstance(table, dict):
        add("shipments", "must be a table.", "Write [shipments] followed by its keys.")
        table = {}
    for key, value in table.items():
        if key not in SHIPMENTS_KEYS:
            add(
                f"shipments.{key}",
                "unknown key.",
                f"{did_you_mean(key, SHIPMENTS_KEYS)}Keys: {', '.join(SHIPMENTS_KEYS)}.",
            )
        elif key == "inbox":
            if not isinstance(value, str) or not value.strip():
                add("shipments.inbox", "must be a folder path.", 'Write inbox = "/srv/inbox".')
            else:
                values["inbox"] = Path(value).expanduser()
        else:
            try:
                values[key] = parse_duration(value)
            except ValueError as exc:
                add(f"shipments.{key}", f"{exc}.", f'Write e.g. {key} = "1m".')
                continue
            if values[key] <= timedelta(0):
                add(f"shipments.{key}", "must be positive.", f'Write e.g. {key} = "1m".')

    codes: dict[str, dict[str, str]] = {}
    carriers = data.get("carriers", {})
    if not isinstance(carriers, dict):
        add("carriers", "must hold one table per channel.", 'Write [carriers.amazon] Evri = "..."')
        carriers = {}
    for channel, mapping in carriers.items():
        if not isinstance(mapping, dict):
            add(
                f"carriers.{channel}",
                "must be a table of carrier = code.",
                f'Write [carriers.{channel}] then e.g. Evri = "Hermes".',
            )
            continue
        for name, code in mapping.items():
            try:
                carrier = resolve_carrier(name)
            except UnknownCarrierError as exc:
                add(
                    f"carriers.{channel}.{name}",
                    str(exc).split(" Known carriers")[0],
                    "Use a carrier name from `orderhub ship --help`.",
                )
                continue
            if not isinstance(code, str) or not code.strip():
                add(
                    f"carriers.{channel}.{name}",
                    "the channel code must be a text.",
                    f'Write {name} = "CODE".',
                )
                continue
            codes.setdefault(channel, {})[carrier.key] = code.strip()
    return ShippingConfig(carrier_codes=codes, **values)
