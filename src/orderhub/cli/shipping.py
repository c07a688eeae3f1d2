"""``orderhub ship``, ``orderhub shipments ...`` and ``orderhub pushes ...``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from orderhub.cli.common import (
    console,
    docstring_text,
    errors,
    fail,
    parse_when,
    state,
    user_errors,
)
from orderhub.cli.output import Format, FormatOption, Listing
from orderhub.shipping.carriers import CARRIERS, carrier_display
from orderhub.shipping.inbox import import_file
from orderhub.shipping.record import PUSHES, SHIPMENTS, record_shipments
from orderhub.shipping.requests import ShipmentError, ShipmentRequest
from orderhub.shipping.retry import RetryRefused, retry_pushes
from orderhub.store.ingest import ORDERS

shipments_app = typer.Typer(help="Shipments recorded for orders.", no_args_is_help=True)
pushes_app = typer.Typer(
    help="The outbox of tracking pushes to the channels.", no_args_is_help=True
)

_CARRIER_HELP = "Carrier: " + ", ".join(c.name for c in CARRIERS) + " (aliases accepted)."


def register(app: typer.Typer) -> None:
    app.command("ship")(ship)
    app.add_typer(shipments_app, name="shipments")
    app.add_typer(pushes_app, name="pushes")


def _report(exc: ShipmentError) -> None:
    errors.print("[bold red]Nothing was recorded:[/]", highlight=False)
    for problem in exc.problems:
        errors.print(f"  - {problem}", highlight=False, markup=False)


def _parse_line(text: str) -> tuple[str, int | None]:
    other = re.fullmatch(r"(.+?)\s*[:*]\s*(\d+)", text.strip())
    if "=" not in text and other:
        # "TEE:1", "TEE*2": a quantity in another notation would be read as a SKU.
        sku, number = other.groups()
        fail(
            f"--line {text!r} has no '=': it would be read as the SKU {text!r}.",
            f"Write --line SKU=QTY, e.g. --line {sku}={number} (or --line {text}=QTY if "
            "that is really the SKU).",
            code=2,
        )
    sku, sep, quantity = text.partition("=")
    if not sku.strip():
        fail(
            f"--line {text!r} names no SKU.",
            "Write --line SKU=QTY, e.g. --line BLUE-TEE-M=2.",
            code=2,
        )
    if not sep:
        return sku.strip(), None
    try:
        return sku.strip(), int(quantity)
    except ValueError:
        fail(
            f"--line {text!r}: {quantity!r} is not a whole number.",
            "Write --line SKU=QTY, e.g. --line BLUE-TEE-M=2.",
            code=2,
        )


#: How far ahead of this machine's clock a shipping time may be (clock skew).
_SKEW = timedelta(minutes=10)


def _not_in_future(moment: datetime) -> datetime:
    now = datetime.now(UTC)
    if moment > now + _SKEW:
        fail(
            f"--shipped-at {moment:%Y-%m-%d %H:%M} UTC is in the future.",
            "Give the time the parcel left (or leave --shipped-at out for now); a date in "
            "the future would tell the buyer it has not shipped yet.",
            code=2,
        )
    return moment


def ship(
    ctx: typer.Context,
    order: Annotated[str, typer.Argument(help="orderhub id, channel order id or order number.")],
    carrier: Annotated[str, typer.Option(help=_CARRIER_HELP)],
    tracking: Annotated[str, typer.Option(help="The tracking number.")],
    line: Annotated[
        list[str] | None,
        typer.Option("--line", help="SKU=QTY (or a line id); repeat per line. Default: all."),
    ] = None,
    carrier_name: Annotated[
        str | None, typer.Option(help="The carrier's name, when --carrier is Other.")
    ] = None,
    shipped_at: Annotated[
        str | None, typer.Option(help="When it shipped (ISO 8601). Default: now.")
    ] = None,
    account: Annotated[str | None, typer.Option(help="Account, when the id is ambiguous.")] = None,
) -> None:
    """Record a shipment; its tracking goes to the channel with the next push."""
    st = state(ctx)
    with user_errors(st):
        request = ShipmentRequest(
            order=order,
            account=account,
            carrier=carrier,
            carrier_name=carrier_name,
            tracking=tracking,
            lines=tuple(_parse_line(item) for item in line) if line else None,
            shipped_at=_not_in_future(parse_when(shipped_at)) if shipped_at else None,
        )
        try:
            with st.engine(migrate=True).begin() as connection:
                recorded = record_shipments(
                    connection, [request], source="cli", now=datetime.now(UTC)
                )
        except ShipmentError as exc:
            _report(exc)
            raise typer.Exit(2) from None
        shipment = recorded[0]
        if shipment.already_recorded:
            covered = ", ".join(f"{qty} × line {line_id}" for line_id, qty in shipment.lines)
            console.print(
                f"Order {shipment.order_ref} ({shipment.account_id}) already has shipment "
                f"{shipment.shipment_id} with tracking {shipment.tracking_number}"
                f"{f' ({covered})' if covered else ''}; nothing new recorded.",
                highlight=False,
            )
            if shipment.unshipped:
                left = ", ".join(
                    f"{qty} × {sku or 'line ' + line_id}"
                    for line_id, sku, qty in shipment.unshipped
                )
                errors.print(
                    f"Still unshipped: {left}. A parcel's tracking number ships only what it "
                    "was recorded with: record the rest with its own tracking number, e.g. "
                    f"`orderhub ship {shipment.order_ref} --carrier ... --tracking NEW` "
                    "(a tracking number once used for this order cannot cover more lines).",
                    highlight=False,
                    markup=False,
                )
            return
        lines = ", ".join(f"{quantity} × line {line_id}" for line_id, quantity in shipment.lines)
        console.print(
            f"Recorded shipment {shipment.shipment_id} for order {shipment.order_ref} "
            f"({shipment.account_id}): {shipment.carrier} {shipment.tracking_number}, {lines}. "
            f"Push {shipment.push_id} is queued; `orderhub pushes list` shows its progress.",
            highlight=False,
        )


@shipments_app.command("import")
def shipments_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A CSV file (see `orderhub shipments columns`).")],
) -> None:
    """Record every shipment in a CSV file, or none of them if any row is wrong."""
    st = state(ctx)
    with user_errors(st):
        if not file.is_file():
            fail(f"{file} is not a file.", "Check the path.", code=2)
        engine = st.engine(migrate=True)
        result = import_file(engine, file, source=f"csv:{file.name}", now=datetime.now(UTC))
        if not result.ok:
            _report(ShipmentError(result.problems))
            raise typer.Exit(2)
        console.print(
            f"{file.name}: recorded {result.shipments} shipments; their pushes are queued.",
            highlight=False,
        )


@shipments_app.command("cancel")
def shipments_cancel(
    ctx: typer.Context,
    shipment_id: Annotated[int, typer.Argument(help="The shipment's id (`shipments list`).")],
) -> None:
    """Withdraw a shipment recorded by mistake, while its tracking has not reached the
    channel (push pending, retrying, failed, conflicting or skipped)."""
    st = state(ctx)
    with user_errors(st), st.engine().begin() as connection:
        row = connection.execute(
            select(SHIPMENTS.c.id, SHIPMENTS.c.tracking_number, PUSHES.c.status)
            .outerjoin(PUSHES, PUSHES.c.shipment_id == SHIPMENTS.c.id)
            .where(SHIPMENTS.c.id == shipment_id)
            .with_for_update(of=SHIPMENTS)
        ).one_or_none()
        if row is None:
            fail(f"no shipment {shipment_id}.", "See `orderhub shipments list`.", code=2)
        if row.status in ("sent", "confirmed", "already_applied"):
            where = "is being sent to" if row.status == "sent" else "has reached"
            fail(
                f"shipment {shipment_id} ({row.tracking_number}) {where} the channel.",
                "Correct or cancel it in the channel's seller portal; orderhub keeps its "
                "record of what the channel was told.",
                code=2,
            )
        connection.execute(SHIPMENTS.delete().where(SHIPMENTS.c.id == shipment_id))
    console.print(
        f"Shipment {shipment_id} ({row.tracking_number}) withdrawn; nothing was sent to the "
        "channel. Its units can be shipped again.",
        highlight=False,
    )


@shipments_app.command("columns")
def shipments_columns() -> None:
    """Describe the CSV columns ``shipments import`` and the drop folder read."""
    from orderhub.shipping import csvfile

    console.print(docstring_text(csvfile.__doc__ or ""), highlight=False, markup=False)


@shipments_app.command("list")
def shipments_list(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many shipments.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """Recorded shipments, newest first, with the state of their push."""
    st = state(ctx)
    with user_errors(st), st.engine().connect() as connection:
        query = (
            select(SHIPMENTS, ORDERS.c.external_id, ORDERS.c.display_id, PUSHES.c.status)
            .join(ORDERS, ORDERS.c.id == SHIPMENTS.c.order_id)
            .outerjoin(PUSHES, PUSHES.c.shipment_id == SHIPMENTS.c.id)
            .order_by(SHIPMENTS.c.id.desc())
            .limit(limit)
        )
        if account:
            query = query.where(SHIPMENTS.c.account_id == account)
        rows = connection.execute(query).all()
        if not rows and fmt is Format.table:
            console.print("No shipments recorded. Record one with `orderhub ship`.")
            return
        listing = Listing(
            "Shipments",
            (
                "id",
                "account",
                "order",
                "carrier",
                "tracking",
                "shipped (UTC)",
                "source",
                "push",
            ),
            keys=("id", "order", "tracking"),
        )
        for row in rows:
            listing.add(
                str(row.id),
                row.account_id,
                row.display_id or row.external_id,
                carrier_display(row.carrier, row.carrier_name),
                row.tracking_number,
                row.shipped_at.strftime("%Y-%m-%d %H:%M"),
                row.source,
                row.status or "-",
            )
        listing.emit(fmt, console)


@pushes_app.command("list")
def pushes_list(
    ctx: typer.Context,
    failed: Annotated[
        bool, typer.Option("--failed", help="Only failed, conflicting and not-reflected ones.")
    ] = False,
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many pushes.")] = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """Tracking pushes and where each stands."""
    st = state(ctx)
    with user_errors(st), st.engine().connect() as connection:
        query = (
            select(
                PUSHES,
                SHIPMENTS.c.tracking_number,
                SHIPMENTS.c.carrier,
                ORDERS.c.external_id,
                ORDERS.c.display_id,
            )
            .join(SHIPMENTS, SHIPMENTS.c.id == PUSHES.c.shipment_id)
            .join(ORDERS, ORDERS.c.id == PUSHES.c.order_id)
            .order_by(PUSHES.c.id.desc())
            .limit(limit)
        )
        if account:
            query = query.where(PUSHES.c.account_id == account)
        if failed:
            query = query.where(
                PUSHES.c.status.in_(("failed", "conflict")) | PUSHES.c.not_reflected_at.isnot(None)
            )
        rows = connection.execute(query).all()
        if not rows and fmt is Format.table:
            console.print("No pushes." if not failed else "No failed pushes.")
            return
        listing = Listing(
            "Tracking pushes",
            (
                "id",
                "account",
                "channel",
                "order",
                "tracking",
                "status",
                "tries",
                "next try (UTC)",
                "channel ref",
                "problem / fix",
            ),
            keys=("id", "order", "tracking", "status"),
        )
        for row in rows:
            status = row.status
            if row.not_reflected_at is not None:
                status += " (not reflected)"
            elif row.verified_at is not None:
                status += " (verified)"
            problem = ""
            if row.last_error:
                problem = f"{row.last_error} Fix: {row.fix}" if row.fix else row.last_error
            elif row.not_reflected_at is not None:
                problem = (
                    "the channel accepted it but still shows the order unshipped; "
                    "check it in the seller portal"
                )
            listing.add(
                str(row.id),
                row.account_id,
                row.channel,
                row.display_id or row.external_id,
                f"{carrier_display(row.carrier)} {row.tracking_number}",
                status,
                str(row.attempts),
                row.next_attempt_at.strftime("%Y-%m-%d %H:%M")
                if row.status in ("pending", "retrying")
                else "-",
                row.channel_reference or "-",
                problem,
            )
        listing.emit(fmt, console)


@pushes_app.command("retry")
def pushes_retry(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(help="Push ids to retry.")] = None,
    all_failed: Annotated[
        bool, typer.Option("--all-failed", help="Retry every failed or conflicting push.")
    ] = False,
) -> None:
    """Queue pushes again (after fixing what made them fail); the worker sends them next."""
    st = state(ctx)
    with user_errors(st):
        if not ids and not all_failed:
            fail("nothing to retry.", "Give push ids, or --all-failed.", code=2)
        try:
            with st.engine().begin() as connection:
                queued = retry_pushes(connection, ids or None, now=datetime.now(UTC))
        except RetryRefused as exc:
            fail(exc.message, exc.fix, code=2)
        console.print(f"{queued} pushes queued again.")
