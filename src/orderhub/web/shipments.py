"""Shipments: record one (carrier picker, the order's lines for a partial shipment) and
upload a CSV file. Recording goes through :func:`orderhub.shipping.record.record_shipments`
and uploads through :func:`orderhub.shipping.inbox.import_bytes`, the functions behind
``orderhub ship`` and ``orderhub shipments import``: the same checks, the same
all-or-nothing report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from orderhub.shipping import csvfile
from orderhub.shipping.carriers import (
    CARRIERS,
    TrackingNumberError,
    UnknownCarrierError,
    carrier_display,
    check_tracking,
    resolve_carrier,
)
from orderhub.shipping.inbox import import_bytes
from orderhub.shipping.record import (
    PUSHES,
    SHIPMENT_LINES,
    SHIPMENTS,
    find_order,
    record_shipments,
)
from orderhub.shipping.requests import ShipmentError, ShipmentProblem, ShipmentRequest
from orderhub.store.ingest import LINES, ORDERS
from orderhub.web.context import console
from orderhub.web.rendering import clean_text, flash, see_other

SOURCE = "web"


def _text(form: FormData, key: str, limit: int = 200) -> str:
    return clean_text(form.get(key), limit)


def recent_shipments(request: Request, limit: int = 25) -> list[Any]:
    state = console(request)
    with state.engine.connect() as connection:
        return list(
            connection.execute(
                select(
                    SHIPMENTS,
                    ORDERS.c.external_id,
                    ORDERS.c.display_id,
                    PUSHES.c.status.label("push_status"),
                )
                .join(ORDERS, ORDERS.c.id == SHIPMENTS.c.order_id)
                .outerjoin(PUSHES, PUSHES.c.shipment_id == SHIPMENTS.c.id)
                .order_by(SHIPMENTS.c.id.desc())
                .limit(limit)
            )
        )


def _page(
    request: Request,
    *,
    status_code: int = 200,
    problems: list[ShipmentProblem] | None = None,
    form: dict[str, Any] | None = None,
    report: dict[str, Any] | None = None,
) -> Response:
    state = console(request)
    return state.renderer.page(
        request,
        "shipments.html",
        status_code=status_code,
        active="shipments",
        carriers=CARRIERS,
        problems=problems or [],
        form=form or {},
        report=report,
        recent=recent_shipments(request),
        carrier_display=carrier_display,
        columns=csvfile.COLUMNS,
        required=csvfile.REQUIRED,
    )


def shipments_page(request: Request) -> Response:
    form = {"order": clean_text(request.query_params.get("order"), 128)}
    return _page(request, form=form)


def order_lines(request: Request) -> Response:
    """The order's lines with what is left to ship, as quantity fields (htmx fragment)."""
    state = console(request)
    ref = clean_text(request.query_params.get("order"), 128)
    account = clean_text(request.query_params.get("account"), 64) or None
    context: dict[str, Any] = {"order": None, "why": None, "lines": []}
    if ref:
        with state.engine.connect() as connection:
            order, why = find_order(connection, ref, account)
            context["why"] = why
            if order is not None:
                shipped: dict[str, int] = {}
                for line_id, quantity in connection.execute(
                    select(SHIPMENT_LINES.c.line_external_id, func.sum(SHIPMENT_LINES.c.quantity))
                    .join(SHIPMENTS, SHIPMENTS.c.id == SHIPMENT_LINES.c.shipment_id)
                    .where(SHIPMENTS.c.order_id == order.id)
                    .group_by(SHIPMENT_LINES.c.line_external_id)
                ):
                    shipped[line_id] = int(quantity)
                context["order"] = order
                context["lines"] = [
                    {
                        "line": line,
                        "shipped": shipped.get(line.external_id, 0),
                        "left": max(0, line.quantity - shipped.get(line.external_id, 0)),
                    }
                    for line in connection.execute(
                        select(LINES).where(LINES.c.order_id == order.id).order_by(LINES.c.position)
                    )
                ]
    return state.renderer.page(request, "shipment_lines.html", **context)


def tracking_check(request: Request) -> Response:
    """The CLI's check of a tracking number for a carrier, as the user types (fragment)."""
    state = console(request)
    carrier_name = clean_text(request.query_params.get("carrier"), 64)
    tracking = clean_text(request.query_params.get("tracking"), 64)
    message, ok = "", False
    if carrier_name and tracking:
        try:
            value = check_tracking(resolve_carrier(carrier_name), tracking)
            message, ok = f"{value} looks right for this carrier.", True
        except (UnknownCarrierError, TrackingNumberError) as exc:
            message = str(exc).split(" Known carriers")[0]
    return state.renderer.page(request, "tracking_check.html", message=message, ok=ok)


