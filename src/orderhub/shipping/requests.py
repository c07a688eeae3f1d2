"""What a shipment request looks like before it is recorded, and how refusals are told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ShipmentRequest:
    """One shipment as a person or a file described it.

    ``order`` is orderhub's order id, the channel's order id or the order number; ``account``
    narrows it when several accounts have that id. ``lines`` pairs a line's SKU or channel
    line id with a quantity (None: all of that line not shipped yet); ``lines=None`` ships
    everything not shipped yet.
    """

    order: str
    carrier: str
    tracking: str
    account: str | None = None
    carrier_name: str | None = None
    lines: tuple[tuple[str, int | None], ...] | None = None
    shipped_at: datetime | None = None
    label: str = ""  # where it came from, for messages: "row 4", "--line BLUE-TEE=2"


@dataclass
class ShipmentProblem:
    label: str
    message: str
    fix: str

    def __str__(self) -> str:
        prefix = f"{self.label}: " if self.label else ""
        return f"{prefix}{self.message} Fix: {self.fix}"


class ShipmentError(ValueError):
    """Nothing was recorded. ``problems`` lists every problem found, not only the first."""

    def __init__(self, problems: list[ShipmentProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
