"""Channel order statuses mapped onto :class:`~orderhub.sdk.drafts.OrderStatus` by a table.

Most channels name an order's state with one word ("processing", "Shipped", "wc-on-hold").
A connector declares the table once and :meth:`StatusTable.map` does the rest: an optional
prefix is stripped, the account's own mappings (for statuses plugins add) come first, and a
status nobody mapped is refused with a message that says what to do, which is what the
quarantine shows the seller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orderhub.sdk.drafts import OrderStatus
from orderhub.sdk.errors import MalformedRecordError

__all__ = ["StatusTable"]


@dataclass(frozen=True)
class StatusTable:
    """The statuses of ``channel`` (``"WooCommerce"``) and what each means to orderhub.

    ``prefix`` is stripped from a status before it is looked up (WooCommerce's ``wc-``).
    ``setting`` names the account setting that maps further statuses (``"status_map"``);
    without one, an unknown status asks for an orderhub upgrade instead.
    """

    channel: str
    statuses: Mapping[str, OrderStatus]
    prefix: str = ""
    setting: str | None = None

    def map(
        self,
        value: Any,
        custom: Mapping[str, OrderStatus] | None = None,
        *,
        field: str = "status",
    ) -> OrderStatus:
        """The orderhub status of the channel's ``value``, looked up in ``custom`` (the
        account's mappings) first, then in the table.

        Raises MalformedRecordError naming ``field`` when the value is missing or mapped
        nowhere.
        """
        if not isinstance(value, str) or not value:
            raise MalformedRecordError(f"order: required field {field!r} is missing")
        key = value.removeprefix(self.prefix) if self.prefix else value
        mapped = (custom or {}).get(key) or self.statuses.get(key)
        if mapped is not None:
            return mapped
        shown = repr(value[:40])
        if self.setting is None:
            raise MalformedRecordError(
                f"order {field} {shown} is not one orderhub knows for {self.channel}",
                fix=(
                    f"{self.channel} added a status: upgrade orderhub (or report it with the "
                    "raw payload kept in `orderhub failures`); the next sync after that "
                    "stores the order."
                ),
            )
        # The sync engine stores the message as the quarantine reason, so the message itself
        # says what to do; ``fix`` repeats it with an example.
        raise MalformedRecordError(
            f"order {field} {shown} is not a {self.channel} core status; map it to an "
            f"orderhub status with {self.setting} in the account's settings",
            fix=(
                f'Map it in the account\'s settings: {self.setting} = {{ {key[:40]} = "shipped" }} '
                "(any orderhub status), then the next sync stores the order."
            ),
        )
