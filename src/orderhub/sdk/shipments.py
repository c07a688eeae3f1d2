"""Helpers for ``push_tracking``: refusing a shipment the channel could never accept before
anything is sent, the shipped lines as the channel wants them, the field a refusal is about,
and "nothing left to ship" read as already applied.

A connector's push is then a few lines::

    def push_tracking(self, shipment):
        check_shipment(shipment, "Etsy", self.carrier_rules)
        lines = shipped_lines(shipment, "Etsy", "transaction_id")
        return push_once(shipment, lambda: self.http.send_json(...))

and its ``classify_response`` raises :class:`AlreadyShippedError` for the channel's
"already shipped" answer (:func:`says_any` finds the channel's words in an error body).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

from orderhub.sdk.carriers import CarrierRule, broken_carrier_rule
from orderhub.sdk.drafts import PushOutcome, PushResult, ShipmentDraft
from orderhub.sdk.errors import RejectedError
from orderhub.sdk.responses import error_text, first_error

__all__ = [
    "AlreadyShippedError",
    "check_shipment",
    "field_in_error",
    "field_refusal",
    "fix_for_field",
    "push_once",
    "refusal",
    "says_any",
    "shipped_lines",
]

_BRACKETED = re.compile(r"\[([A-Za-z][A-Za-z0-9_.\[\]]*)\]")


class AlreadyShippedError(RejectedError):
    """The channel has nothing left to ship for the shipment: it already has it (the seller
    shipped it elsewhere, or an earlier push whose answer was lost went through).
    :func:`push_once` turns it into ``PushOutcome.ALREADY_APPLIED``; ``detail`` is kept in
    the result."""

    def __init__(self, message: str, *, detail: Mapping[str, Any] | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.detail = dict(detail or {})


def refusal(shipment: ShipmentDraft, channel: str, problem: str, fix: str) -> RejectedError:
    """A RejectedError ``shipment of <channel> order <id>: <problem>`` with ``fix``."""
    return RejectedError(
        f"shipment of {channel} order {shipment.order_external_id}: {problem}", fix=fix
    )


def check_shipment(shipment: ShipmentDraft, channel: str, rules: Iterable[CarrierRule]) -> None:
    """Refuse ``shipment`` when it breaks one of the connector's ``carrier_rules``.

    The push runner applies the rules before ``push_tracking`` already; this applies them
    again for direct callers. The shipment holds the channel's carrier code, so a rule's
    canonical key matches it case-insensitively, spaces and dashes read as ``_`` (``"other"``
    matches ``"Other"``, ``"royal_mail"`` matches ``"Royal Mail"``)."""
    key = re.sub(r"[\s-]+", "_", (shipment.carrier_code or "").strip().lower())
    rule = broken_carrier_rule(rules, key, shipment)
    if rule is not None:
        raise refusal(shipment, channel, rule.message, rule.fix)


def shipped_lines(
    shipment: ShipmentDraft,
    channel: str,
    id_key: str,
    *,
    quantity_key: str = "quantity",
    field: str = "lines",
    fix: str = "Correct the shipment's lines and quantities, then retry it.",
) -> list[dict[str, Any]]:
    """The shipment's lines as ``[{id_key: line id, quantity_key: n}, ...]``; a shipment
    without lines, or with a line of no positive quantity, is refused naming ``field``."""
    if not shipment.lines or any(line.quantity <= 0 for line in shipment.lines):
        problem = f"no lines, or a line without a positive quantity (field {field})"
        raise refusal(shipment, channel, problem, fix)
    return [{id_key: line.line_external_id, quantity_key: line.quantity} for line in shipment.lines]


def push_once(
    shipment: ShipmentDraft,
    send: Callable[[], object],
    *,
    reference: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> PushResult:
    """Call ``send`` (the request that ships ``shipment``) and say how it went:
    ``APPLIED`` with ``detail``, or ``ALREADY_APPLIED`` when it raised
    :class:`AlreadyShippedError`. ``reference`` is the channel's reference of the shipment
    (default: orderhub's ``shipment.reference``). Other errors propagate."""
    try:
        send()
    except AlreadyShippedError as exc:
        return PushResult(
            PushOutcome.ALREADY_APPLIED, reference or shipment.reference, dict(exc.detail)
        )
    return PushResult(PushOutcome.APPLIED, reference or shipment.reference, dict(detail or {}))


def says_any(response: httpx.Response, markers: Iterable[str]) -> bool:
    """Whether the error body of ``response`` (codes, messages, details; see
    :func:`~orderhub.sdk.responses.error_text`) contains one of ``markers`` (lower case)."""
    text = error_text(response)
    return any(marker in text for marker in markers)


def field_in_error(text: str, fields: Iterable[str]) -> str | None:
    """The request field an error message is about: a bracketed path
    (``[packageDetail.orderItems[0].quantity]``) or else the first of ``fields`` the text
    names (case-insensitively); None when it names none."""
    found = _BRACKETED.search(text)
    if found is not None:
        return found.group(1)
    lowered = text.lower()
    return next((name for name in fields if name.lower() in lowered), None)


def fix_for_field(field: str | None, fixes: Mapping[str, str], default: str) -> str:
    """The fix of ``fixes`` for the leaf of a field path (``packageDetail.orderItems[0]
    .quantity`` looks up ``quantity``), or ``default``."""
    if field is None:
        return default
    leaf = re.sub(r"\[\d+\]", "", field).rsplit(".", 1)[-1]
    return fixes.get(leaf, default)


def field_refusal(
    response: httpx.Response, what: str, fixes: Mapping[str, str], default: str
) -> RejectedError:
    """The RejectedError of a channel's refusal of a push: ``<what> (field <f>): <code>:
    <message>``, where the field is the one the channel's error names
    (:func:`field_in_error`, looking for the keys of ``fixes`` in their order) and the fix
    is that field's (:func:`fix_for_field`), or ``default``."""
    code, message = first_error(response)
    field = field_in_error(error_text(response, lower=False), fixes)
    about = f" (field {field})" if field else ""
    return RejectedError(
        f"{what}{about}: {code}: {message}", fix=fix_for_field(field, fixes, default), code=code
    )
