"""Failures: quarantined records, failed runs and tracking pushes that need a person, each
with the reason and the fix; a record's raw payload on demand; retry a push (the path of
``orderhub pushes retry``); mark a record dealt with (that of ``failures --dealt-with``)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from orderhub.shipping.carriers import carrier_display
from orderhub.shipping.record import PUSHES, SHIPMENTS
from orderhub.shipping.retry import RetryRefused, retry_pushes
from orderhub.store import queries
from orderhub.store.ingest import ORDERS
from orderhub.store.quarantine import QuarantineActionError, mark_dealt_with
from orderhub.web.context import console
from orderhub.web.rendering import flash, is_htmx, see_other

QUARANTINE_FIX = (
    "The raw payload is kept. Fix the order on the channel, or report the connector bug with "
    "that payload; the next sync stores the order and closes the record. The other orders of "
    "the batch were stored."
)


def failed_pushes(connection: Connection, limit: int = 200) -> list[Any]:
    return list(
        connection.execute(
            select(
                PUSHES,
                SHIPMENTS.c.tracking_number,
                SHIPMENTS.c.carrier,
                SHIPMENTS.c.carrier_name,
                ORDERS.c.external_id,
                ORDERS.c.display_id,
            )
            .join(SHIPMENTS, SHIPMENTS.c.id == PUSHES.c.shipment_id)
            .join(ORDERS, ORDERS.c.id == PUSHES.c.order_id)
            .where(
                PUSHES.c.status.in_(("failed", "conflict"))
                | (PUSHES.c.not_reflected_at.isnot(None) & PUSHES.c.verified_at.is_(None))
            )
            .order_by(PUSHES.c.id.desc())
            .limit(limit)
        )
    )


def failures_page(request: Request) -> Response:
    state = console(request)
    with state.engine.connect() as connection:
        records = queries.quarantined(connection)
        runs = queries.failed_runs(connection)
        pushes = failed_pushes(connection)
    return state.renderer.page(
        request,
        "failures.html",
        active="failures",
        records=records,
        runs=runs,
        pushes=pushes,
        quarantine_fix=QUARANTINE_FIX,
        carrier_display=carrier_display,
    )


def raw_payload(request: Request) -> Response:
    state = console(request)
    record_id = request.path_params["record_id"]
    with state.engine.connect() as connection:
        record = queries.quarantined_record(connection, record_id)
    if record is None:
        raise HTTPException(404, f"There is no quarantined record {record_id}.")
    try:
        text = json.dumps(json.loads(record.raw), indent=2, ensure_ascii=False)
    except ValueError:
        text = record.raw
    template = "raw_fragment.html" if is_htmx(request) else "raw_page.html"
    return state.renderer.page(request, template, active="failures", record=record, text=text)


def dealt_with(request: Request) -> Response:
    state = console(request)
    record_id = request.path_params["record_id"]
    try:
        with state.engine.begin() as connection:
            changed = mark_dealt_with(connection, record_id, actor="web", now=state.now())
    except QuarantineActionError as exc:
        flash(request, "error", f"{exc.message} {exc.fix}")
        return see_other("/failures")
    flash(
        request,
        "ok",
        f"Quarantined record {record_id} marked as dealt with; its payload is kept."
        if changed
        else f"Quarantined record {record_id} was already closed.",
    )
    return see_other("/failures")


def retry(request: Request) -> Response:
    state = console(request)
    push_id = request.path_params.get("push_id")
    try:
        with state.engine.begin() as connection:
            queued = retry_pushes(
                connection, [push_id] if push_id is not None else None, now=state.now()
            )
    except RetryRefused as exc:
        flash(request, "error", f"{exc.message} {exc.fix}")
        return see_other("/failures")
    flash(
        request,
        "ok",
        f"Push {push_id} queued again; the worker sends it next."
        if push_id is not None
        else f"{queued} push(es) queued again; the worker sends them next.",
    )
    return see_other("/failures")


def routes() -> list[Route]:
    return [
        Route("/failures", failures_page),
        Route("/failures/quarantine/{record_id:int}/raw", raw_payload),
        Route("/failures/quarantine/{record_id:int}/dealt-with", dealt_with, methods=["POST"]),
        Route("/failures/pushes/{push_id:int}/retry", retry, methods=["POST"]),
        Route("/failures/pushes/retry-all", retry, methods=["POST"]),
    ]
