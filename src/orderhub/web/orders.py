"""Orders: the searchable, filtered list (keyset pages) and one order's page with its
lines, how each line matched, its history, shipments and pushes."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from orderhub.matching import describe_scope, explain
from orderhub.sdk.drafts import OrderStatus
from orderhub.shipping.carriers import carrier_display
from orderhub.shipping.record import PUSHES, SHIPMENT_LINES, SHIPMENTS
from orderhub.store import queries
from orderhub.store.ingest import CURSORS
from orderhub.web.context import console
from orderhub.web.order_search import (
    BadCursor,
    OrderFilter,
    decode_cursor,
    facets,
    search_orders,
)
from orderhub.web.rendering import clean_text, is_htmx

STATUSES = [status.value for status in OrderStatus]


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def read_filter(request: Request) -> tuple[OrderFilter, list[str]]:
    params = request.query_params
    problems: list[str] = []
    status = clean_text(params.get("status"), 32) or None
    if status and status not in STATUSES:
        problems.append(f"unknown status {status!r}; showing every status.")
        status = None
    placed_from, placed_to = _date(params.get("from")), _date(params.get("to"))
    for key, parsed in (("from", placed_from), ("to", placed_to)):
        if params.get(key) and parsed is None:
            problems.append(f"{params.get(key)!r} is not a date (write 2026-11-01); ignored.")
    return (
        OrderFilter(
            query=clean_text(params.get("q"), 128),
            account=clean_text(params.get("account"), 64) or None,
            channel=clean_text(params.get("channel"), 32) or None,
            status=status,
            awaiting=params.get("awaiting") == "1",
            placed_from=placed_from,
            placed_to=placed_to,
        ),
        problems,
    )


def _query_string(filters: OrderFilter, after: str | None = None) -> str:
    values = {
        "q": filters.query,
        "account": filters.account or "",
        "channel": filters.channel or "",
        "status": filters.status or "",
        "awaiting": "1" if filters.awaiting else "",
        "from": filters.placed_from.isoformat() if filters.placed_from else "",
        "to": filters.placed_to.isoformat() if filters.placed_to else "",
        "after": after or "",
    }
    return urlencode({key: value for key, value in values.items() if value})


def orders_page(request: Request) -> Response:
    state = console(request)
    filters, problems = read_filter(request)
    after = None
    cursor = request.query_params.get("after")
    if cursor:
        try:
            after = decode_cursor(cursor)
        except BadCursor:
            problems.append("that page link is not valid; showing the first page.")
    configured = {account.id: account.connector for account in state.config.accounts}
    with state.engine.connect() as connection:
        rows, next_cursor = search_orders(connection, filters, after=after)
        synced = list(connection.execute(select(CURSORS.c.account_id)).scalars())
        options = facets(configured, synced, state.connectors)
    context: dict[str, Any] = {
        "active": "orders",
        "rows": rows,
        "filters": filters,
        "problems": problems,
        "statuses": STATUSES,
        "options": options,
        "next_link": f"/orders?{_query_string(filters, next_cursor)}" if next_cursor else None,
        "first_link": f"/orders?{_query_string(filters)}" if after else None,
    }
    template = "orders_results.html" if is_htmx(request) else "orders.html"
    return state.renderer.page(request, template, **context)


def order_shipments(connection: Connection, order_id: int) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(
            SHIPMENTS,
            PUSHES.c.id.label("push_id"),
            PUSHES.c.status.label("push_status"),
            PUSHES.c.attempts,
            PUSHES.c.last_error,
            PUSHES.c.fix,
            PUSHES.c.channel_reference,
            PUSHES.c.not_reflected_at,
            PUSHES.c.verified_at,
        )
        .outerjoin(PUSHES, PUSHES.c.shipment_id == SHIPMENTS.c.id)
        .where(SHIPMENTS.c.order_id == order_id)
        .order_by(SHIPMENTS.c.id)
    ).all()
    lines: dict[int, list[tuple[str, int]]] = {}
    if rows:
        for line in connection.execute(
            select(
                SHIPMENT_LINES.c.shipment_id,
                SHIPMENT_LINES.c.line_external_id,
                SHIPMENT_LINES.c.quantity,
            )
            .where(SHIPMENT_LINES.c.shipment_id.in_([row.id for row in rows]))
            .order_by(SHIPMENT_LINES.c.id)
        ):
            lines.setdefault(line.shipment_id, []).append((line.line_external_id, line.quantity))
    return [
        {
            "row": row,
            "carrier": carrier_display(row.carrier, row.carrier_name),
            "lines": lines.get(row.id, []),
        }
        for row in rows
    ]


def order_page(request: Request) -> Response:
    state = console(request)
    order_id = request.path_params["order_id"]
    with state.engine.connect() as connection:
        detail = queries.order_detail(connection, order_id)
        if detail is None:
            raise HTTPException(404, f"There is no order {order_id}.")
        explanation = explain(connection, order_id)
        shipments = order_shipments(connection, order_id)
    order = detail.order
    place = ""
    if order.ship_to:
        # Only the city and country: the console shows no buyer name, street or e-mail.
        place = ", ".join(
            str(order.ship_to[key]) for key in ("city", "country") if order.ship_to.get(key)
        )
    shipped = {line.external_id: line.quantity_shipped for line in detail.lines}
    return state.renderer.page(
        request,
        "order.html",
        active="orders",
        order=order,
        place=place,
        lines=explanation.lines if explanation else (),
        shipped=shipped,
        events=detail.events,
        shipments=shipments,
        describe_scope=describe_scope,
    )


def routes() -> list[Route]:
    return [
        Route("/orders", orders_page),
        Route("/orders/{order_id:int}", order_page),
    ]
