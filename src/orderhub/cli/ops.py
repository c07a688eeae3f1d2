"""``orderhub status`` and ``orderhub failures``: what ops look at first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from orderhub.cli.common import age, console, fail, human_duration, state, user_errors
from orderhub.config import AccountConfig
from orderhub.registry import ConnectorLoadError, load_connector
from orderhub.store import queries
from orderhub.store.quarantine import QuarantineActionError, mark_dealt_with


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("failures")(failures)


def status(ctx: typer.Context) -> None:
    """Per account: last run, last success, cursor lag, last error and what needs attention."""
    st = state(ctx)
    with user_errors(st):
        # Status reads the store only: an account missing its secret still shows.
        config = st.config(worker=True)
        with st.engine().connect() as connection:
            configured = {account.id: account for account in config.accounts}
            ids = sorted(set(configured) | set(queries.known_accounts(connection)))
            statuses = [queries.account_status(connection, account_id) for account_id in ids]
        if not statuses:
            console.print("No accounts configured and nothing stored yet.")
            return
        now = datetime.now(UTC)
        table = Table(title="Accounts")
        for column in (
            "account",
            "channel",
            "enabled",
            "last run",
            "last success",
            "cursor lag",
            "orders",
            "quarantined",
            "pushes waiting",
            "attention",
        ):
            table.add_column(column)
        attention: list[str] = []
        for item in statuses:
            account = configured.get(item.account_id)
            run = item.last_run
            last = f"{run.outcome} {age(run.started_at, now)}" if run else "never"
            lag = human_duration(now - item.cursor) if item.cursor else "-"
            flag = ""
            if item.needs_attention:
                flag = "[red]NEEDS ATTENTION[/]"
                attention.append(
                    f"[bold]{item.account_id}[/]: {escape(str(item.attention_reason))} "
                    f"[bold]Fix:[/] {escape(str(item.attention_fix))}"
                )
            elif run is not None and run.outcome == "failed":
                flag = "[yellow]last run failed[/]"
                attention.append(
                    f"[bold]{item.account_id}[/]: last run failed ({run.error_kind}): "
                    f"{escape(str(run.error))} [bold]Fix:[/] {escape(str(run.fix))}"
                )
            warning = _settings_warning(account, now) if account else None
            if warning:
                if not flag:
                    flag = "[yellow]warning[/]"
                attention.append(f"[bold]{item.account_id}[/]: {escape(warning)}")
            pushes = item.pushes
            waiting = sum(pushes.get(key, 0) for key in ("pending", "sent", "retrying"))
            stuck = {
                key: pushes[key]
                for key in ("failed", "conflict", "not_reflected")
                if pushes.get(key)
            }
            if stuck:
                if not flag:
                    flag = "[yellow]pushes need a look[/]"
                listed = ", ".join(f"{n} {key.replace('_', ' ')}" for key, n in stuck.items())
                attention.append(
                    f"[bold]{item.account_id}[/]: tracking pushes: {listed}. [bold]Fix:[/] see "
                    "`orderhub pushes list --failed`; after fixing the cause, "
                    "`orderhub pushes retry --all-failed`."
                )
            table.add_row(
                item.account_id,
                account.connector if account else (run.channel if run else "-"),
                ("yes" if account.enabled else "no") if account else "not configured",
                last,
                age(item.last_success_at, now),
                lag,
                str(item.orders),
                str(item.open_quarantine),
                str(waiting),
                flag,
            )
        console.print(table)
        for line in attention:
            console.print(line, highlight=False)


def failures(
    ctx: typer.Context,
    account: Annotated[str | None, typer.Option(help="Only this account.")] = None,
    show: Annotated[
        int | None,
        typer.Option("--show", help="Print one quarantined record's raw payload by its id."),
    ] = None,
    resolved: Annotated[
        bool,
        typer.Option(
            "--resolved", help="Include records that later read cleanly or were dealt with."
        ),
    ] = False,
    dealt_with: Annotated[
        int | None,
        typer.Option(
            "--dealt-with",
            help="Mark one quarantined record (by its id) as dealt with: no longer open.",
        ),
    ] = None,
) -> None:
    """Quarantined records and failed runs, each with the reason and what to do."""
    st = state(ctx)
    if dealt_with is not None:
        with user_errors(st):
            try:
                with st.engine().begin() as connection:
                    changed = mark_dealt_with(
                        connection, dealt_with, actor="cli", now=datetime.now(UTC)
                    )
            except QuarantineActionError as exc:
                fail(exc.message, exc.fix, code=2)
            console.print(
                f"Quarantined record {dealt_with} marked as dealt with; its payload is kept."
                if changed
                else f"Quarantined record {dealt_with} was already closed.",
                highlight=False,
            )
        return
    with user_errors(st), st.engine().connect() as connection:
        records = queries.quarantined(connection, account=account, include_resolved=resolved)
        if show is not None:
            match = [
                r for r in queries.quarantined(connection, include_resolved=True) if r.id == show
            ]
            if not match:
                fail(f"no quarantined record {show}.", "List them with `orderhub failures`.")
            console.print(f"[bold]Reason:[/] {escape(match[0].reason)}", highlight=False)
            console.print_json(match[0].raw)
            return
        runs = queries.failed_runs(connection, account=account)
        if not records and not runs:
            console.print("No failures. Every record read cleanly and the last runs succeeded.")
            return
        if records:
            table = Table(title=f"Quarantined records ({len(records)})")
            for column in (
                "id",
                "account",
                "channel",
                "order",
                "reason",
                "first seen",
                "last seen",
                "seen",
                "resolved",
            ):
                table.add_column(column)
            for record in records:
                table.add_row(
                    str(record.id),
                    record.account_id,
                    record.channel,
                    escape(record.external_id or "?"),
                    escape(record.reason),
                    record.first_seen_at.strftime("%Y-%m-%d %H:%M"),
                    record.last_seen_at.strftime("%Y-%m-%d %H:%M"),
                    str(record.seen_count),
                    record.resolved_at.strftime("%Y-%m-%d %H:%M") if record.resolved_at else "-",
                )
            console.print(table)
            console.print(
                "What to do: the raw payload is kept (`orderhub failures --show ID`). Fix the "
                "order on the channel, or report the connector bug with that payload; the next "
                "sync stores the order and marks the record resolved. Other orders were stored.",
                highlight=False,
            )
        if runs:
            table = Table(title=f"Failed runs since the last success ({len(runs)})")
            for column in ("run", "account", "started", "kind", "error", "what to do"):
                table.add_column(column)
            for run in runs:
                table.add_row(
                    str(run.id),
                    run.account_id,
                    run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                    run.error_kind or "-",
                    escape(run.error or "-"),
                    escape(run.fix or "-"),
                )
            console.print(table)


def _settings_warning(account: AccountConfig, now: datetime) -> str | None:
    """The connector's own warning about this account's settings (e.g. eBay's refresh token
    expiring soon); nothing if the connector cannot load (``connectors list`` says why)."""
    try:
        cls = load_connector(account.connector)
    except ConnectorLoadError:
        return None
    return cls.settings_attention(account.settings, now, account.id)
