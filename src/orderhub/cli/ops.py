"""``orderhub status`` and ``orderhub failures``: what ops look at first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from orderhub.cli.common import age, console, fail, state, user_errors
from orderhub.cli.output import Format, FormatOption, Listing
from orderhub.config import human_duration
from orderhub.health import (
    CRITICAL,
    WARNING,
    AccountHealth,
    account_health,
    acknowledge_quarantine,
)
from orderhub.store import queries
from orderhub.store.heartbeats import Instance, all_instances
from orderhub.store.quarantine import QuarantineActionError, mark_dealt_with


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("failures")(failures)


def status(
    ctx: typer.Context,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Print only the accounts that need attention; exit 1 if there is any "
            "(for cron and monitoring).",
        ),
    ] = False,
) -> None:
    """Per account, worst first: state, last run, last success, cursor lag, and every
    problem with what to do. The worker instances beating into this store follow."""
    st = state(ctx)
    with user_errors(st):
        # Status reads the store only: an account missing its secret still shows.
        config = st.config(worker=True)
        now = datetime.now(UTC)
        with st.engine().connect() as connection:
            accounts = account_health(connection, config, now)
            instances = all_instances(connection, now)
        if not accounts:
            console.print("No accounts configured and nothing stored yet.")
            return
        shown = [a for a in accounts if a.needs_attention] if check else accounts
        if check and not shown:
            console.print(f"All {len(accounts)} accounts are healthy.")
            return
        _print_accounts(shown, now)
        if not check:
            _print_instances(instances)
        if check:
            raise typer.Exit(1)


def _print_accounts(accounts: list[AccountHealth], now: datetime) -> None:
    listing = Listing(
        "Accounts (worst first)",
        (
            "account",
            "channel",
            "enabled",
            "state",
            "last run",
            "last success",
            "cursor lag",
            "orders",
            "quarantined",
            "pushes waiting",
            "attention",
        ),
        # The account id is what every other command takes; never cut it.
        keys=("account", "state"),
    )
    lines: list[str] = []
    for item in accounts:
        run = item.last_run
        flag = ""
        if item.severity == CRITICAL:
            flag = "NEEDS ATTENTION"
        elif item.severity == WARNING:
            flag = "warning"
        for problem in item.problems:
            since = f" (since {problem.since:%Y-%m-%d %H:%M} UTC)" if problem.since else ""
            lines.append(
                f"[bold]{item.account}[/]: {escape(problem.summary)} "
                f"[bold]Fix:[/] {escape(problem.fix)}{since}"
            )
        for note in item.notes:
            detail = ""
            if run is not None and run.outcome == "failed":
                detail = f": ({run.error_kind}) {run.error} Fix: {run.fix}"
            lines.append(f"[bold]{item.account}[/]: {escape(note + detail)}")
        waiting = sum(item.pushes.get(key, 0) for key in ("pending", "sent", "retrying"))
        listing.add(
            item.account,
            item.channel,
            ("yes" if item.enabled else "no") if item.configured else "not configured",
            item.state.replace("_", " "),
            f"{run.outcome} {age(run.started_at, now)}" if run else "never",
            age(item.last_success, now),
            human_duration(item.cursor_lag) if item.cursor_lag is not None else "-",
            str(item.orders),
            str(item.quarantined_open),
            str(waiting),
            flag,
        )
    listing.emit(Format.table, console)
    for line in lines:
        console.print(line, highlight=False)


def _print_instances(instances: list[Instance]) -> None:
    if not instances:
        console.print(
            "No worker is beating into this store (start one with `orderhub run`).",
            highlight=False,
        )
        return
    table = Table(title=f"Workers on this store ({len(instances)})")
    for column in ("instance", "host", "pid", "version", "started", "last beat"):
        table.add_column(column)
    for instance in instances:
        table.add_row(
            instance.instance_id,
            instance.host,
            str(instance.pid),
            instance.version,
            instance.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"{int(instance.age)}s ago",
        )
    console.print(table)


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
    fmt: FormatOption = Format.table,
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
        if fmt is not Format.table:
            # Scripts get both kinds in one list; reading it is not a person's look, so
            # the records stay new for the health model (and its alerts).
            failure_listing(records, runs).emit(fmt, console)
            return
        if not records and not runs:
            console.print("No failures. Every record read cleanly and the last runs succeeded.")
            return
        if records:
            listing = Listing(
                f"Quarantined records ({len(records)})",
                QUARANTINE_COLUMNS,
                keys=("id", "account", "order"),
            )
            for record in records:
                listing.add(*_quarantine_row(record))
            listing.emit(fmt, console)
            # Listing them is the look: the health model stops counting them as new.
            acknowledge_quarantine(connection, datetime.now(UTC), account=account)
            connection.commit()
            console.print(
                "What to do: the raw payload is kept (`orderhub failures --show ID`). Fix the "
                "order on the channel, or report the connector bug with that payload; the next "
                "sync stores the order and marks the record resolved. Other orders were stored.",
                highlight=False,
            )
        if runs:
            listing = Listing(
                f"Failed runs since the last success ({len(runs)})",
                RUN_COLUMNS,
                keys=("run", "account"),
            )
            for run in runs:
                listing.add(*_run_row(run))
            listing.emit(fmt, console)


QUARANTINE_COLUMNS = (
    "id",
    "account",
    "channel",
    "order",
    "reason",
    "first seen",
    "last seen",
    "seen",
    "resolved",
)
RUN_COLUMNS = ("run", "account", "started", "kind", "error", "what to do")
#: ``--format json|csv``: quarantined records and failed runs in one list, told apart by
#: ``kind``; a column a kind does not have is empty.
FAILURE_COLUMNS = (
    "kind",
    "id",
    "account",
    "channel",
    "order",
    "reason",
    "what to do",
    "first seen",
    "last seen",
    "seen",
    "resolved",
)
_MINUTE = "%Y-%m-%d %H:%M"


def _quarantine_row(record: Any) -> tuple[str, ...]:
    return (
        str(record.id),
        record.account_id,
        record.channel,
        record.external_id or "?",
        record.reason,
        record.first_seen_at.strftime(_MINUTE),
        record.last_seen_at.strftime(_MINUTE),
        str(record.seen_count),
        record.resolved_at.strftime(_MINUTE) if record.resolved_at else "-",
    )


def _run_row(run: Any) -> tuple[str, ...]:
    return (
        str(run.id),
        run.account_id,
        run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
        run.error_kind or "-",
        run.error or "-",
        run.fix or "-",
    )


def failure_listing(records: Sequence[Any], runs: Sequence[Any]) -> Listing:
    """Both kinds of failure in one listing, for ``--format json|csv``."""
    listing = Listing("Failures", FAILURE_COLUMNS, keys=("id", "account", "order"))
    for record in records:
        ident, account, channel, order, reason, first, last, seen, resolved = _quarantine_row(
            record
        )
        listing.add(
            "quarantined", ident, account, channel, order, reason, "", first, last, seen, resolved
        )
    for run in runs:
        ident, account, started, kind, error, fix = _run_row(run)
        reason = f"{kind}: {error}" if kind != "-" else error
        listing.add("failed run", ident, account, "", "", reason, fix, started, started, "", "")
    return listing
