"""What a connector declares about its channel's carriers, for the shipping core to apply.

orderhub keeps one canonical carrier list (UPS, DHL, Royal Mail, Other, ...). A connector
says how its channel spells them (:attr:`Connector.carrier_codes`, canonical key to the
channel's code, e.g. ``{"royal_mail": "Royal Mail", "dhl": "DHL_EXPRESS"}``) and what the
channel insists on (:attr:`Connector.carrier_rules`). The push runner translates the
carrier before calling ``push_tracking`` and refuses a shipment that breaks a rule before
anything is sent, with the rule's message and fix, so the connector holds no carrier
table and no such checks of its own. A seller's ``[carriers.<channel>]`` overrides win over
both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orderhub.sdk.drafts import ShipmentDraft

__all__ = ["CarrierRule", "broken_carrier_rule"]

_FIELDS = frozenset({"carrier_code", "carrier_name", "marketplace", "tracking_number"})


@dataclass(frozen=True, slots=True)
class CarrierRule:
    """A shipment with carrier ``carrier`` (a canonical key such as ``"other"``, or ``"*"``
    for every carrier) must have every field in ``needs`` set (fields of
    :class:`~orderhub.sdk.ShipmentDraft`: ``carrier_name``, ``marketplace``, ...).
    ``message`` and ``fix`` are what the seller reads when it does not."""

    carrier: str
    needs: tuple[str, ...]
    message: str
    fix: str

    def __post_init__(self) -> None:
        unknown = set(self.needs) - _FIELDS
        if unknown:
            raise ValueError(
                f"CarrierRule needs unknown shipment fields {sorted(unknown)}; "
                f"known: {sorted(_FIELDS)}"
            )


def broken_carrier_rule(
    rules: Iterable[CarrierRule], carrier_key: str, shipment: ShipmentDraft
) -> CarrierRule | None:
    """The first rule of ``rules`` that ``shipment`` (of canonical carrier ``carrier_key``)
    breaks, or None."""
    for rule in rules:
        if rule.carrier not in ("*", carrier_key):
            continue
        if any(not str(getattr(shipment, name) or "").strip() for name in rule.needs):
            return rule
    return None
