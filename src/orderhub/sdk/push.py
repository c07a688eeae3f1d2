"""Helpers for ``push_tracking``: telling whether the channel has a shipment already, and
the text of a tracking note for channels that take tracking as a note or a comment.

``push_tracking`` must be idempotent: the push runner retries after a lost answer, so a
connector first looks at what the channel already holds and answers
:attr:`~orderhub.sdk.drafts.PushOutcome.ALREADY_APPLIED` when the tracking number is there.
"""

from __future__ import annotations

from typing import Any

from orderhub.sdk.drafts import PushOutcome, PushResult, ShipmentDraft
from orderhub.sdk.paginate import dig

__all__ = ["push_result", "tracking_note", "with_tracking"]


def with_tracking(records: Any, tracking_number: str, *fields: str) -> dict[str, Any] | None:
    """The first of ``records`` (the channel's notes, fulfilments or shipments, as answered:
    anything that is not a list holds none) that carries ``tracking_number`` in one of
    ``fields`` (dotted paths, as :func:`~orderhub.sdk.paginate.dig` reads them), or None.

    A field containing the number counts, so a note "Shipped with UPS, tracking number
    1Z999" is found by ``"1Z999"``."""
    if not tracking_number or not isinstance(records, list):
        return None
    for record in records:
        if isinstance(record, dict) and any(
            tracking_number in str(dig(record, field) or "") for field in fields
        ):
            return record
    return None


def push_result(already: bool, channel_reference: str | None = None) -> PushResult:
    """The answer of a push: ``ALREADY_APPLIED`` when the channel had the shipment before
    this call, ``APPLIED`` when this call added it."""
    outcome = PushOutcome.ALREADY_APPLIED if already else PushOutcome.APPLIED
    return PushResult(outcome=outcome, channel_reference=channel_reference)


def tracking_note(shipment: ShipmentDraft) -> str:
    """The note that tells the buyer how their parcel travels: "Shipped with UPS, tracking
    number 1Z999." The carrier's human name is used when known, else its code."""
    carrier = shipment.carrier_name or shipment.carrier_code
    return f"Shipped with {carrier}, tracking number {shipment.tracking_number}."
