"""Shipments from CSV files (``orderhub shipments import`` and the worker's drop folder).

Columns (header row required, names case-insensitive, order free):

============  ========  ===============================================================
column        required  meaning
============  ========  ===============================================================
order         yes       orderhub's order id, the channel's order id or the order number
account       no        the account id, when several accounts have that order id
carrier       yes       UPS, FedEx, Royal Mail, ... (aliases accepted), or Other
carrier_name  no        the carrier's name when carrier is Other
tracking      yes       the tracking number (spaces and dashes are removed)
sku           no        a SKU or channel line id; empty ships every line not shipped yet
quantity      no        units of that line (default: all left of it); needs sku
shipped_at    no        ISO 8601 date or time (default: when it is recorded)
============  ========  ===============================================================

Several rows with the same order, carrier and tracking number form one shipment (one
parcel with several lines). A file is all or nothing: one bad row and nothing is recorded,
with every bad row's number and reason reported.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orderhub.shipping.requests import ShipmentProblem, ShipmentRequest

COLUMNS = (
    "order",
    "account",
    "carrier",
    "carrier_name",
    "tracking",
    "sku",
    "quantity",
    "shipped_at",
)
REQUIRED = ("order", "carrier", "tracking")
#: The store's integer columns are 32-bit.
QUANTITY_LIMIT = 2**31 - 1


@dataclass
class _Group:
    rows: list[int] = field(default_factory=list)
    lines: list[tuple[str, int | None]] = field(default_factory=list)
    whole_order: bool = False
    request: ShipmentRequest | None = None


def parse_when(text: str) -> datetime:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        raise ValueError("the date is outside years 1 to 9999 in UTC") from None


def parse_shipments_csv(text: str) -> tuple[list[ShipmentRequest], list[ShipmentProblem]]:
    """Parse a shipments file into requests (one per parcel) and the problems found."""
    problems: list[ShipmentProblem] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames:
        return [], [
            ShipmentProblem(
                "file", "the file is empty.", f"Start with a header row: {','.join(COLUMNS)}."
            )
        ]
    header = {name.strip().casefold(): name for name in reader.fieldnames if name}
    missing = [column for column in REQUIRED if column not in header]
    unknown = [name for key, name in header.items() if key not in COLUMNS]
    if missing or unknown:
        details = []
        if missing:
            details.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            details.append(f"unknown column(s) {', '.join(unknown)}")
        return [], [
            ShipmentProblem(
                "header",
                "; ".join(details) + ".",
                f"Use the columns {', '.join(COLUMNS)} ({', '.join(REQUIRED)} required).",
            )
        ]

    try:
        return _parse_rows(reader, header, problems)
    except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit
        return [], [
            ShipmentProblem(
                f"row {reader.line_num}",
                f"the file cannot be read as CSV ({exc}).",
                "Check the quoting of that row; no field of a shipments file needs 128 KiB.",
            )
        ]


def _parse_rows(
    reader: csv.DictReader[str], header: dict[str, str], problems: list[ShipmentProblem]
) -> tuple[list[ShipmentRequest], list[ShipmentProblem]]:
    groups: dict[tuple[str, str, str, str], _Group] = {}
    for number, raw in enumerate(reader, start=2):  # row 1 is the header
        row = {key: (raw.get(name) or "").strip() for key, name in header.items()}
        if not any(row.values()):
            continue
        label = f"row {number}"
        bad = False
        for column in REQUIRED:
            if not row.get(column):
                problems.append(
                    ShipmentProblem(label, f"{column} is empty.", f"Fill in the {column} column.")
                )
                bad = True
        quantity: int | None = None
        if row.get("quantity"):
            try:
                quantity = int(row["quantity"])
            except ValueError:
                problems.append(
                    ShipmentProblem(
                        label,
                        f"quantity {row['quantity']!r} is not a whole number.",
                        "Write e.g. 2.",
                    )
                )
                bad = True
            if quantity is not None and quantity > QUANTITY_LIMIT:
                problems.append(
                    ShipmentProblem(
                        label,
                        f"quantity {row['quantity'][:20]} is too large.",
                        f"Give at most {QUANTITY_LIMIT}.",
                    )
                )
                bad = True
                quantity = None
            if quantity is not None and quantity <= 0:
                problems.append(
                    ShipmentProblem(
                        label,
                        f"quantity {quantity} is not positive.",
                        "Give at least 1, or leave the row out.",
                    )
                )
                bad = True
            if not row.get("sku"):
                problems.append(
                    ShipmentProblem(
                        label, "quantity without sku.", "Name the line's SKU (or line id) too."
                    )
                )
                bad = True
        shipped_at: datetime | None = None
        if row.get("shipped_at"):
            try:
                shipped_at = parse_when(row["shipped_at"])
            except ValueError:
                problems.append(
                    ShipmentProblem(
                        label,
                        f"shipped_at {row['shipped_at']!r} is not a date.",
                        "Use ISO 8601, e.g. 2026-11-23 or 2026-11-23T14:05:00Z.",
                    )
                )
                bad = True
        if bad:
            continue
        key = (
            row.get("account", ""),
            row["order"],
            row["carrier"].casefold(),
            row["tracking"].replace(" ", "").replace("-", "").upper(),
        )
        group = groups.setdefault(key, _Group())
        group.rows.append(number)
        if row.get("sku"):
            group.lines.append((row["sku"], quantity))
        else:
            group.whole_order = True
        if group.request is None:
            group.request = ShipmentRequest(
                order=row["order"],
                account=row.get("account") or None,
                carrier=row["carrier"],
                carrier_name=row.get("carrier_name") or None,
                tracking=row["tracking"],
                shipped_at=shipped_at,
            )

    requests: list[ShipmentRequest] = []
    for group in groups.values():
        assert group.request is not None
        label = ("row " if len(group.rows) == 1 else "rows ") + ", ".join(map(str, group.rows))
        if group.whole_order and group.lines:
            problems.append(
                ShipmentProblem(
                    label,
                    "a parcel has both a row without sku (whole order) and rows with sku.",
                    "Either list every line, or leave sku empty once.",
                )
            )
            continue
        lines: tuple[tuple[str, int | None], ...] | None = None
        if group.lines:
            lines = tuple(group.lines)
        requests.append(
            ShipmentRequest(
                order=group.request.order,
                account=group.request.account,
                carrier=group.request.carrier,
                carrier_name=group.request.carrier_name,
                tracking=group.request.tracking,
                shipped_at=group.request.shipped_at,
                lines=lines,
                label=label,
            )
        )
    return requests, problems


def describe(problems: Sequence[ShipmentProblem]) -> str:
    """Every problem on a line of its own, for a file's error report."""
    return "\n".join(f"- {problem}" for problem in problems)
