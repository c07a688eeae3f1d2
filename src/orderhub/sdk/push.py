"""Helpers for any connector's ``push_tracking``: refusing a shipment the channel could
never accept before anything is sent, the shipped lines as the channel wants them, finding
a shipment the channel already has (``push_tracking`` must be idempotent: the push runner
retries after a lost answer), the result of a push, the text of a tracking note, and a
channel's refusal told in the seller's words.

A connector's push is then a few lines::

    def push_tracking(self, shipment):
        check_shipment(shipment, "Etsy", self.carrier_rules)
        lines = shipped_lines(shipment, "Etsy", "transaction_id")
        return push_once(shipment, lambda: self.http.send_json(...))

and its ``classify_response`` raises :class:`AlreadyShippedError` for the channel's
"already shipped" answer (:func:`says_any` finds the channel's words in an error body).
Channels without an idempotency key whose fulfillments list lines and tracking numbers
use :mod:`orderhub.sdk.fulfillments` (:class:`~orderhub.sdk.CheckedPush`), built on these.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

from orderhub.sdk.carriers import CarrierRule, broken_carrier_rule
from orderhub.sdk.drafts import PushOutcome, PushResult, ShipmentDraft
from orderhub.sdk.errors import RejectedError
from orderhub.sdk.paginate import dig
from orderhub.sdk.responses import error_text, first_error

__all__ = [
    "AlreadyShippedError",
    "check_shipment",
    "explain_rejection",
    "field_in_error",
    "field_refusal",
    "find_by_tracking",
    "fix_for_field",
    "normalise_tracking_number",
    "plain_tracking",
    "push_once",
    "push_result",
    "refusal",
    "says_any",
    "shipped_lines",
    "tracking_note",
]

_BRACKETED = re.compile(r"\[([A-Za-z][A-Za-z0-9_.\[\]]*)\]")
#: What carriers and sellers put between the parts of a tracking number.
TRACKING_SEPARATORS = re.compile(r"[\s\-]+")
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")


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


def plain_tracking(value: str | None) -> str:
    """``value`` without spaces and dashes (what channels compare and store)."""
    return TRACKING_SEPARATORS.sub("", value or "")


def normalise_tracking_number(value: str | None) -> str:
    """The tracking number without spaces and dashes. Raises ValueError when it is empty or
    something other than letters and digits is left (most channels accept only those)."""
    cleaned = plain_tracking(value)
    if not cleaned:
        raise ValueError("the tracking number is empty")
    if not _ALPHANUMERIC.fullmatch(cleaned):
        raise ValueError(
            "the tracking number contains characters other than letters and digits "
            "(the channel accepts only those; spaces and dashes are removed for you)"
        )
    return cleaned


def check_shipment(
    shipment: ShipmentDraft,
    channel: str,
    rules: Iterable[CarrierRule] = (),
    *,
    label: str | None = None,
    carriers: str | None = None,
) -> str:
    """Refuse ``shipment`` before anything is sent when the channel could never accept it,
    and give its tracking number.

    ``rules`` are the connector's ``carrier_rules``: the push runner applies them before
    ``push_tracking`` already; this applies them again for direct callers. The shipment
    holds the channel's carrier code, so a rule's canonical key matches it
    case-insensitively, spaces and dashes read as ``_`` (``"other"`` matches ``"Other"``,
    ``"royal_mail"`` matches ``"Royal Mail"``).

    ``carriers`` (examples of the channel's carrier codes, ``"USPS, UPS, FedEx"``, for the
    fix) asks for what every channel with per-line fulfillments needs: a tracking number of
    letters and digits (returned normalised, see :func:`normalise_tracking_number`), a
    carrier code, at least one line and no line of fewer than one unit; those refusals
    (codes ``tracking_number``, ``carrier``, ``lines``) name ``label`` (``"eBay account
    x"``, default the channel) and the order."""
    key = re.sub(r"[\s-]+", "_", (shipment.carrier_code or "").strip().lower())
    rule = broken_carrier_rule(rules, key, shipment)
    if rule is not None:
        raise refusal(shipment, channel, rule.message, rule.fix)
    if carriers is None:
        return shipment.tracking_number
    where = f"{label or channel}, order {shipment.order_external_id}"
    try:
        tracking = normalise_tracking_number(shipment.tracking_number)
    except ValueError as exc:
        raise RejectedError(
            f"{where}: {exc}; not sent",
            fix="Correct the shipment's tracking number (letters and digits only) and "
            "queue it again.",
            code="tracking_number",
        ) from None
    if not (shipment.carrier_code or "").strip():
        raise RejectedError(
            f"{where}: the shipment has no carrier code; {channel} needs one with every "
            "tracking number; not sent",
            fix=f"Set the shipment's carrier (a {channel} carrier code such as {carriers}) "
            "and queue it again.",
            code="carrier",
        )
    if not shipment.lines:
        raise RejectedError(
            f"{where}: the shipment lists no line items; not sent",
            fix=f"Add the shipped lines ({channel} line item ids and quantities) to the shipment.",
            code="lines",
        )
    for line in shipment.lines:
        if line.quantity < 1:
            raise RejectedError(
                f"{where}: line {line.line_external_id} has quantity {line.quantity}; not sent",
                fix="Ship at least one unit of every line listed in the shipment.",
                code="lines",
            )
    return tracking


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


def push_result(already: bool, channel_reference: str | None = None) -> PushResult:
    """The answer of a push: ``ALREADY_APPLIED`` when the channel had the shipment before
    this call, ``APPLIED`` when this call added it."""
    outcome = PushOutcome.ALREADY_APPLIED if already else PushOutcome.APPLIED
    return PushResult(outcome=outcome, channel_reference=channel_reference)


def find_by_tracking(
    records: Any, tracking: str, *fields: str, in_text: bool = False
) -> dict[str, Any] | None:
    """The first of ``records`` (the channel's fulfillments, shipments or notes, as
    answered: anything that is not a list holds none) that carries ``tracking`` in one of
    ``fields`` (dotted paths, as :func:`~orderhub.sdk.paginate.dig` reads them), or None.

    A field carries it when it is the same number without case, spaces and dashes
    (:func:`plain_tracking`); with ``in_text``, when the text contains it (a note "Shipped
    with UPS, tracking number 1Z999" carries ``"1Z999"``)."""
    if not tracking or not isinstance(records, list):
        return None
    wanted = plain_tracking(tracking).upper()
    for record in records:
        if not isinstance(record, dict):
            continue
        for field in fields:
            value = dig(record, field)
            if not isinstance(value, str):
                continue
            if (tracking in value) if in_text else plain_tracking(value).upper() == wanted:
                return record
    return None


def tracking_note(shipment: ShipmentDraft) -> str:
    """The note that tells the buyer how their parcel travels: "Shipped with UPS, tracking
    number 1Z999." The carrier's human name is used when known, else its code."""
    carrier = shipment.carrier_name or shipment.carrier_code
    return f"Shipped with {carrier}, tracking number {shipment.tracking_number}."


# -- a channel's refusal in the seller's words ------------------------------------------


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


def explain_rejection(
    exc: RejectedError,
    where: str,
    catalog: Mapping[str, tuple[str, str]],
    *,
    default: tuple[str, str],
    sent: str = "",
    channel: str = "the channel",
) -> RejectedError:
    """``exc`` (the channel's refusal) told in the seller's words: ``catalog`` maps the
    channel's documented error codes to a reason and a fix (``default`` for the others).
    The message names ``where`` (account and order), the reason, what was ``sent`` when it
    matters, and the channel's own answer; status and code are kept."""
    reason, fix = catalog.get(exc.code or "", default)
    return RejectedError(
        f"{where}: {reason} ({sent}{channel} answered: {exc.message})",
        fix=fix,
        status=exc.status,
        code=exc.code,
    )
