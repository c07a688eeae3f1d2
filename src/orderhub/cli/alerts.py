"""``orderhub alerts test|list``: the destinations work, and what was sent."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from orderhub.alerts.dispatch import send_test
from orderhub.alerts.engine import delivery_summary, recent_alerts
from orderhub.cli.common import console, fail, state, user_errors

app = typer.Typer(help="Alerts: test the destinations, list open and recent alerts.")


@app.command("test")
def test(ctx: typer.Context) -> None:
    """Send a test message to every destination in [alerts] and say what happened."""
    st = state(ctx)
    with user_errors(st):
        config = st.config(worker=True)
        destinations = config.alerts.destinations
        if not destinations:
            fail(
                "no alert destination is configured.",
                "Add an [[alerts.destinations]] section (see config/orderhub.example.toml).",
            )
        failed = 0
        for destination in destinations:
            reason = send_test(destination)
            if reason is None:
                console.print(
                    f"[green]sent[/]  {destination.name} ({destination.kind})", highlight=False
                )
            else:
                failed += 1
                console.print(
                    f"[red]failed[/] {destination.name} ({destination.kind}): {escape(reason)}",
                    highlight=False,
                )
        if failed:
            fail(
                f"{failed} of {len(destinations)} destinations did not take the test message.",
                "Check each failed destination's settings and that it is reachable from here.",
            )


@app.command("list")
def list_alerts(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="Resolved alerts to show.")] = 20,
) -> None:
    """Open alerts, then the most recently resolved, with what was delivered where."""
    st = state(ctx)
    with user_errors(st), st.engine().connect() as connection:
        rows = recent_alerts(connection, limit=limit)
        deliveries = delivery_summary(connection, [int(r.id) for r in rows])
    if not rows:
        console.print("No alerts yet: no account has had a problem.")
        return
    table = Table(title=f"Alerts ({sum(1 for r in rows if r.resolved_at is None)} open)")
    for column in (
        "id",
        "account",
        "problem",
        "severity",
        "opened",
        "resolved",
        "messages",
        "deliveries",
        "summary",
    ):
        table.add_column(column)
    for row in rows:
        sent: dict[str, int] = {}
        waiting = 0
        for delivery in deliveries.get(int(row.id), []):
            if delivery.status == "sent":
                sent[delivery.destination] = sent.get(delivery.destination, 0) + 1
            elif delivery.status in ("pending", "sending"):
                waiting += 1
        listed = ", ".join(f"{name} {n}" for name, n in sorted(sent.items())) or "-"
        if waiting:
            listed += f" ({waiting} waiting)"
        table.add_row(
            str(row.id),
            row.account_id,
            row.code,
            row.severity,
            row.opened_at.strftime("%Y-%m-%d %H:%M"),
            row.resolved_at.strftime("%Y-%m-%d %H:%M") if row.resolved_at else "open",
            str(row.notifications),
            escape(listed),
            escape(row.summary),
        )
    console.print(table)
