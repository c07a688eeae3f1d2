"""``orderhub connectors|config|db ...``: set-up and diagnostics."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from orderhub.cli.common import console, errors, safe_url, state, user_errors
from orderhub.config import check_config
from orderhub.logs import configure_logging
from orderhub.registry import discover
from orderhub.runtime import build_connector
from orderhub.sdk.clock import SystemClock
from orderhub.sdk.errors import ConnectorError
from orderhub.store.db import current_revision, head_revision, make_engine, upgrade

connectors_app = typer.Typer(help="Installed channel connectors.", no_args_is_help=True)
config_app = typer.Typer(help="Check the configuration.", no_args_is_help=True)
db_app = typer.Typer(help="The order store's schema.", no_args_is_help=True)


@connectors_app.command("list")
def connectors_list() -> None:
    """Every installed connector, its version and capabilities, and any that failed to load."""
    configure_logging(level="warning", fmt="console")
    infos = discover()
    table = Table(title="Connectors")
    for column in ("name", "version", "capabilities", "package", "status"):
        table.add_column(column)
    for info in infos:
        table.add_row(
            info.name,
            info.version or "-",
            ", ".join(sorted(c.value for c in info.capabilities)) or "-",
            info.distribution or "-",
            "[green]ok[/]" if info.ok else f"[red]failed to load:[/] {info.error}",
        )
    console.print(table)
    if not infos:
        console.print("No connectors installed. Install orderhub with `pip install .`.")


@config_app.command("check")
def config_check(
    ctx: typer.Context,
    online: Annotated[
        bool, typer.Option("--online", help="Also call each enabled account's API once.")
    ] = False,
) -> None:
    """Validate the configuration file, every account and its secrets; name each problem's
    file, key and fix. With --online, prove each account's credentials work."""
    st = state(ctx)
    with user_errors(st):
        config = st.config(require_file=True)
        problems = check_config(config)
        for problem in problems:
            errors.print(f"[red]-[/] {problem}", highlight=False, markup=False)
        if problems:
            raise typer.Exit(1)
        console.print(
            f"{config.file}: OK ({len(config.accounts)} accounts, "
            f"{len(config.enabled_accounts)} enabled; store {safe_url(config.database_url)})",
            highlight=False,
        )
        if not online:
            return
        failed = False
        for account in config.enabled_accounts:
            connector = build_connector(config, account, clock=SystemClock())
            try:
                connector.check()
                console.print(f"  {account.id}: credentials work", highlight=False)
            except ConnectorError as exc:
                failed = True
                errors.print(f"  {account.id}: {exc.message} Fix: {exc.fix}", highlight=False)
            finally:
                connector.close()
        if failed:
            raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the store's schema to this version (safe to run again)."""
    st = state(ctx)
    with user_errors(st):
        url = st.url()
        engine = make_engine(url)
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
        if before == after:
            console.print(f"{safe_url(url)}: already at revision {after}.", highlight=False)
        else:
            console.print(
                f"{safe_url(url)}: upgraded from {before or 'empty'} to {after}.", highlight=False
            )


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the schema revision of the store and the one this orderhub needs."""
    st = state(ctx)
    with user_errors(st):
        engine = make_engine(st.url())
        console.print(
            f"store: {current_revision(engine) or 'empty'}; this orderhub: {head_revision()}"
        )