def shipment_request(form: FormData) -> ShipmentRequest:
    """The shipment a form describes. Line fields (``line`` and ``qty`` pairs) make it a
    partial shipment of the units given; without them the whole order ships."""
    line_ids = [clean_text(value, 128) for value in form.getlist("line")]
    quantities = [clean_text(value, 12) for value in form.getlist("qty")]
    lines: tuple[tuple[str, int | None], ...] | None = None
    problems: list[ShipmentProblem] = []
    if line_ids:
        chosen: list[tuple[str, int | None]] = []
        for line_id, given in zip(line_ids, quantities, strict=False):
            text = given.strip()
            if not text or text == "0":
                continue
            if not text.isdecimal():
                problems.append(
                    ShipmentProblem(
                        f"line {line_id}", f"{text!r} is not a whole number.", "Give units."
                    )
                )
                continue
            chosen.append((line_id, int(text)))
        if not chosen and not problems:
            problems.append(
                ShipmentProblem(
                    "", "no units chosen.", "Give the units in this parcel for at least one line."
                )
            )
        lines = tuple(chosen)
    shipped_at = None
    when = _text(form, "shipped_at", 40)
    if when:
        try:
            parsed = datetime.fromisoformat(when)
            shipped_at = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
        except ValueError:
            problems.append(
                ShipmentProblem("", f"{when!r} is not a date and time.", "Write 2026-11-01 14:30.")
            )
    if problems:
        raise ShipmentError(problems)
    return ShipmentRequest(
        order=_text(form, "order", 128),
        account=_text(form, "account", 64) or None,
        carrier=_text(form, "carrier", 64),
        carrier_name=_text(form, "carrier_name", 128) or None,
        tracking=_text(form, "tracking", 64),
        lines=lines,
        shipped_at=shipped_at,
    )


def _record(request: Request, form: FormData) -> tuple[Any, list[ShipmentProblem]]:
    state = console(request)
    try:
        shipment = shipment_request(form)
        if not shipment.order:
            raise ShipmentError(
                [ShipmentProblem("", "no order given.", "Type the order number or its id.")]
            )
        with state.engine.begin() as connection:
            recorded = record_shipments(connection, [shipment], source=SOURCE, now=state.now())
    except ShipmentError as exc:
        return None, exc.problems
    return recorded[0], []


async def record(request: Request) -> Response:
    form = await request.form()
    shipment, problems = await run_in_threadpool(_record, request, form)
    if problems:
        values = {key: value for key, value in form.items() if isinstance(value, str)}
        return await run_in_threadpool(
            _page, request, status_code=422, problems=problems, form=values
        )
    if shipment.already_recorded:
        flash(
            request,
            "ok",
            f"Order {shipment.order_ref} already has a shipment with tracking "
            f"{shipment.tracking_number}; nothing new recorded.",
        )
    else:
        units = ", ".join(f"{quantity} × line {line_id}" for line_id, quantity in shipment.lines)
        flash(
            request,
            "ok",
            f"Recorded shipment {shipment.shipment_id} for order {shipment.order_ref}: "
            f"{shipment.carrier} {shipment.tracking_number}, {units}. Its tracking push is "
            "queued.",
        )
    return see_other("/shipments")


async def upload(request: Request) -> Response:
    state = console(request)
    form = await request.form()
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            report: dict[str, Any] = {
                "name": None,
                "ok": False,
                "shipments": 0,
                "problems": [
                    ShipmentProblem("file", "no file was chosen.", "Choose a CSV file to upload.")
                ],
            }
            return await run_in_threadpool(_page, request, status_code=422, report=report)
        name = PurePath(file.filename.replace("\\", "/")).name[:100] or "upload.csv"
        data = await file.read()
    finally:
        await form.close()
    result = await run_in_threadpool(
        import_bytes,
        state.engine,
        data,
        path=Path(name),
        source=f"{SOURCE}:{name}",
        now=state.now(),
    )
    report = {
        "name": name,
        "ok": result.ok,
        "shipments": result.shipments,
        "problems": result.problems,
    }
    page = await run_in_threadpool(
        _page, request, status_code=200 if result.ok else 422, report=report
    )
    return page


def routes() -> list[Route]:
    return [
        Route("/shipments", shipments_page),
        Route("/shipments/lines", order_lines),
        Route("/shipments/check-tracking", tracking_check),
        Route("/shipments/record", record, methods=["POST"]),
        Route("/shipments/upload", upload, methods=["POST"]),
    ]
