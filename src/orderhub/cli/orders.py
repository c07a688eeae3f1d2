"""``orderhub orders list|show``."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Connection, select

from orderhub.cli.common import console, fail, state, user_errors
from orderhub.cli.output import Format, FormatOption, Listing
from orderhub.sdk.drafts import OrderStatus
from orderhub.shipping.carriers import carrier_display
from orderhub.shipping.record import PUSHES, SHIPMENT_LINES, SHIPMENTS
from orderhub.store import queries

app = typer.Typer(help="Look at stored orders.", no_args_is_help=True)


@app.command("list")
def list_orders(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    status: Annotated[
        str | None,
        typer.Option(help=f"Only this status ({', '.join(s.value for s in OrderStatus)})."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many orders.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """List orders, most recently changed first."""
    st = state(ctx)
    with user_errors(st):
        if status is not None and status not in {s.value for s in OrderStatus}:
            fail(
                f"unknown status {status!r}.",
                f"Use one of: {', '.join(s.value for s in OrderStatus)}.",
                code=2,
            )
        with st.engine().connect() as connection:
            rows = queries.list_orders(connection, account=account, status=status, limit=limit)
        if not rows and fmt is Format.table:
            if account is not None or status is not None:
                console.print("No stored order matches these filters.")
            else:
                console.print(
                    "No orders stored yet. Run `orderhub demo` or `orderhub sync ACCOUNT`."
                )
            return
        listing = Listing(
            f"Orders ({len(rows)} shown)",
            (
                "id",
                "account",
                "channel",
                "order",
                "status",
                "channel status",
                "total",
                "lines",
                "placed",
                "updated",
            ),
            keys=("id", "order"),
        )
        for row in rows:
            listing.add(
                str(row.id),
                row.account_id,
                row.channel,
                row.display_id or row.external_id,
                row.status,
                row.channel_status,
                f"{row.total:.2f} {row.currency}",
                str(row.line_count),
                row.placed_at.strftime("%Y-%m-%d %H:%M"),
                row.channel_updated_at.strftime("%Y-%m-%d %H:%M"),
            )
        listing.emit(fmt, console)


@app.command("show")
def show_order(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="orderhub id, channel order id or order number.")],
    account: Annotated[str | None, typer.Option(help="Account, when the id is ambiguous.")] = None,
    raw: Annotated[bool, typer.Option("--raw", help="Print the channel's raw payload.")] = False,
) -> None:
    """Show one order with its lines and its history of changes."""
    st = state(ctx)
    with user_errors(st), st.engine().connect() as connection:
        matches = queries.find_orders(connection, ref, account)
        if not matches:
            fail(f"no order {ref!r}.", "List orders with `orderhub orders list`.")
        if len(matches) > 1:
            accounts = ", ".join(f"{m.account_id} (id {m.id})" for m in matches)
            fail(f"{ref!r} matches several orders: {accounts}.", "Add --account or use the id.")
        detail = queries.order_detail(connection, matches[0].id)
        assert detail is not None
        order = detail.order
        if raw:
            console.print_json(order.raw)
            return
        # Ids, statuses, titles and places come from the channel: print them as text.
        console.print(
            f"[bold]Order {escape(order.display_id or order.external_id)}[/] "
            f"(orderhub id {order.id}, {order.channel} account {order.account_id})"
        )
        console.print(f"  status: {order.status} (channel: {escape(order.channel_status)})")
        console.print(f"  total: {order.total:.2f} {order.currency}")
        console.print(
            f"  placed: {order.placed_at.isoformat()}  updated: "
            f"{order.channel_updated_at.isoformat()}"
        )
        if order.fulfilled_by_channel:
            console.print("  fulfilled by the marketplace: tracking is never pushed")
        if order.ship_to:
            place = ", ".join(
                str(order.ship_to[key]) for key in ("city", "country") if order.ship_to.get(key)
            )
            console.print(f"  ship to: {escape(place or '-')}")
        lines = Table(title="Lines")
        for column in ("#", "line id", "sku", "title", "qty", "shipped", "unit", "total", "ids"):
            lines.add_column(column)
        for line in detail.lines:
            lines.add_row(
                str(line.position),
                escape(line.external_id),
                escape(line.sku or "-"),
                escape((line.title or "")[:40]),
                str(line.quantity),
                str(line.quantity_shipped),
                f"{line.unit_price:.2f}" if line.unit_price is not None else "-",
                f"{line.total:.2f}" if line.total is not None else "-",
                json.dumps(line.identifiers) if line.identifiers else "-",
            )
        console.print(lines)
        events = Table(title="History")
        for column in ("when (channel)", "recorded", "change", "status"):
            events.add_column(column)
        for event in detail.events:
            change = (
                event.kind
                if event.from_status is None
                else (f"{event.kind} from {event.from_status}")
            )
            events.add_row(
                event.occurred_at.isoformat(),
                event.recorded_at.isoformat(),
                change,
                f"{event.to_status} ({escape(event.channel_status)})",
            )
        console.print(events)
        _print_shipments(connection, order.id)


def _print_shipments(connection: Connection, order_id: int) -> None:
    rows = connection.execute(
        select(SHIPMENTS, PUSHES.c.status.label("push_status"), PUSHES.c.id.label("push_id"))
        .outerjoin(PUSHES, PUSHES.c.shipment_id == SHIPMENTS.c.id)
        .where(SHIPMENTS.c.order_id == order_id)
        .order_by(SHIPMENTS.c.id)
    ).all()
    if not rows:
        return
    lines = {
        shipment_id: ", ".join(f"{quantity} × line {line}" for _, line, quantity in group)
        for shipment_id, group in _group_lines(connection, [row.id for row in rows]).items()
    }
    table = Table(title="Shipments")
    for column in ("id", "carrier", "tracking", "shipped (UTC)", "lines", "push"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.id),
            carrier_display(row.carrier, row.carrier_name),
            row.tracking_number,
            row.shipped_at.strftime("%Y-%m-%d %H:%M"),
            lines.get(row.id, "-"),
            f"{row.push_status} (push {row.push_id})" if row.push_id else "-",
        )
    console.print(table)


def _group_lines(
    connection: Connection, shipment_ids: list[int]
) -> dict[int, list[tuple[int, str, int]]]:
    grouped: dict[int, list[tuple[int, str, int]]] = {}
    for row in connection.execute(
        select(
            SHIPMENT_LINES.c.shipment_id,
            SHIPMENT_LINES.c.line_external_id,
            SHIPMENT_LINES.c.quantity,
        )
        .where(SHIPMENT_LINES.c.shipment_id.in_(shipment_ids))
        .order_by(SHIPMENT_LINES.c.id)
    ):
        grouped.setdefault(row.shipment_id, []).append(
            (row.shipment_id, row.line_external_id, row.quantity)
        )
    return grouped
